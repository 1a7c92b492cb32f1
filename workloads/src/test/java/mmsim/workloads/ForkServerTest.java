package mmsim.workloads;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import mmsim.run.RunResult;

class ForkServerTest {

    @ParameterizedTest
    @ValueSource(strings = {"eager", "cow", "odf"})
    void everyChildReadsTheParentsHeapAndExitsCleanly(String fork) throws Exception {
        RunResult r = WorkloadRuns.checked("forkserver", Map.of("cpus", "2", "memory", "32MiB", "fork.strategy", fork),
                Map.of("forkserver.heap", "2MiB", "forkserver.forks", "6"));
        assertTrue(r.passed(), WorkloadRuns.explain(r));
        assertEquals(6, r.stats().value("forkserver.children", -1));
        assertEquals(6, r.stats().distribution("forkserver.fork_ns").count());
        assertEquals(6, r.stats().value("forks", -1), "the kernel counted every fork");
        if (fork.equals("eager")) {
            assertTrue(r.stats().value("fork.pages_copied", 0) >= 6 * 512, "eager fork copies the heap each time");
        } else {
            assertTrue(r.stats().value("faults.cow_copy", 0) + r.stats().value("faults.table_copy", 0) > 0,
                    "children that write take COW or table-copy faults");
        }
    }
}
