package mmsim.workloads;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import mmsim.run.Harness;
import mmsim.run.RunDirectory;
import mmsim.run.RunResult;
import mmsim.run.RunSpec;
import mmsim.workload.Workloads;

/**
 * What backs the simulated tasks ({@code sim.threads}: virtual or platform threads) is the host's business: a
 * deterministic run writes the same summary, bit for bit (host fields aside), on either. So a researcher on JDK 17,
 * where only platform threads exist, regenerates the figures of one who ran on JDK 25 with virtual threads.
 *
 * <p>Needs JDK 21 or later (virtual threads); skipped on the default JDK 17. The workloads module's
 * {@code jdk25-virtual-threads} execution runs it again on JDK 25 where one is installed, as on CI.
 */
class ThreadBackingTest {
    private static final long SEED = 20261202L;
    @TempDir
    Path out;

    /** Every built-in workload, small, under a shootdown and a fork strategy that exercise the waits the threads do. */
    static Stream<Arguments> workloads() {
        return Stream.of(
                Arguments.of("forkexec", Map.of("forkexec.resident", "1MiB", "forkexec.spawns", "4", "forkexec.image", "16KiB")),
                Arguments.of("snapshot", Map.of("snapshot.data", "1MiB", "snapshot.writes", "500", "snapshot.rounds", "2")),
                Arguments.of("prefork", Map.of("prefork.workers", "2", "prefork.data", "256KiB", "prefork.requests", "100")),
                Arguments.of("forkserver", Map.of("forkserver.heap", "1MiB", "forkserver.forks", "4")),
                Arguments.of("munmap", Map.of("munmap.pages", "8", "munmap.rounds", "8")),
                Arguments.of("madvise", Map.of("madvise.size", "64KiB", "madvise.passes", "1")),
                Arguments.of("mprotect", Map.of("mprotect.toggles", "20", "mprotect.rounds", "2")),
                Arguments.of("chaos", Map.of("chaos.cycles", "4000000")),
                Arguments.of("replay", Map.of("replay.file", "traces/strace/shell.strace", "replay.format", "strace")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("workloads")
    void virtualAndPlatformThreadsWriteOneSummary(String workload, Map<String, String> settings) throws Exception {
        assumeTrue(Runtime.version().feature() >= 21, "virtual threads need JDK 21+; this JVM is " + Runtime.version());
        for (String strategies : List.of("linux/cow", "latr/odf")) {
            String[] s = strategies.split("/");
            Map<String, Object> platform = run(workload, settings, s[0], s[1], "platform");
            Map<String, Object> virtual = run(workload, settings, s[0], s[1], "virtual");
            // assertTrue, not assertEquals: the message names the differing metrics, without two whole summaries after it
            assertTrue(platform.equals(virtual), workload + " under " + strategies + ", seed " + SEED
                    + ": platform and virtual threads' summaries differ in " + DeterminismTest.differences(platform, virtual));
        }
    }

    /** Runs {@code workload} deterministically and checked on {@code threads}; its summary without the host's fields. */
    private Map<String, Object> run(String workload, Map<String, String> settings, String shootdown, String fork,
                                    String threads) throws Exception {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("cpus", "4");
        m.put("memory", "48MiB");
        m.put("seed", Long.toString(SEED));
        m.put("sim.deterministic", "true");
        m.put("shootdown.strategy", shootdown);
        m.put("fork.strategy", fork);
        m.put("sim.threads", threads);
        RunSpec spec = RunSpec.resolve(Workloads.named(workload), m, settings, true, Duration.ofMinutes(3), List.of("test"));
        Path dir = RunDirectory.create(out, workload);
        RunResult r = Harness.run(spec, dir, null);
        assertTrue(r.passed(), threads + " threads, seed " + SEED + "\n" + WorkloadRuns.explain(r));
        RunDirectory.write(dir, r);
        assertEquals(threads, RunDirectory.readJson(dir.resolve("manifest.json")).get("threads"),
                "the manifest names what backed the tasks");
        Map<String, Object> summary = DeterminismTest.reproducible(RunDirectory.readJson(dir.resolve("summary.json")));
        @SuppressWarnings("unchecked")
        Map<String, Object> config = new LinkedHashMap<>((Map<String, Object>) summary.get("config"));
        assertEquals(threads, config.remove("sim.threads"), "the summary's config names the threads");
        summary.put("config", config);   // the rest of the config is compared
        return summary;
    }
}
