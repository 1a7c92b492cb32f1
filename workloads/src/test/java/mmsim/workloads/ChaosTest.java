package mmsim.workloads;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import mmsim.run.RunResult;
import mmsim.shootdown.Shootdowns;

/**
 * A short randomized soak (the chaos workload, both oracles on) for every shootdown strategy × fork strategy, with
 * private and shared mappings and the zero page.
 */
class ChaosTest {

    static Stream<String> machines() {
        return Shootdowns.NAMES.stream().flatMap(s -> Stream.of("eager", "cow", "odf").map(f -> s + "/" + f));
    }

    @ParameterizedTest
    @MethodSource("machines")
    void aShortSoakRunsCleanUnderBothOracles(String machine) throws Exception {
        String[] parts = machine.split("/");
        long seed = 20261121L + machine.hashCode();
        RunResult r = WorkloadRuns.checked("chaos", Map.of("cpus", "3", "memory", "128MiB", "seed", Long.toString(seed),
                "shootdown.strategy", parts[0], "fork.strategy", parts[1]), Map.of("chaos.seconds", "1"));
        assertTrue(r.passed(), "seed " + seed + "\n" + WorkloadRuns.explain(r));
        assertTrue(r.stats().value("chaos.ops.fork", 0) > 0 && r.stats().value("chaos.ops.munmap", 0) > 0,
                "the soak forked and unmapped: " + r.stats().values().keySet());
        assertTrue(r.stats().value("chaos.ops.kill", 0) > 0 && r.stats().value("chaos.ops.affinity", 0) > 0,
                "the soak killed children and pinned threads: " + r.stats().values());
        assertTrue(r.stats().value("chaos.ops.mremap", 0) > 0 && r.stats().value("chaos.ops.map_fixed", 0) > 0,
                "the soak remapped and mapped over its regions: " + r.stats().values().keySet());
        assertTrue(r.stats().value("tables.freed", 0) > 0, "the soak's munmaps and moves freed page tables");
        assertTrue(r.stats().value("chaos.content_checks", 0) > 1000, "the soak checked reads");
        assertTrue(r.stats().value("shootdown.initiated", 0) > 0, "the soak caused shootdowns");
        assertTrue(r.stats().value("chaos.ops.mmap_shared", 0) > 0 && r.stats().value("faults.shared", 0) > 0,
                "the soak mapped and touched shared mappings");
        assertTrue(r.stats().value("chaos.ops.take_back", 0) > 0,
                "the soak read shared words back from children and threads that wrote them");
        assertTrue(r.stats().value("faults.zero_page", 0) > 0 && r.stats().value("faults.zero_page_write", 0) > 0,
                "the soak read untouched pages through the zero page, then wrote some of them");
    }

    /** The soak on two sockets (cross-socket IPIs, multicast's forwarding) under every strategy, checked. */
    @ParameterizedTest
    @MethodSource("strategies")
    void aSoakOnTwoSocketsRunsClean(String strategy) throws Exception {
        long seed = 20261130L + strategy.hashCode();
        RunResult r = WorkloadRuns.checked("chaos", Map.of("cpus", "4", "topology.sockets", "2", "memory", "128MiB",
                "seed", Long.toString(seed), "shootdown.strategy", strategy, "sim.deterministic", "true"), Map.of("chaos.cycles", "20000000"));
        assertTrue(r.passed(), "seed " + seed + "\n" + WorkloadRuns.explain(r));
        assertTrue(r.stats().value("shootdown.initiated", 0) > 0, "the soak caused shootdowns");
    }

    static Stream<String> strategies() {
        return Shootdowns.NAMES.stream();
    }

    /** The deterministic mode walks for chaos.cycles of modeled time (its default here), checked, and replays exactly. */
    @Test
    void aDeterministicSoakPassesBothOraclesAndEndsAtOneModeledTime() throws Exception {
        Map<String, String> machine = Map.of("cpus", "4", "memory", "128MiB", "seed", "11", "sim.deterministic", "true");
        RunResult a = WorkloadRuns.checked("chaos", machine, Map.of());
        assertTrue(a.passed(), WorkloadRuns.explain(a));
        RunResult b = WorkloadRuns.checked("chaos", machine, Map.of());
        assertTrue(b.passed(), WorkloadRuns.explain(b));
        long end = a.stats().value("modeled.time", -1);
        assertTrue(end >= Chaos.DEFAULT_CYCLES, "the walk ran its modeled budget: " + end);
        assertEquals(end, b.stats().value("modeled.time", -1), "both runs end at one modeled time");
        assertEquals(a.stats().value("chaos.content_checks", -1), b.stats().value("chaos.content_checks", -2));
    }

    /** Given chaos.cycles, the default mode stops on the modeled budget too, long before chaos.seconds' default of 10. */
    @Test
    void givenCyclesTheDefaultModeWalksForModeledTime() throws Exception {
        RunResult r = WorkloadRuns.checked("chaos", Map.of("cpus", "3", "memory", "64MiB"), Map.of("chaos.cycles", "3000000"));
        assertTrue(r.passed(), WorkloadRuns.explain(r));
        assertTrue(r.stats().value("modeled.time", -1) >= 3_000_000, "ran the budget: " + r.stats().value("modeled.time", -1));
        assertTrue(r.wallNanos() < 8_000_000_000L, "stopped on modeled time, not after 10 host seconds: " + r.wallNanos() + " ns");
    }
}
