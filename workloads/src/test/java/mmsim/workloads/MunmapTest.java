package mmsim.workloads;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import mmsim.run.RunResult;
import mmsim.shootdown.Shootdowns;

class MunmapTest {
    private static final int ROUNDS = 32;
    private static final Map<String, String> SETTINGS = Map.of("munmap.pages", "8", "munmap.rounds", Integer.toString(ROUNDS));

    static Stream<String> strategies() {
        return Shootdowns.NAMES.stream();
    }

    private static Map<String, String> machine(String strategy) {
        return Map.of("cpus", "3", "memory", "32MiB", "shootdown.strategy", strategy);
    }

    @ParameterizedTest
    @MethodSource("strategies")
    void afterMunmapNoThreadReadsTheOldFramesThroughTheFreshMapping(String strategy) throws Exception {
        assertEveryFreshMappingReadZeros(strategy);
    }

    /** LATR's window is widest with few ticks: a fresh mapping must still never land on a range some CPU may still translate. */
    @RepeatedTest(8)
    void underLatrAFreshMappingNeverReusesARangeStillBeingFlushedLazily() throws Exception {
        assertEveryFreshMappingReadZeros("latr");
    }

    private static void assertEveryFreshMappingReadZeros(String strategy) throws Exception {
        RunResult r = WorkloadRuns.checked("munmap", machine(strategy), SETTINGS);
        assertTrue(r.passed(), WorkloadRuns.explain(r));
        assertEquals(ROUNDS, r.stats().value("munmap.rounds", -1));
        assertEquals(ROUNDS, r.stats().distribution("munmap.munmap_ns").count(), "one timed munmap per round");
        assertEquals(2 * ROUNDS, r.stats().value("shootdown.reason.munmap", -1), "both munmaps of every round shot down");
        assertTrue(r.stats().distribution("shootdown.initiator_cycles").count() >= 2 * ROUNDS, "every shootdown was timed");
    }

    @Test
    void aStrategyThatSkipsRemoteCpusFailsTheFreshMappingCheck() throws Exception {
        RunResult r = WorkloadRuns.checkedWith(SkipsRemoteCpusShootdown::new, "munmap", machine("targeted"), SETTINGS);
        assertFalse(r.passed(), "the broken strategy went unnoticed: " + WorkloadRuns.explain(r));
        assertTrue(r.problems().stream().anyMatch(p -> p.startsWith("munmap: round")),
                "the workload's own check saw an old frame through the fresh mapping: " + r.problems());
    }
}
