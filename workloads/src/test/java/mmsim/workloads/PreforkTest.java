package mmsim.workloads;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import mmsim.run.RunResult;

class PreforkTest {

    private static RunResult run(String fork, String writeFraction) throws Exception {
        return WorkloadRuns.checked("prefork", Map.of("cpus", "3", "memory", "48MiB", "fork.strategy", fork),
                Map.of("prefork.workers", "3", "prefork.data", "1MiB", "prefork.requests", "300",
                        "prefork.write_fraction", writeFraction));
    }

    @ParameterizedTest
    @ValueSource(strings = {"eager", "cow", "odf"})
    void everyReplyMatchesTheTableAndEveryWorkerExitsCleanly(String fork) throws Exception {
        RunResult r = run(fork, "0.2");
        assertTrue(r.passed(), WorkloadRuns.explain(r));
        assertEquals(300, r.stats().value("prefork.requests", -1));
        assertEquals(300, r.stats().distribution("prefork.request_ns").count());
        assertEquals(3, r.stats().value("forks", -1), "one fork per worker");
        long sharedFaults = r.stats().value("faults.shared", -1);
        if (fork.equals("odf")) {
            assertTrue(sharedFaults >= 1, "the master faulted on the shared statistics' page; the workers reach its entry "
                    + "through the leaf table fork shared with them (the workload checks the counts it holds): " + sharedFaults);
        } else {
            assertTrue(sharedFaults >= 4, "the master and every worker faulted on the shared statistics' page (fork leaves "
                    + "a shared area for the child to fault in; the workload checks the counts it holds): " + sharedFaults);
        }
        long cowCopies = r.stats().value("faults.cow_copy", -1);
        if (fork.equals("eager")) {
            assertEquals(0, cowCopies, "eagerly forked workers own their copies");
        } else {
            assertTrue(cowCopies > 0, "workers writing into the inherited heap copy its pages");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"eager", "cow", "odf"})
    void sigtermStopsEveryWorkerBlockedInItsRead(String fork) throws Exception {
        RunResult r = WorkloadRuns.checked("prefork", Map.of("cpus", "3", "memory", "48MiB", "fork.strategy", fork),
                Map.of("prefork.workers", "3", "prefork.data", "1MiB", "prefork.requests", "300",
                        "prefork.write_fraction", "0.2", "prefork.stop", "sigterm"));
        assertTrue(r.passed(), WorkloadRuns.explain(r));
        assertEquals(300, r.stats().value("prefork.requests", -1));
    }

    @Test
    void readOnlyRequestsCopyNoPage() throws Exception {
        RunResult r = run("cow", "0");
        assertTrue(r.passed(), WorkloadRuns.explain(r));
        assertEquals(300, r.stats().value("prefork.requests", -1));
        assertEquals(0, r.stats().value("faults.cow_copy", -1),
                "workers that only read, and count in the shared statistics, share every page with the master");
    }
}
