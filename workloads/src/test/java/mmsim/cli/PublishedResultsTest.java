package mmsim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * What {@code results/} publishes still comes out of this code. The comparison, {@code results/shootdown-strategies}: a sample of its
 * runs is run again here, each with the exact command its manifest recorded, and every modeled figure the published
 * summary holds must come out the same (host-time figures aside: they are the host's). Its runs are deterministic,
 * so any difference is a change of the model, deliberate or not. A deliberate one means the published directory is
 * out of date: run {@code bash results/shootdown-strategies/reproduce.sh} (its README, "Reproduce") and commit what
 * it writes, so that what is published is what this code produces.
 *
 * <p>The sample: each of the ten strategies under each of the two cost profiles (20 runs, about a second each),
 * spread over the three workloads, the CPU counts and the seeds by a fixed rotation. The published runs were made
 * on JDK 25 (virtual threads); these tests run on the build's JDK as well, so this also checks that the deterministic
 * mode's modeled results do not depend on the kind of host thread. The fidelity table,
 * {@code results/fidelity-epyc-zen5-microvm}, is made again whole.
 */
class PublishedResultsTest {
    private static final Path PUBLISHED = Path.of("..", "results", "shootdown-strategies", "runs.tar.gz");
    private static final List<String> WORKLOADS = List.of("snapshot", "munmap", "forkserver");
    private static final List<String> PROFILES = List.of("epyc-zen5-microvm", "skylake-server");
    /** The strategies the sweep ran ({@code shootdown.strategy: all} when it was made). */
    private static final List<String> STRATEGIES = List.of("broadcast", "targeted", "linux", "latr", "hw-broadcast",
            "batched", "abis", "early-ack", "multicast", "didi");
    /** The sweep's CPU counts but 1 (a 1-CPU run sends no shootdown to anyone: it tells strategies apart least). */
    private static final List<Integer> CPUS = List.of(2, 4, 8, 16, 64);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Run name (the sweep point) → file name → the file's published contents. */
    private static Map<String, Map<String, byte[]>> published;

    @TempDir
    Path out;

    @BeforeAll
    static void readPublished() throws IOException {
        assertTrue(Files.isRegularFile(PUBLISHED), "the published runs are at " + PUBLISHED.toAbsolutePath());
        published = new TreeMap<>();
        try (InputStream file = Files.newInputStream(PUBLISHED);
             TarArchiveInputStream tar = new TarArchiveInputStream(new GZIPInputStream(new BufferedInputStream(file)))) {
            TarArchiveEntry entry;
            while ((entry = tar.getNextEntry()) != null) {
                if (!entry.isFile()) {
                    continue;
                }
                Path name = Path.of(entry.getName()).normalize();
                if (name.getNameCount() != 2) {
                    continue;
                }
                published.computeIfAbsent(name.getName(0).toString(), k -> new TreeMap<>())
                        .put(name.getName(1).toString(), tar.readAllBytes());
            }
        }
    }

    @Test
    void everyRunOfTheSweepIsPublishedWithItsManifestAndSummary() {
        // 3 workloads × 2 profiles × 10 strategies × 6 CPU counts × 3 seeds (sweep.yaml)
        assertEquals(1080, published.size(), "published runs");
        for (var run : published.entrySet()) {
            assertTrue(run.getValue().keySet().containsAll(List.of("manifest.json", "summary.json", "config.json")),
                    run.getKey() + " holds " + run.getValue().keySet());
        }
    }

    static Stream<Arguments> sample() {
        List<Arguments> runs = new ArrayList<>();
        List<String> strategies = STRATEGIES;
        for (int s = 0; s < strategies.size(); s++) {
            for (int p = 0; p < PROFILES.size(); p++) {
                int i = s * PROFILES.size() + p;
                String run = WORKLOADS.get(i % WORKLOADS.size())
                        + "__cost.profile-" + PROFILES.get(p)
                        + "__shootdown.strategy-" + strategies.get(s)
                        + "__cpus-" + CPUS.get(i % CPUS.size())
                        + "__seed-" + (1 + i % 3);
                runs.add(Arguments.of(run));
            }
        }
        return runs.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("sample")
    void aPublishedRunComesOutTheSameFromItsRecordedCommand(String run) throws IOException {
        Map<String, Object> manifest = json(files(run).get("manifest.json"));
        TreeSet<String> differ = differences(json(files(run).get("summary.json")), runAgain(run, null, null));
        assertTrue(differ.isEmpty(), run + " (published from " + manifest.get("code.version") + ") does not come out the "
                + "same at this commit in " + differ.size() + " places: " + differ + "\nIf the model changed on purpose, "
                + "re-publish: bash results/shootdown-strategies/reproduce.sh (results/shootdown-strategies/README.md)");
    }

    /**
     * {@code results/fidelity-epyc-zen5-microvm}: the kernel's figures come from the profile's own measurements and
     * mmsim's from deterministic runs, so the whole table must come out the same from the recorded command.
     */
    @Test
    void thePublishedFidelityTableComesOutTheSame() throws IOException {
        Path dir = Path.of("..", "results", "fidelity-epyc-zen5-microvm");
        String command = (String) json(Files.readAllBytes(dir.resolve("manifest.json"))).get("command");
        List<String> args = new ArrayList<>(Arrays.asList(command.split(" ")));
        assertEquals(List.of("mmsim", "fidelity", "--out"), args.subList(0, 3), "fidelity's command: " + command);
        args.remove(0);
        args.set(2, out.resolve("fidelity").toString());
        CommandLineTest.Outcome o = CommandLineTest.mmsim(args.toArray(new String[0]));
        assertEquals(0, o.status(), "'" + String.join(" ", args) + "' failed:\n" + o.stderr());
        List<String> then = Files.readAllLines(dir.resolve("fidelity.csv"));
        List<String> now = Files.readAllLines(out.resolve("fidelity").resolve("fidelity.csv"));
        assertEquals(then, now, "results/fidelity-epyc-zen5-microvm/fidelity.csv does not come out the same at this "
                + "commit; if the model changed on purpose, re-publish it as its README says");
    }

    /** The planted change: the same command with another seed must not pass for the published run. */
    @Test
    void aRunWithAnotherSeedDoesNotPassForThePublishedOne() throws IOException {
        String run = "forkserver__cost.profile-skylake-server__shootdown.strategy-linux__cpus-4__seed-1";
        TreeSet<String> differ = differences(json(files(run).get("summary.json")), runAgain(run, "seed=1", "seed=2"));
        assertTrue(differ.contains("config seed: 1 -> 2"), "the seed is a setting compared: " + differ);
        assertTrue(differ.stream().anyMatch(d -> d.startsWith("latency.")), "forkserver's modeled latencies depend on the seed: " + differ);
    }

    private static Map<String, byte[]> files(String run) {
        Map<String, byte[]> files = published.get(run);
        assertTrue(files != null, run + " is published (the sweep names its runs workload__key-value__...__seed-N)");
        return files;
    }

    /**
     * Runs {@code run}'s recorded command again in-process, with the argument {@code from} replaced by {@code to}
     * when they are given, and returns its summary.json.
     */
    private Map<String, Object> runAgain(String run, String from, String to) throws IOException {
        String command = (String) json(files(run).get("manifest.json")).get("command");
        List<String> args = new ArrayList<>(Arrays.asList(command.split(" ")));
        assertEquals(List.of("mmsim", "run"), args.subList(0, 2), run + "'s command: " + command);
        args.remove(0);
        if (from != null) {
            assertTrue(args.contains(from), command + " has " + from);
            args.set(args.indexOf(from), to);
        }
        args.addAll(List.of("--out", out.toString(), "--quiet"));
        CommandLineTest.Outcome o = CommandLineTest.mmsim(args.toArray(new String[0]));
        assertEquals(0, o.status(), run + ": '" + String.join(" ", args) + "' failed:\n" + o.stderr());
        try (Stream<Path> dirs = Files.list(out)) {
            Path dir = dirs.filter(Files::isDirectory).findFirst().orElseThrow();
            return json(Files.readAllBytes(dir.resolve("summary.json")));
        }
    }

    /**
     * Where {@code now} differs from {@code published}: the outcome, the problems, a setting of the published config
     * (settings added since are not compared), or a field of a published metric that is not the host's (its
     * {@code doc} aside: wording is not a figure). A metric added since is not compared; one removed is a difference.
     */
    @SuppressWarnings("unchecked")
    static TreeSet<String> differences(Map<String, Object> published, Map<String, Object> now) {
        TreeSet<String> differ = new TreeSet<>();
        for (String field : List.of("workload", "outcome", "problems")) {
            if (!Objects.equals(published.get(field), now.get(field))) {
                differ.add(field + ": " + published.get(field) + " -> " + now.get(field));
            }
        }
        Map<String, Object> configThen = (Map<String, Object>) published.get("config");
        Map<String, Object> configNow = (Map<String, Object>) now.get("config");
        for (var e : configThen.entrySet()) {
            if (!Objects.equals(e.getValue(), configNow.get(e.getKey()))) {
                differ.add("config " + e.getKey() + ": " + e.getValue() + " -> " + configNow.get(e.getKey()));
            }
        }
        Map<String, Map<String, Object>> metricsThen = (Map<String, Map<String, Object>>) published.get("metrics");
        Map<String, Map<String, Object>> metricsNow = (Map<String, Map<String, Object>>) now.get("metrics");
        for (var e : metricsThen.entrySet()) {
            if ("host".equals(e.getValue().get("kind"))) {
                continue;
            }
            Map<String, Object> m = metricsNow.get(e.getKey());
            if (m == null) {
                differ.add(e.getKey() + ": gone");
                continue;
            }
            for (var f : e.getValue().entrySet()) {
                if (!f.getKey().equals("doc") && !Objects.equals(f.getValue(), m.get(f.getKey()))) {
                    differ.add(e.getKey() + "." + f.getKey() + ": " + f.getValue() + " -> " + m.get(f.getKey()));
                }
            }
        }
        return differ;
    }

    @Test
    void theComparisonCatchesAChangedFigureAndIgnoresTheHostsOwn() {
        Map<String, Object> then = Map.of("workload", "munmap", "outcome", "passed", "problems", List.of(),
                "config", Map.of("cpus", "4"),
                "metrics", Map.of(
                        "ipis", Map.of("kind", "modeled", "value", 10, "doc", "IPIs"),
                        "wall", Map.of("kind", "host", "value", 5)));
        Map<String, Object> same = Map.of("workload", "munmap", "outcome", "passed", "problems", List.of(),
                "config", Map.of("cpus", "4", "added.since", "1"),
                "metrics", Map.of(
                        "ipis", Map.of("kind", "modeled", "value", 10, "doc", "reworded"),
                        "wall", Map.of("kind", "host", "value", 6),
                        "added.since", Map.of("kind", "modeled", "value", 1)));
        assertEquals(new TreeSet<>(), differences(then, same), "host figures, docs and additions are not differences");
        Map<String, Object> changed = Map.of("workload", "munmap", "outcome", "passed", "problems", List.of(),
                "config", Map.of("cpus", "8"),
                "metrics", Map.of("ipis", Map.of("kind", "modeled", "value", 11), "wall", Map.of("kind", "host", "value", 5)));
        assertEquals(new TreeSet<>(List.of("config cpus: 4 -> 8", "ipis.value: 10 -> 11")), differences(then, changed));
        Map<String, Object> lost = Map.of("workload", "munmap", "outcome", "failed", "problems", List.of("x"),
                "config", Map.of("cpus", "4"), "metrics", Map.of());
        assertEquals(new TreeSet<>(List.of("ipis: gone", "outcome: passed -> failed", "problems: [] -> [x]")),
                differences(then, lost));
    }

    private static Map<String, Object> json(byte[] bytes) throws IOException {
        return JSON.readValue(bytes, new TypeReference<Map<String, Object>>() { });
    }
}
