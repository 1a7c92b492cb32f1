package mmsim.workloads;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import java.util.stream.Stream;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import mmsim.run.Harness;
import mmsim.run.RunDirectory;
import mmsim.run.RunResult;
import mmsim.run.RunSpec;
import mmsim.shootdown.Shootdowns;
import mmsim.stats.StatsRegistry.Kind;
import mmsim.workload.Workloads;

/**
 * The deterministic mode ({@code sim.deterministic}, {@code --deterministic}): two runs of a workload with one
 * seed write the same summary.json, bit for bit, once the fields that are the host's own are set aside (the run
 * directory's name, the wall time, and every metric whose kind is {@code host}); and the run directory says the
 * run was deterministic. Every run here is in checking mode, so the oracles' verdicts are compared too.
 */
class DeterminismTest {
    private static final long SEED = 20261130L;
    private static final long OTHER_SEED = 7L;
    @TempDir
    Path out;

    /**
     * Every built-in workload, small (3 CPUs, well under a second each), and whether it makes random choices:
     * snapshot (which records it overwrites, and with what), prefork (the keys requested, which requests write),
     * forkserver (the pages each child reads and dirties) and chaos (every step) do, so another seed must change
     * their figures; forkexec, munmap, madvise, mprotect and the replays do the same work under any seed (a strace
     * replay's touch policy draws its pages from the seed, but the figures count pages, not which).
     */
    static Stream<Arguments> workloads() {
        return Stream.of(
                Arguments.of("forkexec", Map.of("forkexec.resident", "1MiB", "forkexec.spawns", "4", "forkexec.image", "16KiB"), false),
                Arguments.of("snapshot", Map.of("snapshot.data", "1MiB", "snapshot.writes", "500", "snapshot.rounds", "2"), true),
                Arguments.of("prefork", Map.of("prefork.workers", "2", "prefork.data", "256KiB", "prefork.requests", "100"), true),
                Arguments.of("forkserver", Map.of("forkserver.heap", "1MiB", "forkserver.forks", "4"), true),
                Arguments.of("munmap", Map.of("munmap.pages", "8", "munmap.rounds", "8"), false),
                Arguments.of("madvise", Map.of("madvise.size", "64KiB", "madvise.passes", "1"), false),
                Arguments.of("mprotect", Map.of("mprotect.toggles", "20", "mprotect.rounds", "2"), false),
                Arguments.of("chaos", Map.of("chaos.cycles", "4000000"), true),
                // the touch policy draws its pages from the seed, but which pages it draws changes none of the counts; a
                // lackey trace is the same accesses under any seed
                Arguments.of("replay", Map.of("replay.file", "traces/strace/shell.strace", "replay.format", "strace"), false),
                Arguments.of("replay", Map.of("replay.file", "traces/lackey/qsort-5000.lackey.gz", "replay.max_lines", "300000"), false));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("workloads")
    void twoRunsWithOneSeedWriteOneSummaryAndAnotherSeedChangesARandomWorkload(String workload, Map<String, String> settings,
                                                                                boolean random) throws Exception {
        Map<String, String> machine = Map.of("cpus", "3", "memory", "48MiB");
        Map<String, Object> first = reproducible(run(workload, machine, settings, SEED));
        Map<String, Object> second = reproducible(run(workload, machine, settings, SEED));
        assertEquals(first, second, "seed " + SEED + ": " + workload + "'s summaries differ in " + differences(first, second));
        if (random) {
            Map<String, Object> other = reproducible(run(workload, machine, settings, OTHER_SEED));
            assertNotEquals(first.get("metrics"), other.get("metrics"), workload + " made the same choices under seeds " + SEED
                    + " and " + OTHER_SEED);
        }
    }

    static Stream<String> shootdownStrategies() {
        return Shootdowns.NAMES.stream();
    }

    /** Each strategy's own timing (LATR's lazy queues, the batched rounds, the interrupts) is replayed exactly. */
    @ParameterizedTest
    @MethodSource("shootdownStrategies")
    void chaosReplaysExactlyUnderEveryShootdownStrategy(String strategy) throws Exception {
        Map<String, String> machine = Map.of("cpus", "3", "memory", "48MiB", "shootdown.strategy", strategy, "fork.strategy", "odf");
        Map<String, String> settings = Map.of("chaos.cycles", "3000000");
        Map<String, Object> first = reproducible(run("chaos", machine, settings, SEED));
        Map<String, Object> second = reproducible(run("chaos", machine, settings, SEED));
        assertEquals(first, second, "seed " + SEED + ", " + strategy + ": chaos's summaries differ in " + differences(first, second));
    }

    /**
     * Runs {@code workload} deterministically and in checking mode, writes its run directory and returns its
     * summary.json, after checking that the run passed and that its manifest says how it ran.
     */
    private Map<String, Object> run(String workload, Map<String, String> machine, Map<String, String> settings, long seed)
            throws Exception {
        Map<String, String> m = new LinkedHashMap<>(machine);
        m.put("seed", Long.toString(seed));
        m.put("sim.deterministic", "true");
        RunSpec spec = RunSpec.resolve(Workloads.named(workload), m, settings, true, Duration.ofMinutes(3), List.of("test"));
        Path dir = RunDirectory.create(out, workload);
        RunResult r = Harness.run(spec, dir, null);
        assertTrue(r.passed(), "seed " + seed + "\n" + WorkloadRuns.explain(r));
        RunDirectory.write(dir, r);
        Map<String, Object> manifest = RunDirectory.readJson(dir.resolve("manifest.json"));
        assertEquals(true, manifest.get("deterministic"), "the manifest says the run was deterministic: " + manifest);
        assertEquals(1, manifest.get("sim.parallelism"), "one host slot: " + manifest);
        assertTrue(List.of("virtual", "platform").contains(manifest.get("threads")), "the manifest names the threads: " + manifest);
        return RunDirectory.readJson(dir.resolve("summary.json"));
    }

    /** A summary without what the host decides: the run directory's name, the wall time, every host-kind metric. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> reproducible(Map<String, Object> summary) {
        Map<String, Object> kept = new LinkedHashMap<>(summary);
        kept.remove("run");
        kept.remove("wall_ms");
        Map<String, Object> metrics = new LinkedHashMap<>();
        for (var e : ((Map<String, Map<String, Object>>) summary.get("metrics")).entrySet()) {
            if (!Kind.HOST.label().equals(e.getValue().get("kind"))) {
                metrics.put(e.getKey(), e.getValue());
            }
        }
        kept.put("metrics", metrics);
        return kept;
    }

    @SuppressWarnings("unchecked")
    private static Object withoutDoc(Object metric) {
        if (!(metric instanceof Map)) {
            return metric;
        }
        Map<String, Object> m = new LinkedHashMap<>((Map<String, Object>) metric);
        m.remove("doc");
        return m;
    }

    /** The top-level fields and metrics in which two reproducible summaries differ, with both values of a metric. */
    @SuppressWarnings("unchecked")
    static TreeSet<String> differences(Map<String, Object> a, Map<String, Object> b) {
        TreeSet<String> names = new TreeSet<>();
        for (String key : a.keySet()) {
            if (key.equals("metrics")) {
                Map<String, Object> ma = (Map<String, Object>) a.get(key);
                Map<String, Object> mb = (Map<String, Object>) b.get(key);
                for (String metric : ma.keySet()) {
                    if (!Objects.equals(ma.get(metric), mb.get(metric))) {
                        names.add(metric + " " + withoutDoc(ma.get(metric)) + " vs " + withoutDoc(mb.get(metric)));
                    }
                }
            } else if (!Objects.equals(a.get(key), b.get(key))) {
                names.add(key);
            }
        }
        return names;
    }
}
