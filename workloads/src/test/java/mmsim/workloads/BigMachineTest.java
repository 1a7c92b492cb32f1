package mmsim.workloads;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import mmsim.run.RunResult;

/**
 * A machine as large as researchers study, 256 simulated CPUs, in the default mode on the host's few cores (two
 * on the project's machines): bounded host parallelism lets each run finish in seconds, in checking mode and
 * clean (both oracles silent, every frame back in the pool, init exited 0: {@link RunResult#passed}).
 */
class BigMachineTest {
    private static final Map<String, String> MACHINE = Map.of("cpus", "256", "shootdown.strategy", "linux");

    /**
     * 256 threads, one per CPU, touch every page of each round's region; each munmap shoots down 255 remote TLBs.
     * Under targeted, which interrupts every CPU of the cpumask, idle or not (linux skips the lazy ones, and how
     * many CPUs are idle at an unmap depends on the interleaving), so at least 255 IPIs are certain.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void munmapOn256CpusCompletesCheckedAndClean() throws Exception {
        Map<String, String> machine = with("memory", "64MiB");
        machine.put("shootdown.strategy", "targeted");
        RunResult r = WorkloadRuns.checked("munmap", machine, Map.of("munmap.pages", "4", "munmap.rounds", "3"));
        assertTrue(r.passed(), WorkloadRuns.explain(r));
        assertEquals(3, r.stats().value("munmap.rounds", -1));
        assertEquals(0, r.stats().value("oracle.stale_hits", -1));
        assertTrue(r.stats().value("shootdown.ipis_sent", 0) >= 255, "a munmap interrupted the other CPUs: "
                + r.stats().value("shootdown.ipis_sent", 0));
    }

    /** A random walk on each of 256 CPUs for a modeled budget (chaos.cycles: host time would give 256 CPUs little each). */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void chaosOn256CpusCompletesCheckedAndClean() throws Exception {
        RunResult r = WorkloadRuns.checked("chaos", with("memory", "256MiB"), Map.of("chaos.cycles", "4000000"));
        assertTrue(r.passed(), WorkloadRuns.explain(r));
        assertEquals(0, r.stats().value("oracle.stale_hits", -1));
        System.out.println("chaos on 256 CPUs: " + r.stats().value("chaos.content_checks", 0) + " checked reads");
        assertTrue(r.stats().value("chaos.content_checks", 0) > 10_000, "the walks checked reads: "
                + r.stats().value("chaos.content_checks", 0));
        assertTrue(r.stats().value("modeled.time", 0) >= 4_000_000, "the walk ran its modeled budget: "
                + r.stats().value("modeled.time", 0));
    }

    private static Map<String, String> with(String key, String value) {
        Map<String, String> m = new java.util.HashMap<>(MACHINE);
        m.put(key, value);
        return m;
    }
}
