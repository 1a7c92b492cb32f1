package mmsim.replay.strace;

import static mmsim.cli.CommandLineTestAccess.mmsim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

import mmsim.cli.CommandLineTestAccess.Outcome;
import mmsim.run.Harness;
import mmsim.run.RunResult;
import mmsim.run.RunSpec;
import mmsim.stats.StatsSnapshot;
import mmsim.workload.Workloads;

/** Each shipped trace replayed with both oracles, and malformed input as a user meets it. */
class StraceReplayTest {
    private static final Path TRACES = Path.of("traces/strace");

    @TempDir
    Path dir;

    static RunResult replay(Path trace, int cpus, boolean deterministic, double touchAfterFork) throws Exception {
        RunSpec spec = RunSpec.resolve(Workloads.named("replay"),
                Map.of("cpus", Integer.toString(cpus), "sim.deterministic", Boolean.toString(deterministic)),
                Map.of("replay.file", trace.toString(), "replay.format", "strace",
                        "replay.touch_after_fork", Double.toString(touchAfterFork)), true, Duration.ofMinutes(2), List.of("test"));
        return Harness.run(spec, null, null);
    }

    @ParameterizedTest(name = "{0} on {1} CPUs, deterministic {2}")
    @CsvSource({
        "shell.strace, 4, true, 0.1, 10, 9, 7, 0, 6",
        "shell.strace, 2, false, 0.1, 10, 9, 7, 0, 6",
        "make.strace, 4, true, 0.1, 13, 12, 13, 0, 10",
        "pool.strace, 4, true, 0.1, 43, 42, 39, 3, 34",
        "pool.strace, 3, false, 0.1, 43, 42, 39, 3, 34",
        "prefork.strace, 4, true, 0.1, 43, 42, 39, 0, 27",
        "ff/ff.17045, 2, true, 0.1, 3, 2, 2, 0, 1",
        "notime.strace, 1, true, 0.1, 3, 2, 3, 0, 1",
    })
    void replaysEachShippedTraceWithTheTracesCounts(String file, int cpus, boolean deterministic, double touchAfterFork,
                                                    long processes, long forks,
                                                    long execs, long threads, long pipes) throws Exception {
        RunResult r = replay(TRACES.resolve(file), cpus, deterministic, touchAfterFork);
        assertTrue(r.passed(), r.problems() + " " + r.init());
        StatsSnapshot s = r.stats();
        assertEquals(processes, s.value("replay.processes", -1));
        assertEquals(processes, s.value("replay.trace_processes", -1));
        assertEquals(forks, s.value("replay.forks", -1));
        assertEquals(execs, s.value("replay.execs", -1));
        assertEquals(threads, s.value("replay.threads", -1));
        assertEquals(pipes, s.value("replay.pipes", -1));
        assertEquals(pipes, s.value("replay.trace_pipes", -1));
        assertTrue(s.value("replay.unmodeled", -1) > 0);
        assertTrue(s.value("faults.cow_copy", -1) > 0, "forked processes write what they share copy-on-write");
    }

    @Test
    void aProcessTheMachineKillsOffTraceEndsTheReplayAsADeadlockWithinSeconds() throws Exception {
        // 8 MiB: a child of the pool trace runs out of frames, so its turn never passes on
        RunSpec spec = RunSpec.resolve(Workloads.named("replay"), Map.of("cpus", "2", "memory", "8MiB", "sim.deterministic", "true"),
                Map.of("replay.file", TRACES.resolve("pool.strace").toString(), "replay.format", "strace"), false,
                Duration.ofMinutes(2), List.of("test"));
        long start = System.nanoTime();
        RunResult r = Harness.run(spec, null, null);
        long seconds = (System.nanoTime() - start) / 1_000_000_000L;
        assertTrue(!r.passed() && r.problems().stream().anyMatch(p -> p.startsWith("deadlock: ")), r.problems().toString());
        assertTrue(seconds < 30, "reported in seconds, not at the two-minute watchdog: " + seconds + " s");
    }

    private Outcome replayLines(String... lines) throws Exception {
        Path trace = dir.resolve("t.strace");
        Files.writeString(trace, String.join("\n", lines));
        return mmsim("replay", "strace", trace.toString(), "--deterministic", "--check", "--quiet", "--out", dir.resolve("runs").toString());
    }

    private static final String[] GOOD = {
        "100 execve(\"/bin/sh\", [\"sh\"], 0x1 /* 1 var */) = 0",
        "100 brk(NULL) = 0x55d000000000",
        "100 brk(0x55d000021000) = 0x55d000021000",
        "100 pipe2([3, 4], 0) = 0",
        "100 clone(child_stack=NULL, flags=SIGCHLD) = 101",
        "101 write(4, \"hi\\n\", 3) = 3",
        "101 exit_group(0) = ?",
        "101 +++ exited with 0 +++",
        "100 read(3, \"hi\\n\", 10) = 3",
        "100 wait4(-1, [{WIFEXITED(s) && WEXITSTATUS(s) == 0}], 0, NULL) = 101",
        "100 exit_group(0) = ?",
        "100 +++ exited with 0 +++",
    };

    @Test
    void garbledLineIsSkippedAndNamedWithItsLineNumber() throws Exception {
        String[] lines = GOOD.clone();
        lines[2] = "100 brk(0x55d000021000 = garbage";
        Outcome o = replayLines(lines);
        assertEquals(0, o.status(), o.stdout() + o.stderr());
        assertTrue(o.stdout().contains("t.strace:3: unbalanced"), o.stdout());
    }

    @Test
    void truncatedFileReplaysWhatItHoldsAndSaysWhereItStops() throws Exception {
        String[] lines = List.of(GOOD).subList(0, 9).toArray(new String[0]);
        lines[8] = "100 read(3, \"hi\\n";
        Outcome o = replayLines(lines);
        assertEquals(0, o.status(), o.stdout() + o.stderr());
        assertTrue(o.stdout().contains("t.strace:9:"), o.stdout());
    }

    @Test
    void unknownSyscallIsCountedAsUnmodeled() throws Exception {
        String[] lines = GOOD.clone();
        lines[1] = "100 frobnicate(1, \"x\") = 0";
        Outcome o = replayLines(lines);
        assertEquals(0, o.status(), o.stdout() + o.stderr());
        assertTrue(o.stdout().contains("frobnicate x1"), o.stdout());
    }

    @Test
    void pidThatNeverAppearedIsSkippedAndNamedWithItsLineNumber() throws Exception {
        String[] lines = GOOD.clone();
        lines[5] = "999 write(4, \"hi\\n\", 3) = 3";
        Outcome o = replayLines(lines);
        assertEquals(0, o.status(), o.stdout() + o.stderr());
        assertTrue(o.stdout().contains("t.strace:6: pid 999 never appeared"), o.stdout());
    }

    @Test
    void fileWithoutStraceLinesIsBadInput() throws Exception {
        Outcome o = replayLines("hello world", "no strace here");
        assertEquals(2, o.status(), o.stdout() + o.stderr());
        assertTrue(o.stderr().contains("t.strace:1: cannot read this line"), o.stderr());
    }

    @Test
    void perPidFilesWithoutMicrosecondsAreBadInput() throws Exception {
        Files.writeString(dir.resolve("x.10"), "execve(\"/bin/sh\", [\"sh\"], 0x1) = 0\nclone(child_stack=NULL, flags=SIGCHLD) = 11\n");
        Files.writeString(dir.resolve("x.11"), "exit_group(0) = ?\n");
        Outcome o = mmsim("replay", "strace", dir.resolve("x.11").toString(), "--quiet", "--out", dir.resolve("runs").toString());
        assertEquals(2, o.status(), o.stdout() + o.stderr());
        assertTrue(o.stderr().contains("-tt"), o.stderr());
    }
}
