package mmsim.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import mmsim.cli.CommandLineTestAccess;
import mmsim.cli.CommandLineTestAccess.Outcome;
import mmsim.run.RunDirectory;
import mmsim.run.Summary;

/**
 * {@code mmsim sweep} and {@code mmsim merge} as a researcher meets them: runs in directories named from their values,
 * resuming, shards, failures, the merged table and what merge refuses. One small sweep runs once for the class.
 */
class SweepCommandsTest {
    static Path sweepFile;
    static Path whole;
    static Outcome first;

    @TempDir
    Path tmp;

    @BeforeAll
    static void runTheSmallSweepOnce() throws Exception {
        Path shared = SweepFixtures.smallSweep();
        sweepFile = shared.resolve("small.yaml");
        whole = shared.resolve("whole");
        first = SweepFixtures.smallSweepOutcome();
    }

    private static Outcome mmsim(String... args) {
        return CommandLineTestAccess.mmsim(args);
    }

    @Test
    void everyRunGetsADirectoryNamedFromItsValuesAndIsRecordedPassed() throws Exception {
        assertEquals(0, first.status(), first.stdout() + first.stderr());
        Sweep sweep = Sweep.load(sweepFile);
        for (SweepPoint p : sweep.points()) {
            Path dir = whole.resolve(p.name());
            PointRecord r = PointRecord.read(dir);
            assertNotNull(r, p.name() + " has its point.json");
            assertEquals(PointRecord.PASSED, r.outcome());
            assertEquals(p.values(), r.values());
            assertEquals("passed", Summary.readCsv(dir.resolve("summary.csv")).get(0).get("outcome"));
            Map<String, Object> manifest = RunDirectory.readJson(dir.resolve("manifest.json"));
            assertEquals(String.join(" ", sweep.runCommand(p)), manifest.get("command"), "the manifest says how to make the run alone");
            assertEquals(true, manifest.get("deterministic"));
            assertTrue(first.stdout().contains("passed  " + p.name()), "a progress line per run: " + first.stdout());
        }
        assertTrue(first.stdout().contains("4 runs: 4 passed, 0 failed, 0 errors"), first.stdout());
        assertEquals(sweep.textWithName(), Files.readString(whole.resolve("sweep.yaml")), "the output keeps the sweep file");
    }

    @Test
    void aSecondSweepSkipsCompleteRunsAndRedoesIncompleteOnes() throws Exception {
        Path out = tmp.resolve("resumed");
        SweepFixtures.copyTree(whole, out);
        Sweep sweep = Sweep.load(sweepFile);
        Path noRecord = out.resolve(sweep.points().get(1).name());
        Path noSummary = out.resolve(sweep.points().get(2).name());
        Files.delete(noRecord.resolve(PointRecord.FILE));
        Files.delete(noSummary.resolve("summary.csv"));
        String untouched = Files.readString(out.resolve(sweep.points().get(0).name()).resolve(PointRecord.FILE));

        Outcome again = mmsim("sweep", sweepFile.toString(), "--out", out.toString());
        assertEquals(0, again.status(), again.stdout() + again.stderr());
        assertTrue(again.stdout().contains("skipped " + sweep.points().get(0).name()), again.stdout());
        assertTrue(again.stdout().contains("skipped " + sweep.points().get(3).name()), again.stdout());
        assertTrue(again.stdout().contains("passed  " + noRecord.getFileName()), again.stdout());
        assertTrue(again.stdout().contains("passed  " + noSummary.getFileName()), again.stdout());
        assertTrue(again.stdout().contains("(2 were already complete)"), again.stdout());
        assertEquals(untouched, Files.readString(out.resolve(sweep.points().get(0).name()).resolve(PointRecord.FILE)));
        assertTrue(PointRecord.isComplete(noRecord) && PointRecord.isComplete(noSummary));
    }

    @Test
    void shardsRunTheirShareAndMergeIntoTheSameTableAsTheWholeSweep() throws Exception {
        Path shard0 = tmp.resolve("machine-a");
        Outcome o = mmsim("sweep", sweepFile.toString(), "--out", shard0.toString(), "--shard", "0/2");
        assertEquals(0, o.status(), o.stdout() + o.stderr());
        Sweep sweep = Sweep.load(sweepFile);
        List<String> expected = sweep.points(new Shard(0, 2)).stream().map(SweepPoint::name).sorted().toList();
        try (Stream<Path> dirs = Files.list(shard0)) {
            assertEquals(expected, dirs.filter(Files::isDirectory).map(d -> d.getFileName().toString()).sorted().toList());
        }

        Outcome partial = mmsim("merge", shard0.toString());
        assertEquals(1, partial.status(), "runs are missing: " + partial.stdout() + partial.stderr());
        for (SweepPoint p : sweep.points(new Shard(1, 2))) {
            assertTrue(partial.stdout().contains(p.name()), "names the missing " + p.name() + ": " + partial.stdout());
        }
        assertTrue(partial.stdout().contains("missing (2)"), partial.stdout());

        Path shard1 = tmp.resolve("machine-b");
        for (SweepPoint p : sweep.points(new Shard(1, 2))) {
            SweepFixtures.copyTree(whole.resolve(p.name()), shard1.resolve(p.name()));
        }
        Path merged = tmp.resolve("merged");
        Outcome m = mmsim("merge", shard0.toString(), shard1.toString(), "--out", merged.toString());
        assertEquals(0, m.status(), m.stdout() + m.stderr());
        assertTrue(m.stdout().contains("4 runs of sweep small's 4 from 2 directories: 4 passed, 0 failed, 0 errors, 0 missing"), m.stdout());
        assertEquals(SweepFixtures.modeledTable(whole.resolve(Merge.FILE)), SweepFixtures.modeledTable(merged.resolve(Merge.FILE)),
                "the same runs with the same modeled figures, whichever shard made them");
    }

    @Test
    void theMergedTableIsTheSummarySchemaPlusTheSweepsValuesAndSeed() throws Exception {
        Path out = tmp.resolve("table");
        Outcome m = mmsim("merge", whole.toString(), "--out", out.toString());
        assertEquals(0, m.status(), m.stdout() + m.stderr());
        List<String> header = SweepFixtures.header(out.resolve(Merge.FILE));
        Sweep sweep = Sweep.load(sweepFile);
        List<String> summary = Summary.readHeader(whole.resolve(sweep.points().get(0).name()).resolve("summary.csv"));
        assertEquals(summary, header.subList(0, summary.size()), "every run's columns first, in their order");
        assertEquals(List.of("sweep:point", "sweep:shootdown.strategy", "sweep:cpus", "sweep:seed"), header.subList(summary.size(), header.size()));
        List<Map<String, String>> rows = Summary.readCsv(out.resolve(Merge.FILE));
        assertEquals(sweep.points().stream().map(SweepPoint::name).toList(), rows.stream().map(r -> r.get("run")).toList(), "product order");
        for (Map<String, String> row : rows) {
            assertEquals(row.get("shootdown.strategy"), row.get("sweep:shootdown.strategy"));
            assertEquals(row.get("cpus"), row.get("sweep:cpus"));
            assertEquals("1", row.get("sweep:seed"));
        }
    }

    @Test
    void mergeRefusesRunsOfDifferentCodeVersionsUnlessForced() throws Exception {
        Path out = tmp.resolve("versions");
        SweepFixtures.copyTree(whole, out);
        Files.delete(out.resolve(Merge.FILE));
        Path manifest = out.resolve(Sweep.load(sweepFile).points().get(3).name()).resolve("manifest.json");
        Map<String, Object> m = RunDirectory.readJson(manifest);
        String ours = m.get("git.commit") + (Boolean.TRUE.equals(m.get("git.dirty")) ? "-dirty" : "");
        m.put("git.commit", "0123456789abcdef");
        m.put("git.dirty", true);
        RunDirectory.writeJson(manifest, m);

        Outcome refused = mmsim("merge", out.toString());
        assertEquals(2, refused.status(), refused.stdout() + refused.stderr());
        String err = refused.stderr().strip();
        assertFalse(err.contains("\n"), err);
        assertTrue(err.contains("different code versions") && err.contains("0123456789abcdef-dirty in 1 run") && err.contains(ours + " in 3 runs")
                && err.contains("--force"), err);
        assertFalse(Files.exists(out.resolve(Merge.FILE)), "nothing merged");

        Outcome forced = mmsim("merge", out.toString(), "--force");
        assertEquals(0, forced.status(), forced.stdout() + forced.stderr());
        assertTrue(forced.stdout().contains("warning (--force): runs made by different code versions"), forced.stdout());
        assertEquals(4, Summary.readCsv(out.resolve(Merge.FILE)).size());
    }

    @Test
    void mergeRefusesRunsUnderDifferentCostProfiles() throws Exception {
        Path out = tmp.resolve("profiles");
        SweepFixtures.copyTree(whole, out);
        Path config = out.resolve(Sweep.load(sweepFile).points().get(0).name()).resolve("config.json");
        Map<String, Object> c = RunDirectory.readJson(config);
        c.put("cost.ipi_delivery", "9999");
        RunDirectory.writeJson(config, c);
        Outcome refused = mmsim("merge", out.toString());
        assertEquals(2, refused.status(), refused.stdout() + refused.stderr());
        assertTrue(refused.stderr().contains("different cost profiles (cost.ipi_delivery differ)")
                && refused.stderr().contains("cost.ipi_delivery=9999 in 1 run"), refused.stderr());
    }

    @Test
    void aSweepThatVariesTheProfileMergesItsProfilesAndPassedFailedAndErrorRunsAreTold() throws Exception {
        Path file = SweepFixtures.write(tmp, "mixed.yaml", """
                workloads: [munmap, planted]
                set: {sim.deterministic: true, munmap.rounds: 2, memory: 64MiB, cpus: 1}
                vary:
                  cost.profile: [skylake-server, epyc-zen5-microvm]
                  planted.outcome: [pass, fail, halt]
                exclude:
                  - {cost.profile: epyc-zen5-microvm, workload: planted}
                timeout: 3
                """);
        Path out = tmp.resolve("mixed");
        Outcome o = mmsim("sweep", file.toString(), "--out", out.toString(), "--jobs", "2");
        assertEquals(1, o.status(), "a run failed: " + o.stdout() + o.stderr());
        assertTrue(o.stdout().contains("5 runs: 3 passed, 1 failed, 1 errors"), o.stdout() + o.stderr());
        String halted = "planted__cost.profile-skylake-server__planted.outcome-halt__seed-1";
        PointRecord error = PointRecord.read(out.resolve(halted));
        assertEquals(PointRecord.ERROR, error.outcome());
        assertEquals(42, error.exit());
        assertTrue(error.problems().get(0).contains("exited with status 42"), error.problems().toString());
        PointRecord failed = PointRecord.read(out.resolve("planted__cost.profile-skylake-server__planted.outcome-fail__seed-1"));
        assertEquals(PointRecord.FAILED, failed.outcome());
        assertEquals(List.of("planted: planted failure"), failed.problems());

        Outcome again = mmsim("sweep", file.toString(), "--out", out.toString());
        assertTrue(again.stdout().contains("(4 were already complete)") && again.stdout().contains("ERROR   " + halted), "only the error is redone: " + again.stdout());

        Outcome m = mmsim("merge", out.toString());
        assertEquals(1, m.status(), m.stdout() + m.stderr());
        assertTrue(m.stdout().contains("3 passed, 1 failed, 1 errors, 0 missing"), m.stdout());
        assertTrue(m.stdout().contains("FAILED planted__cost.profile-skylake-server__planted.outcome-fail__seed-1: planted: planted failure"), m.stdout());
        assertTrue(m.stdout().contains("ERROR  " + halted + ": its JVM exited with status 42"), m.stdout());
        List<Map<String, String>> rows = Summary.readCsv(out.resolve(Merge.FILE));
        Map<String, String> errorRow = rows.stream().filter(r -> r.get("run").equals(halted)).findFirst().orElseThrow();
        assertEquals("error", errorRow.get("outcome"));
        assertTrue(errorRow.get("sweep:error").contains("status 42"), errorRow.toString());
        assertEquals("", errorRow.get("modeled:modeled.time"), "an error run has no metrics");
        List<String> profiles = new ArrayList<>(rows.stream().map(r -> r.get("cost.profile")).distinct().toList());
        assertEquals(List.of("skylake-server", "epyc-zen5-microvm"), profiles, "both profiles merged: the sweep varies cost.profile");
    }

    @Test
    void runsSharingAJvmGiveTheSameModeledTableAndSayWhichRunOfTheirJvmTheyWere() throws Exception {
        Path out = tmp.resolve("shared-jvms");
        Outcome o = mmsim("sweep", sweepFile.toString(), "--out", out.toString(), "--jobs", "2", "--runs-per-jvm", "3");
        assertEquals(0, o.status(), o.stdout() + o.stderr());
        assertTrue(o.stdout().contains("2 at a time, up to 3 in each JVM"), o.stdout());
        assertTrue(o.stdout().contains("4 runs: 4 passed, 0 failed, 0 errors"), o.stdout());
        Outcome m = mmsim("merge", out.toString());
        assertEquals(0, m.status(), "merge passes over " + SweepRunner.JVM_LOG + ": " + m.stdout() + m.stderr());
        assertEquals(SweepFixtures.modeledTable(whole.resolve(Merge.FILE)), SweepFixtures.modeledTable(out.resolve(Merge.FILE)),
                "the same modeled figures whether each run had a JVM of its own or shared one");
        List<Integer> jvmRuns = new ArrayList<>();
        for (SweepPoint p : Sweep.load(sweepFile).points()) {
            Path dir = out.resolve(p.name());
            jvmRuns.add((Integer) RunDirectory.readJson(dir.resolve("manifest.json")).get("sweep.jvm_run"));
            assertTrue(Files.readString(dir.resolve(SweepRunner.LOG)).contains("passed " + p.name()), "the run's own log: " + p.name());
            assertEquals(1, RunDirectory.readJson(whole.resolve(p.name()).resolve("manifest.json")).get("sweep.jvm_run"),
                    "a run in a JVM of its own is its first");
        }
        // two jobs take the four runs from one queue, each into a JVM that runs at most three: two JVMs ran two each, or
        // one ran three and another one
        assertTrue(List.of(List.of(1, 1, 2, 2), List.of(1, 1, 2, 3)).contains(jvmRuns.stream().sorted().toList()),
                "sweep.jvm_run of the four runs: " + jvmRuns);
    }

    @Test
    void aJvmThatHaltsInARunTakesOnlyThatRunDownAndTheNextRunsGetANewJvm() throws Exception {
        Path file = SweepFixtures.write(tmp, "halting.yaml", """
                workloads: [planted]
                set: {sim.deterministic: true, memory: 64MiB, cpus: 1}
                vary:
                  planted.outcome: [halt, pass, fail]
                seeds: [1, 2]
                timeout: 3
                """);
        Path out = tmp.resolve("halting");
        Outcome o = mmsim("sweep", file.toString(), "--out", out.toString(), "--runs-per-jvm", "10");
        assertEquals(1, o.status(), o.stdout() + o.stderr());
        assertTrue(o.stdout().contains("6 runs: 2 passed, 2 failed, 2 errors"), o.stdout() + o.stderr());
        for (int seed : List.of(1, 2)) {
            PointRecord halted = PointRecord.read(out.resolve("planted__planted.outcome-halt__seed-" + seed));
            assertEquals(PointRecord.ERROR, halted.outcome());
            assertEquals(42, halted.exit());
            assertTrue(halted.problems().get(0).contains("exited with status 42"), halted.problems().toString());
            assertEquals(PointRecord.FAILED, PointRecord.read(out.resolve("planted__planted.outcome-fail__seed-" + seed)).outcome());
            assertEquals(PointRecord.PASSED, PointRecord.read(out.resolve("planted__planted.outcome-pass__seed-" + seed)).outcome());
        }
        // one job, in the sweep's order (halt, pass, fail; seed 1 then 2 within each): each halt ends its JVM, the passes
        // and failures after them share one
        List<Integer> jvmRuns = new ArrayList<>();
        for (String run : List.of("pass__seed-1", "pass__seed-2", "fail__seed-1", "fail__seed-2")) {
            jvmRuns.add((Integer) RunDirectory.readJson(out.resolve("planted__planted.outcome-" + run).resolve("manifest.json"))
                    .get("sweep.jvm_run"));
        }
        assertEquals(List.of(1, 2, 3, 4), jvmRuns, "the runs after the halted JVMs share a new one; a failed check does not end it");
    }

    /**
     * A run whose JVM is still running at the sweep's limit (a real sweep's: the run's watchdog plus two minutes; here
     * 15 s) is killed and recorded as an error, its JVM gone before the sweep returns, and the runs after it go on: in
     * a JVM of their own, or in a new one after a shared JVM was killed.
     */
    @ParameterizedTest(name = "runs per JVM {0}")
    @org.junit.jupiter.params.provider.ValueSource(ints = {1, 3})
    void aRunWhoseJvmOutlivesTheLimitIsKilledAndTheRunsAfterItGoOn(int runsPerJvm) throws Exception {
        Path file = SweepFixtures.write(tmp, "hanging.yaml", """
                workloads: [planted]
                set: {sim.deterministic: true, memory: 64MiB, cpus: 1}
                vary:
                  planted.outcome: [pass, hang, fail]
                timeout: 1
                """);
        Path out = tmp.resolve("hanging");
        java.io.ByteArrayOutputStream progress = new java.io.ByteArrayOutputStream();
        SweepRunner.Tally t = new SweepRunner(Sweep.load(file), out, Shard.ALL, 1, runsPerJvm, JavaCommand.current(),
                new java.io.PrintStream(progress, true, StandardCharsets.UTF_8), java.time.Duration.ofSeconds(15)).run();
        assertEquals(List.of(3, 1, 1, 1), List.of(t.runs(), t.passed(), t.failed(), t.errors()),
                "runs, passed, failed, errors: " + progress);
        Path hanging = out.resolve("planted__planted.outcome-hang__seed-1");
        PointRecord killed = PointRecord.read(hanging);
        assertEquals(PointRecord.ERROR, killed.outcome());
        assertEquals(-1, killed.exit());
        assertEquals(List.of("killed: still running 15000 ms after it started"), killed.problems());
        assertTrue(killed.seconds() >= 15, "killed at the limit, not before: " + killed.seconds() + " s");
        String said = Files.readAllLines(hanging.resolve(SweepRunner.LOG)).stream()
                .filter(l -> l.startsWith(PlantedOutcome.HANGING)).findFirst().orElseThrow();
        long pid = Long.parseLong(said.substring(PlantedOutcome.HANGING.length()));
        assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "the hanging JVM " + pid + " is gone");
        assertEquals(PointRecord.FAILED, PointRecord.read(out.resolve("planted__planted.outcome-fail__seed-1")).outcome());
        assertEquals(1, RunDirectory.readJson(out.resolve("planted__planted.outcome-fail__seed-1").resolve("manifest.json"))
                .get("sweep.jvm_run"), "the run after the killed one is its JVM's first");
    }

    static Stream<Arguments> badInputs() {
        return Stream.of(
                Arguments.of(List.of("sweep", "{typo}", "--out", "{out}"), "unknown setting 'cpu'", "cpus"),
                Arguments.of(List.of("sweep", "{missing-workload}", "--out", "{out}"), "unknown workload 'mumnap'", "munmap"),
                Arguments.of(List.of("sweep", "{empty}", "--out", "{out}"), "no runs", "excludes"),
                Arguments.of(List.of("sweep", "{small}", "--shard", "3/2", "--out", "{out}"), "--shard 3/2", "0 <= i < N"),
                Arguments.of(List.of("sweep", "{small}", "--jobs", "0", "--out", "{out}"), "--jobs", "from 1"),
                Arguments.of(List.of("sweep", "{small}", "--runs-per-jvm", "0", "--out", "{out}"), "--runs-per-jvm", "from 1"),
                Arguments.of(List.of("sweep", "{dir}/nosuch.yaml", "--out", "{out}"), "nosuch.yaml", "cannot be read"),
                Arguments.of(List.of("merge", "{dir}/nosuch"), "nosuch: no such directory", "no such directory"),
                Arguments.of(List.of("merge", "{dir}"), "holds no run directories", "config.json and summary.csv"),
                Arguments.of(List.of("merge", "{dir}", "{dir}"), "--out", "where merged.csv goes"),
                Arguments.of(List.of("slurm", "{small}", "--shards", "5", "--out", "{out}"), "--shards", "1 to 4"),
                Arguments.of(List.of("slurm", "{small}", "--time", "soon", "--out", "{out}"), "--time", "HH:MM:SS"),
                Arguments.of(List.of("slurm", "{small}", "--mem", "lots", "--out", "{out}"), "--mem", "8G"),
                Arguments.of(List.of("slurm", "{small}", "--cpus-per-task", "0", "--out", "{out}"), "--cpus-per-task", "from 1"),
                Arguments.of(List.of("slurm", "{small}", "--runs-per-jvm", "-1", "--out", "{out}"), "--runs-per-jvm", "from 1"));
    }

    @ParameterizedTest
    @MethodSource("badInputs")
    void badInputExitsTwoWithOneLineAndLeavesNothingBehind(List<String> template, String culprit, String allowed) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("in"));
        SweepFixtures.write(dir, "typo.yaml", "workloads: [munmap]\nvary: {cpu: [1, 2]}\n");
        SweepFixtures.write(dir, "missing-workload.yaml", "workloads: [mumnap]\n");
        SweepFixtures.write(dir, "empty.yaml", "workloads: [munmap]\nvary: {cpus: [1]}\nexclude: [{workload: munmap}]\n");
        SweepFixtures.write(dir, "small.yaml", SweepFixtures.SMALL);
        Path out = tmp.resolve("out");
        List<String> args = new ArrayList<>();
        for (String a : template) {
            args.add(a.replace("{out}", out.toString()).replace("{dir}", dir.toString())
                    .replaceAll("^\\{(.*)}$", dir.resolve("$1.yaml").toString()));
        }
        Outcome o = mmsim(args.toArray(new String[0]));
        assertEquals(2, o.status(), o.stdout() + o.stderr());
        String err = o.stderr().strip();
        assertFalse(err.contains("\n"), "one line: " + err);
        assertTrue(err.contains(culprit), "names " + culprit + ": " + err);
        assertTrue(err.contains(allowed), "says " + allowed + ": " + err);
        assertFalse(err.contains("\tat "), err);
        assertFalse(Files.exists(out), "bad input leaves no output directory behind");
    }

    @Test
    void aSweepRefusesAnOutputDirectoryOfAnotherSweep() throws Exception {
        Path other = SweepFixtures.write(tmp, "other.yaml", SweepFixtures.SMALL.replace("munmap.rounds: 4", "munmap.rounds: 5"));
        Outcome o = mmsim("sweep", other.toString(), "--out", whole.toString());
        assertEquals(2, o.status(), o.stdout() + o.stderr());
        assertTrue(o.stderr().contains("holds the runs of another sweep file"), o.stderr());
    }

    @Test
    void theSweepFileInTheRepositoryIsValid() throws Exception {
        Path example = Path.of("..", "sweeps", "example.yaml");
        Sweep s = Sweep.load(example);
        assertTrue(s.points().size() > 1, "the README's example makes runs");
        assertEquals(List.of("sim.deterministic"), s.set().keySet().stream().filter(k -> k.equals("sim.deterministic")).toList(),
                "it is a deterministic sweep: its figures reproduce");
        assertEquals("true", s.set().get("sim.deterministic"));
        String readme = Files.readString(Path.of("..", "README.md"), StandardCharsets.UTF_8);
        assertTrue(readme.contains(s.text().strip()), "README.md shows sweeps/example.yaml as it is");
    }

    /** The correctness sweep the README names: every workload (replay with each shipped strace trace) under every shootdown and fork strategy, checked. */
    @Test
    void theCorrectnessSweepCoversEveryStrategyAndEveryWorkload() throws Exception {
        Sweep s = Sweep.load(Path.of("..", "sweeps", "checked-strategies.yaml"));
        assertTrue(s.check(), "both oracles on every run");
        assertEquals(List.of("forkexec", "snapshot", "prefork", "forkserver", "munmap", "madvise", "mprotect", "chaos", "replay"),
                s.workloads().stream().map(w -> w.name()).toList());
        List<String> traces = s.vary().get("replay.file");
        for (String trace : traces) {
            assertTrue(Files.isReadable(Path.of("..", trace)), trace + " is in the repository");
        }
        int perWorkload = mmsim.shootdown.Shootdowns.NAMES.size() * mmsim.kernel.ForkStrategies.NAMES.size() * 3 * s.seeds().size();
        assertEquals((8 + traces.size()) * perWorkload, s.points().size(),
                "every strategy x every fork x 3 CPU counts x the seeds, for 8 workloads and each trace");
        assertEquals(List.of("4", "64", "256"), s.vary().get("cpus"));
    }
}
