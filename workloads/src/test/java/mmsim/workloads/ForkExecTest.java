package mmsim.workloads;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import mmsim.run.RunResult;

class ForkExecTest {
    private static final long RESIDENT_PAGES = (2L << 20) / 4096;

    @ParameterizedTest
    @ValueSource(strings = {"eager", "cow", "odf"})
    void everyExecdChildLosesTheParentsHeapAndExitsCleanly(String fork) throws Exception {
        RunResult r = WorkloadRuns.checked("forkexec", Map.of("cpus", "2", "memory", "32MiB", "fork.strategy", fork),
                Map.of("forkexec.resident", "2MiB", "forkexec.spawns", "6", "forkexec.image", "64KiB"));
        assertTrue(r.passed(), WorkloadRuns.explain(r));
        assertEquals(6, r.stats().distribution("forkexec.spawn_ns").count());
        assertEquals(6, r.stats().distribution("forkexec.fork_ns").count());
        assertEquals(6, r.stats().value("forks", -1), "the kernel counted every fork");
        assertEquals(0, r.stats().value("faults.cow_copy", -1), "the child execs before it writes: nothing is copied on write");
        if (fork.equals("eager")) {
            assertTrue(r.stats().value("fork.pages_copied", 0) >= 6 * RESIDENT_PAGES, "eager fork copies the heap for each spawn");
        } else if (fork.equals("cow")) {
            assertTrue(r.stats().value("fork.ptes_protected", 0) >= RESIDENT_PAGES, "the first fork write-protects the whole heap");
        }
    }
}
