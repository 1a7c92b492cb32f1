package mmsim.workloads;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import mmsim.run.RunResult;
import mmsim.shootdown.Shootdowns;

class MadviseTest {
    /**
     * Twice as many threads as CPUs and a 50 µs quantum: threads are preempted between a page's store,
     * madvise and read-back and resume on another CPU, which leaves translations in TLBs other than the
     * madvising CPU's, the ones only a remote flush removes.
     */
    private static final Map<String, String> MIGRATING = Map.of("madvise.threads", "6", "madvise.size", "64KiB", "madvise.passes", "512");

    static Stream<String> strategies() {
        return Shootdowns.NAMES.stream();
    }

    private static Map<String, String> machine(String strategy, String quantumMicros) {
        return Map.of("cpus", "3", "memory", "32MiB", "shootdown.strategy", strategy, "sched.quantum.us", quantumMicros);
    }

    @ParameterizedTest
    @MethodSource("strategies")
    void everyPageReadsZeroAfterMadvise(String strategy) throws Exception {
        RunResult r = WorkloadRuns.checked("madvise", machine(strategy, "2000"), Map.of("madvise.size", "128KiB", "madvise.passes", "2"));
        assertTrue(r.passed(), WorkloadRuns.explain(r));
        long pages = 3 * 32 * 2;
        assertEquals(pages, r.stats().value("madvise.pages", -1), "threads x pages x passes");
        assertEquals(pages, r.stats().distribution("madvise.madvise_ns").count(), "one timed madvise per page");
        assertEquals(pages, r.stats().value("shootdown.reason.madvise", -1), "every madvise shot down");
    }

    @ParameterizedTest
    @MethodSource("strategies")
    void threadsMovingBetweenCpusStillReadZeros(String strategy) throws Exception {
        RunResult r = WorkloadRuns.checked("madvise", machine(strategy, "50"), MIGRATING);
        assertTrue(r.passed(), WorkloadRuns.explain(r));
        assertEquals(6 * 16 * 512, r.stats().value("madvise.pages", -1), "threads x pages x passes");
        assertTrue(r.stats().value("sched.context_switches", 0) > 10 * 6, "every thread was preempted, again and again");
    }

    /**
     * Without the zero page: a read-back after DONTNEED then maps a fresh frame, so a stale entry left behind
     * still reaches the old frame and its non-zero value, instead of often the zero frame, whose 0 the check
     * cannot tell from a correct read (the stale-translation oracle flags both).
     */
    @Test
    void aStrategyThatSkipsRemoteCpusFailsTheReadBackCheck() throws Exception {
        Map<String, String> machine = new java.util.HashMap<>(machine("targeted", "50"));
        machine.put("mm.zero_page", "false");
        RunResult r = WorkloadRuns.checkedWith(SkipsRemoteCpusShootdown::new, "madvise", machine, MIGRATING);
        assertFalse(r.passed(), "the broken strategy went unnoticed: " + WorkloadRuns.explain(r));
        assertTrue(r.problems().stream().anyMatch(p -> p.startsWith("madvise: thread")),
                "the workload's own check read a dropped page's old value: " + r.problems());
    }
}
