package mmsim.replay.lackey;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import mmsim.cli.CommandLineTestAccess;
import mmsim.run.RunDirectory;

/** The lackey replay end to end, through the command line as a user runs it. */
class LackeyReplayTest {
    @TempDir
    Path out;

    /** The shipped trace, from the repository root or from the workloads module (where Maven runs the tests). */
    static Path shipped(String name) {
        for (Path p : List.of(Path.of("traces", "lackey", name), Path.of("workloads", "traces", "lackey", name))) {
            if (Files.isRegularFile(p)) {
                return p;
            }
        }
        throw new AssertionError("missing shipped trace " + name);
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> metrics(Path runs) throws Exception {
        try (var dirs = Files.list(runs)) {
            Path run = dirs.filter(p -> p.getFileName().toString().startsWith("replay-")).findFirst().orElseThrow();
            return (Map<String, Object>) RunDirectory.readJson(run.resolve("summary.json")).get("metrics");
        }
    }

    @SuppressWarnings("unchecked")
    private static long value(Map<String, Object> metrics, String name) {
        return ((Number) ((Map<String, Object>) metrics.get(name)).get("value")).longValue();
    }

    @Test
    void aSmallTraceTouchesWhatItSaysAndTheTlbCountsFollow() throws Exception {
        // three pages: two loads of page A, a store to page B, a modify of A, an 8-byte load crossing from B into C,
        // an instruction fetch (skipped by default), a vsyscall fetch, a malformed line
        Path trace = out.resolve("small.lackey");
        Files.writeString(trace, "==9== Lackey\n L 10000000,8\n L 10000008,8\n S 10001000,4\n M 10000010,4\n L 10001ffc,8\n"
                + "I  10000000,4\nnot a line\n L ffffffffff600000,8\n", StandardCharsets.ISO_8859_1);
        CommandLineTestAccess.Outcome o = CommandLineTestAccess.mmsim("replay", "lackey", trace.toString(), "--deterministic", "--check",
                "--out", out.toString(), "--quiet");
        assertEquals(0, o.status(), o.stdout() + o.stderr());
        assertTrue(o.stderr().contains("1 malformed lines skipped, the first at line 8: 'not a line'"), o.stderr());
        Map<String, Object> m = metrics(out);
        assertEquals(5, value(m, "replay.events"));
        assertEquals(4, value(m, "replay.loads"), "every L line, the one outside user space included");
        assertEquals(1, value(m, "replay.stores"));
        assertEquals(1, value(m, "replay.modifies"));
        assertEquals(0, value(m, "replay.fetches"));
        assertEquals(1, value(m, "replay.malformed"));
        assertEquals(1, value(m, "replay.outside"));
        assertEquals(1, value(m, "replay.regions"));
        assertEquals(9, value(m, "replay.lines"));
        // pages A and B are written (A first read: the zero page, then a write fault), C only read
        assertEquals(2, value(m, "faults.zero_page_write") + value(m, "faults.demand_zero"));
    }

    @Test
    void theShippedTraceReplaysWithBothOraclesAndItsCountsMatchTheFile() throws Exception {
        Path trace = shipped("qsort-5000.lackey.gz");
        long loads = 0;
        long stores = 0;
        long modifies = 0;
        long lines = 0;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(new GZIPInputStream(Files.newInputStream(trace)), StandardCharsets.ISO_8859_1))) {
            for (String line; (line = r.readLine()) != null; ) {
                lines++;
                if (line.startsWith(" L ")) {
                    loads++;
                } else if (line.startsWith(" S ")) {
                    stores++;
                } else if (line.startsWith(" M ")) {
                    modifies++;
                }
            }
        }
        CommandLineTestAccess.Outcome o = CommandLineTestAccess.mmsim("replay", "lackey", trace.toString(), "--deterministic", "--check",
                "--out", out.toString(), "--quiet");
        assertEquals(0, o.status(), o.stdout() + o.stderr());
        Map<String, Object> m = metrics(out);
        assertEquals(lines, value(m, "replay.lines"));
        assertEquals(loads, value(m, "replay.loads"));
        assertEquals(stores, value(m, "replay.stores"));
        assertEquals(modifies, value(m, "replay.modifies"));
        assertEquals(loads + stores + modifies, value(m, "replay.events") + value(m, "replay.outside"));
        assertEquals(0, value(m, "replay.malformed"));
        long ppm = value(m, "replay.tlb_l1_hit_ppm");
        assertTrue(ppm > 900_000 && ppm < 1_000_000, "a small program hits its L1 TLB almost always: " + ppm);
        assertEquals(0, value(m, "oracle.stale_hits"));
    }

    @Test
    void aSmallerL1TlbMissesMoreOnTheSameTrace() throws Exception {
        Path trace = shipped("qsort-5000.lackey.gz");
        long[] misses = new long[2];
        String[] geometries = {"64", "4"};
        for (int i = 0; i < 2; i++) {
            Path dir = out.resolve("g" + i);
            CommandLineTestAccess.Outcome o = CommandLineTestAccess.mmsim("replay", "lackey", trace.toString(), "--deterministic",
                    "--set", "tlb.l1.entries=" + geometries[i], "--set", "tlb.l1.ways=4", "--out", dir.toString(), "--quiet");
            assertEquals(0, o.status(), o.stdout() + o.stderr());
            misses[i] = value(metrics(dir), "tlb.l1.misses");
        }
        assertTrue(misses[1] > 2 * misses[0], "4 entries miss far more than 64: " + misses[0] + " vs " + misses[1]);
    }

    @Test
    void notALackeyTraceIsBadInput() throws Exception {
        Path notLackey = out.resolve("x.lackey");
        Files.writeString(notLackey, "hello\nworld\n");
        CommandLineTestAccess.Outcome o = CommandLineTestAccess.mmsim("replay", "lackey", notLackey.toString(), "--out", out.resolve("r").toString());
        assertEquals(2, o.status(), o.stdout() + o.stderr());
        assertTrue(o.stderr().contains("not valgrind lackey output (line 1: 'hello')"), o.stderr());
        assertFalse(o.stderr().strip().contains("\n"), o.stderr());
        CommandLineTestAccess.Outcome missing = CommandLineTestAccess.mmsim("replay", "lackey", out.resolve("nope").toString());
        assertEquals(2, missing.status());
        assertTrue(missing.stderr().contains("no such readable file"), missing.stderr());
        CommandLineTestAccess.Outcome format = CommandLineTestAccess.mmsim("replay", "perf", notLackey.toString());
        assertEquals(2, format.status());
        assertTrue(format.stderr().contains("strace, lackey"), format.stderr());
    }
}
