package mmsim.workloads;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import mmsim.run.RunResult;

/**
 * abis never sends more than linux: on each shootdown workload, run deterministically with one seed under both,
 * abis's IPIs and shootdowns that reach another CPU are at most linux's (its targets are linux's, minus those
 * access tracking rules out). Both runs pass both oracles.
 */
class AccessTrackingTest {
    @ParameterizedTest
    @ValueSource(strings = {"munmap", "mprotect", "madvise", "chaos", "snapshot", "forkserver"})
    void abisNeverSendsMoreThanLinux(String workload) throws Exception {
        Map<String, String> settings = workload.equals("chaos") ? Map.of("chaos.cycles", "20000000") : Map.of();
        RunResult linux = run(workload, "linux", settings);
        RunResult abis = run(workload, "abis", settings);
        long linuxIpis = linux.stats().value("shootdown.ipis_sent", -1);
        long abisIpis = abis.stats().value("shootdown.ipis_sent", -1);
        long linuxRemote = linux.stats().value("shootdown.remote", -1);
        long abisRemote = abis.stats().value("shootdown.remote", -1);
        System.out.printf("%s: IPIs linux %d abis %d; shootdowns reaching another CPU linux %d abis %d (of %d and %d)%n", workload,
                linuxIpis, abisIpis, linuxRemote, abisRemote, linux.stats().value("shootdown.initiated", -1),
                abis.stats().value("shootdown.initiated", -1));
        assertTrue(abisIpis <= linuxIpis, workload + ": abis sent " + abisIpis + " IPIs, linux " + linuxIpis);
        assertTrue(abisRemote <= linuxRemote, workload + ": abis reached other CPUs " + abisRemote + " times, linux " + linuxRemote);
    }

    private static RunResult run(String workload, String strategy, Map<String, String> settings) throws Exception {
        RunResult r = WorkloadRuns.checked(workload, Map.of("cpus", "4", "memory", "128MiB", "seed", "5",
                "sim.deterministic", "true", "shootdown.strategy", strategy), settings);
        assertTrue(r.passed(), strategy + ": " + WorkloadRuns.explain(r));
        return r;
    }
}
