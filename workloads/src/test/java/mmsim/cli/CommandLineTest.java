package mmsim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import mmsim.run.RunDirectory;
import mmsim.run.Summary;

/** The command line as a user meets it: exit statuses, one-line errors, run directories. */
class CommandLineTest {
    @TempDir
    Path out;

    record Outcome(int status, String stdout, String stderr) {
    }

    static synchronized Outcome mmsim(String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
            int status = Main.commandLine().setErr(new java.io.PrintWriter(System.err, true)).execute(args);
            return new Outcome(status, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    private String[] withOut(String... args) {
        List<String> all = new ArrayList<>(Arrays.asList(args));
        if (!all.contains("--out")) {
            all.add("--out");
            all.add(out.toString());
        }
        all.add("--quiet");
        return all.toArray(new String[0]);
    }

    static Stream<Arguments> badInputs() {
        return Stream.of(
                Arguments.of(new String[] {"run", "nosuch"}, "unknown workload 'nosuch'", "forkserver"),
                Arguments.of(new String[] {"run", "forkserver", "--set", "forkserver.forks=abc"}, "forkserver.forks", "an integer from 1"),
                Arguments.of(new String[] {"run", "forkserver", "--set", "forkserver.forks=-1"}, "forkserver.forks", "an integer from 1"),
                Arguments.of(new String[] {"run", "forkserver", "--set", "heap=0"}, "unknown setting 'heap'", "forkserver.heap"),
                Arguments.of(new String[] {"run", "forkserver", "--set", "forkserver.nosuch=1"}, "forkserver.nosuch", "forkserver.forks"),
                Arguments.of(new String[] {"run", "forkserver", "--cpus", "0"}, "cpus", "an integer from 1 to 1024"),
                Arguments.of(new String[] {"run", "forkserver", "--memory", "12parsecs"}, "memory", "a size from"),
                Arguments.of(new String[] {"run", "forkserver", "--shootdown", "telepathy"}, "shootdown.strategy", "latr"),
                Arguments.of(new String[] {"run", "forkserver", "--fork", "spoon"}, "fork.strategy", "odf"),
                Arguments.of(new String[] {"run", "forkserver", "--memory", "8TiB"}, "memory", "to 4TiB"),
                Arguments.of(new String[] {"run", "forkserver", "--seconds", "5"}, "--seconds", "forkserver.heap"),
                Arguments.of(new String[] {"compare", "forkserver", "--shootdown", "linux,nope"}, "'nope'", "hw-broadcast"),
                Arguments.of(new String[] {"compare", "forkserver", "--shootdown", "all,nope"}, "'nope'", "hw-broadcast"),
                Arguments.of(new String[] {"compare", "forkserver", "--fork", "all,cow"}, "'all' stands alone", "odf"),
                Arguments.of(new String[] {"run", "--workload-class", "com.example.Missing"}, "com.example.Missing", "no such class"),
                Arguments.of(new String[] {"run", "--workload-class", "java.lang.String"}, "java.lang.String", "does not implement"),
                Arguments.of(new String[] {"run", "--workload-class", "mmsim.cli.ThrowingWorkload"}, "ThrowingWorkload", "no licence file"),
                Arguments.of(new String[] {"run"}, "WORKLOAD", "forkserver"),
                Arguments.of(new String[] {"run", "forkserver", "--frobnicate"}, "--frobnicate", "--help"),
                Arguments.of(new String[] {"forks=abc"}, "unknown setting 'forks'", "cpus"),
                Arguments.of(new String[] {"nonsense"}, "'nonsense'", "run, compare, list"),
                Arguments.of(new String[] {"run", "forkserver", "--out", "/proc/no/such/dir"}, "--out /proc/no/such/dir", "a directory that exists"),
                Arguments.of(new String[] {"run", "munmap", "--deterministic", "--set", "sim.parallelism=2"}, "sim.parallelism=2", "sim.deterministic"),
                Arguments.of(new String[] {"compare", "munmap", "--deterministic", "--set", "sim.parallelism=2"}, "sim.parallelism=2", "sim.deterministic"),
                Arguments.of(new String[] {"run", "munmap", "--deterministic", "--set", "sim.deterministic=false"}, "--deterministic", "sim.deterministic=false"),
                Arguments.of(new String[] {"run", "chaos", "--deterministic", "--seconds", "5"}, "chaos.seconds", "chaos.cycles=N"),
                Arguments.of(new String[] {"run", "chaos", "--set", "chaos.seconds=2", "--set", "chaos.cycles=100000"}, "chaos.cycles", "give"));
    }

    @ParameterizedTest
    @MethodSource("badInputs")
    void badInputExitsTwoWithOneLineNamingTheCulprit(String[] args, String culprit, String allowed) throws Exception {
        Outcome o = mmsim(withOut(args));
        assertEquals(2, o.status(), "stderr: " + o.stderr() + "\nstdout: " + o.stdout());
        String err = o.stderr().strip();
        assertFalse(err.contains("\n"), "one line: " + err);
        assertTrue(err.contains(culprit), "names " + culprit + ": " + err);
        assertTrue(err.contains(allowed), "says what is allowed (" + allowed + "): " + err);
        assertFalse(err.contains("\tat ") || err.contains("Exception in thread"), "no stack trace: " + err);
        try (Stream<Path> left = Files.list(out)) {
            assertEquals(List.of(), left.toList(), "bad input leaves no run directory behind");
        }
    }

    @Test
    void theLargestMemoryBootsAndRunsOnASmallHost() throws Exception {
        Outcome o = mmsim(withOut("run", "forkserver", "--set", "forkserver.forks=2", "--memory", "4TiB"));
        assertEquals(0, o.status(), o.stdout() + o.stderr());
        Map<String, String> row = Summary.readCsv(runDirectories("forkserver", 1).get(0).resolve("summary.csv")).get(0);
        assertEquals("passed", row.get("outcome"));
        long hostBytes = Long.parseLong(row.get("host:mem.host_bytes"));
        assertTrue(hostBytes > 0 && hostBytes < (1L << 30), hostBytes + " host bytes behind 4 TiB of simulated memory");
    }

    @Test
    void virtualThreadsOnAJvmWithoutThemIsBadInput() throws Exception {
        assumeTrue(Runtime.version().feature() < 21, "this JVM has virtual threads");
        badInputExitsTwoWithOneLineNamingTheCulprit(new String[] {"run", "forkserver", "--set", "sim.threads=virtual"},
                "sim.threads=virtual", "JDK 21");
    }

    @Test
    void theHelpOfRunCompareAndTheDefaultExperimentOffersDeterministic() {
        for (String[] help : List.of(new String[] {"run", "--help"}, new String[] {"compare", "--help"}, new String[] {"--help"})) {
            Outcome o = mmsim(help);
            assertEquals(0, o.status(), o.stderr());
            assertTrue(o.stdout().contains("--deterministic"), String.join(" ", help) + ": " + o.stdout());
        }
    }

    @Test
    void aDeterministicRunSaysSoInItsOutputAndManifest() throws Exception {
        Outcome o = mmsim("run", "munmap", "--deterministic", "--cpus", "2", "--memory", "32MiB", "--set", "munmap.rounds=2",
                "--out", out.toString());
        assertEquals(0, o.status(), o.stdout() + o.stderr());
        assertTrue(o.stdout().lines().findFirst().orElse("").contains("deterministic"), "the summary's first line: " + o.stdout());
        Map<String, Object> manifest = RunDirectory.readJson(onlyRunDirectory("munmap").resolve("manifest.json"));
        assertEquals(true, manifest.get("deterministic"));
        assertEquals(1, manifest.get("sim.parallelism"), "one host slot");
        assertTrue(List.of("virtual", "platform").contains(manifest.get("threads")), manifest.toString());

        Outcome c = mmsim(withOut("compare", "pingpong", "--deterministic", "--shootdown", "linux,latr", "--set", "pingpong.rounds=5",
                "--memory", "32MiB"));
        assertEquals(0, c.status(), c.stdout() + c.stderr());
        Path dir = onlyRunDirectory("compare");
        assertEquals(true, RunDirectory.readJson(dir.resolve("manifest.json")).get("deterministic"), "the comparison's manifest");
        for (Map<String, String> row : Summary.readCsv(dir.resolve("summary.csv"))) {
            assertEquals("true", row.get("sim.deterministic"), "every run of it");
            assertEquals(true, RunDirectory.readJson(dir.resolve(row.get("run")).resolve("manifest.json")).get("deterministic"));
        }
    }

    @Test
    void aResearchersWorkloadClassRunsByClassNameAndByServiceName() throws Exception {
        Outcome byClass = mmsim(withOut("run", "--workload-class", "example.PingPong", "--set", "pingpong.rounds=20", "--check"));
        assertEquals(0, byClass.status(), byClass.stdout() + byClass.stderr());
        Outcome byName = mmsim(withOut("run", "pingpong", "--set", "pingpong.rounds=10"));
        assertEquals(0, byName.status(), byName.stdout() + byName.stderr());
        for (Path dir : runDirectories("pingpong", 2)) {
            Map<String, String> row = Summary.readCsv(dir.resolve("summary.csv")).get(0);
            assertEquals("passed", row.get("outcome"));
            assertTrue(Long.parseLong(row.get("host:pingpong.round_trip_ns:count")) >= 10);
        }
    }

    @Test
    void aViolationExitsOneAndSaysWhatWithTheSeed() {
        Outcome o = mmsim(withOut("run", "--workload-class", "mmsim.cli.BrokenReadsWorkload", "--check", "--seed", "42"));
        assertEquals(1, o.status(), o.stdout() + o.stderr());
        assertTrue(o.stdout().contains("content oracle") && o.stdout().contains("expected 8 but read 7"), o.stdout());
        assertTrue(o.stdout().contains("seed 42"), o.stdout());
    }

    @Test
    void aRunDirectoryHoldsConfigManifestSummaryAndIntervalLogs() throws Exception {
        Outcome o = mmsim(withOut("run", "forkserver", "--set", "forkserver.heap=1MiB", "--set", "forkserver.forks=4",
                "--seed", "9", "--cpus", "2", "--memory", "32MiB"));
        assertEquals(0, o.status(), o.stdout() + o.stderr());
        Path dir = onlyRunDirectory("forkserver");
        Map<String, Object> config = RunDirectory.readJson(dir.resolve("config.json"));
        assertEquals("forkserver", config.get("workload"));
        assertEquals("1MiB", config.get("forkserver.heap"));
        assertEquals("0.25", config.get("forkserver.read_fraction"), "defaults are resolved");
        assertEquals("32MiB", config.get("memory"));
        assertEquals("lru", config.get("tlb.replacement"), "machine defaults are resolved");
        Map<String, Object> manifest = RunDirectory.readJson(dir.resolve("manifest.json"));
        for (String key : List.of("code.version", "git.commit", "java.version", "os", "host.cores", "host.memory_bytes",
                "seed", "deterministic", "sim.parallelism", "threads", "command", "started", "ended")) {
            assertTrue(manifest.containsKey(key), "manifest has " + key + ": " + manifest.keySet());
        }
        assertEquals(9, manifest.get("seed"));
        assertEquals(false, manifest.get("deterministic"), "the default mode");
        assertEquals(Runtime.getRuntime().availableProcessors(), manifest.get("sim.parallelism"), "default: the host's cores");
        assertTrue(manifest.get("command").toString().startsWith("mmsim run forkserver"), manifest.get("command").toString());
        Map<String, Object> summary = RunDirectory.readJson(dir.resolve("summary.json"));
        assertEquals("passed", summary.get("outcome"));
        @SuppressWarnings("unchecked")
        Map<String, Map<String, Object>> metrics = (Map<String, Map<String, Object>>) summary.get("metrics");
        assertEquals("host", metrics.get("forkserver.fork_ns").get("kind"));
        assertEquals(4, metrics.get("forkserver.fork_ns").get("count"));
        assertEquals("modeled", metrics.get("faults.cow_copy").get("kind"));
        assertEquals("modeled", metrics.get("shootdown.initiator_cycles").get("kind"));
        var reader = new org.HdrHistogram.HistogramLogReader(dir.resolve("forkserver.fork_ns.hlog").toString());
        long recorded = 0;
        for (var h = reader.nextIntervalHistogram(); h != null; h = reader.nextIntervalHistogram()) {
            recorded += ((org.HdrHistogram.Histogram) h).getTotalCount();
        }
        assertEquals(4, recorded, "the interval log holds every fork");
        assertTrue(Files.exists(dir.resolve("shootdown.initiator_cycles.hlog")));
        for (String name : List.of("latency.fork.cow", "latency.waitpid", "latency.exit", "latency.fault.cow_copy",
                "latency.shootdown.interrupted")) {
            Map<String, Object> latency = metrics.get(name);
            assertEquals("modeled", latency.get("kind"), name);
            assertEquals("cycles", latency.get("unit"), name);
            assertTrue(((Number) latency.get("count")).longValue() > 0, name + " was recorded: " + latency);
            for (String stat : List.of("p50", "p99", "max", "p50_us", "p99_us", "max_us")) {
                assertTrue(latency.containsKey(stat), name + " has " + stat + ": " + latency);
            }
            assertTrue(Files.exists(dir.resolve(name + ".hlog")), name + "'s log");
        }
        assertEquals(0, metrics.get("latency.fork.odf").get("count"), "only the fork strategy in use records");
    }

    @Test
    void summariesOfDifferentWorkloadsShareTheSchemaOfTheirSharedFields() throws Exception {
        assertEquals(0, mmsim(withOut("run", "forkserver", "--set", "forkserver.heap=1MiB", "--set", "forkserver.forks=2",
                "--memory", "32MiB")).status());
        assertEquals(0, mmsim(withOut("run", "pingpong", "--set", "pingpong.rounds=5", "--memory", "32MiB")).status());
        List<String> a = Summary.readHeader(onlyRunDirectory("forkserver").resolve("summary.csv"));
        List<String> b = Summary.readHeader(onlyRunDirectory("pingpong").resolve("summary.csv"));
        List<String> sharedA = a.stream().filter(c -> !c.contains("forkserver.")).toList();
        List<String> sharedB = b.stream().filter(c -> !c.contains("pingpong.")).toList();
        assertEquals(sharedA, sharedB, "the same shared columns, in the same order");
        assertTrue(sharedA.containsAll(List.of("run", "workload", "outcome", "code.version", "cpus", "shootdown.strategy", "seed",
                "modeled:faults.cow_copy", "modeled:shootdown.initiator_cycles:p99", "host:run.wall_ns")), sharedA.toString());
        assertTrue(a.contains("host:forkserver.fork_ns:p50") && b.contains("host:pingpong.round_trip_ns:p50"));
    }

    @Test
    void compareRunsEveryStrategyAndWritesOneRowPerRun() throws Exception {
        Outcome o = mmsim(withOut("compare", "pingpong", "--shootdown", "linux,latr", "--fork", "cow,odf",
                "--set", "pingpong.rounds=5", "--memory", "32MiB"));
        assertEquals(0, o.status(), o.stdout() + o.stderr());
        Path dir = onlyRunDirectory("compare");
        List<Map<String, String>> rows = Summary.readCsv(dir.resolve("summary.csv"));
        assertEquals(4, rows.size());
        assertEquals(List.of("linux/cow", "linux/odf", "latr/cow", "latr/odf"),
                rows.stream().map(r -> r.get("shootdown.strategy") + "/" + r.get("fork.strategy")).toList());
        for (Map<String, String> r : rows) {
            assertTrue(Files.isDirectory(dir.resolve(r.get("run"))), "each run has its own directory");
        }
        assertTrue(o.stdout().contains("round_trip") && o.stdout().contains("p50 host us") && o.stdout().contains("model"),
                o.stdout());
    }

    @Test
    void listNamesEveryWorkloadStrategyAndSetting() {
        Outcome o = mmsim("list");
        assertEquals(0, o.status());
        for (String s : List.of("forkserver", "chaos", "pingpong", "hw-broadcast", "odf", "tlb.l1.entries", "forkserver.heap",
                "chaos.seconds", "chaos.cycles", "sim.deterministic", "faults.cow_copy")) {
            assertTrue(o.stdout().contains(s), "lists " + s);
        }
    }

    private Path onlyRunDirectory(String prefix) throws Exception {
        return runDirectories(prefix, 1).get(0);
    }

    private List<Path> runDirectories(String prefix, int expected) throws Exception {
        try (Stream<Path> dirs = Files.list(out)) {
            List<Path> found = dirs.filter(p -> p.getFileName().toString().startsWith(prefix + "-")).sorted().toList();
            assertEquals(expected, found.size(), prefix + " run directories: " + found);
            return found;
        }
    }
}
