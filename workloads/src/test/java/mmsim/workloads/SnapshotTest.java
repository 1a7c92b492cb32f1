package mmsim.workloads;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import mmsim.run.RunResult;

class SnapshotTest {
    private static final long PAGE = 4096;
    private static final long DATA_PAGES = (8L << 20) / PAGE;

    @ParameterizedTest
    @ValueSource(strings = {"eager", "cow", "odf"})
    void childChecksumEqualsDataAtForkWhileTheParentWrites(String fork) throws Exception {
        RunResult r = WorkloadRuns.checked("snapshot", Map.of("cpus", "2", "memory", "64MiB", "fork.strategy", fork),
                Map.of("snapshot.data", "8MiB", "snapshot.writes", "400", "snapshot.rounds", "2"));
        assertTrue(r.passed(), WorkloadRuns.explain(r));
        assertEquals(2, r.stats().value("snapshot.rounds", -1));
        assertEquals(2, r.stats().distribution("snapshot.duration_ns").count());
        assertEquals(2 * 400, r.stats().distribution("snapshot.write_ns").count());
        assertTrue(r.stats().value("snapshot.peak_frames", 0) >= DATA_PAGES, "the dataset's frames are in use at the fork");
        long copied = r.stats().value("snapshot.copied_bytes", -1);
        long cowCopies = r.stats().value("faults.cow_copy", -1);
        if (fork.equals("eager")) {
            assertTrue(r.stats().value("fork.pages_copied", 0) >= 2 * DATA_PAGES, "eager fork copies the dataset each round");
            assertEquals(0, copied, "after an eager fork the parent's pages stay where they are");
        } else {
            long cowFaults = cowCopies + r.stats().value("faults.cow_reuse", 0);
            // copy or reuse depends on whether the child still holds the page when the parent writes it; a COW fault of
            // one kind or the other is certain, since fork write-protected every page the parent then writes
            assertTrue(cowFaults > 0, "the parent's writes after the fork take COW faults: " + cowCopies + " copies");
            assertEquals(cowCopies * PAGE, copied, "every COW copy is one the parent's writes made, and the parent saw each");
        }
    }

    @Test
    void aModelThatForgetsOneWriteFailsTheNextRoundsChecksum() throws Exception {
        int writes = 50;
        RunResult r = WorkloadRuns.run(new Snapshot(writes - 1), Map.of("cpus", "2", "memory", "32MiB"),
                Map.of("snapshot.data", "1MiB", "snapshot.writes", Integer.toString(writes), "snapshot.rounds", "2"), null);
        assertFalse(r.passed(), "the last write of round 0 is in round 1's data but not in the model");
        assertTrue(r.problems().stream().anyMatch(p -> p.contains("round 1: the child's checksum")), WorkloadRuns.explain(r));
        assertTrue(r.problems().stream().noneMatch(p -> p.contains("round 0")), "round 0's snapshot predates the write: "
                + WorkloadRuns.explain(r));
    }
}
