package mmsim.run;

import java.time.Instant;
import java.util.List;

import mmsim.kernel.ExitStatus;
import mmsim.stats.StatsSnapshot;

/**
 * What one run did: how init ended (null when the watchdog fired first), every problem the harness and
 * the workload found (empty when the run passed), every metric, and whether its simulated tasks ran on
 * virtual threads (the rest of how it ran on the host is in its machine settings: {@code sim.deterministic},
 * {@code sim.parallelism}).
 */
public record RunResult(RunSpec spec, ExitStatus init, List<String> problems, StatsSnapshot stats,
                        Instant started, Instant ended, long wallNanos, boolean virtualThreads) {

    public RunResult {
        problems = List.copyOf(problems);
    }

    /** No problem was found: init exited 0, frames were conserved, no oracle or workload check failed. */
    public boolean passed() {
        return problems.isEmpty();
    }
}
