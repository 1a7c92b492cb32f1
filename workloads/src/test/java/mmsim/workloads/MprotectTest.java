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

class MprotectTest {
    static Stream<String> strategies() {
        return Shootdowns.NAMES.stream();
    }

    private static Map<String, String> machine(String strategy) {
        return Map.of("cpus", "3", "memory", "32MiB", "shootdown.strategy", strategy);
    }

    @ParameterizedTest
    @MethodSource("strategies")
    void everyWriteAfterRevokingWriteAccessFaults(String strategy) throws Exception {
        int rounds = 4;
        int toggles = 100;
        RunResult r = WorkloadRuns.checked("mprotect", machine(strategy),
                Map.of("mprotect.toggles", Integer.toString(toggles), "mprotect.rounds", Integer.toString(rounds)));
        assertTrue(r.passed(), WorkloadRuns.explain(r));
        assertEquals(rounds, r.stats().value("mprotect.revoked_write_faults", -1), "every round's revoked write faulted");
        assertEquals(rounds, r.stats().value("kills.segfault", -1), "one child killed per round, by that write");
        assertEquals((long) rounds * toggles, r.stats().distribution("mprotect.mprotect_ns").count(), "every revocation was timed");
        assertEquals((long) rounds * (toggles + 1), r.stats().value("shootdown.reason.mprotect", -1),
                "every mprotect(READ) of a written page shot down, the final check's included");
    }

    @Test
    void aStrategyThatSkipsRemoteCpusLetsARevokedWriteLand() throws Exception {
        RunResult r = WorkloadRuns.checkedWith(SkipsRemoteCpusShootdown::new, "mprotect", machine("targeted"),
                Map.of("mprotect.toggles", "20", "mprotect.rounds", "12"));
        assertFalse(r.passed(), "the broken strategy went unnoticed: " + WorkloadRuns.explain(r));
        assertTrue(r.problems().stream().anyMatch(p -> p.startsWith("mprotect: round")),
                "the init process saw a child whose revoked write landed: " + r.problems());
    }
}
