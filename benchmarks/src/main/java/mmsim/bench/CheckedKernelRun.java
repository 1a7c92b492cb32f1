package mmsim.bench;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeoutException;

import mmsim.Machine;
import mmsim.kernel.ExitStatus;
import mmsim.kernel.Kernel;
import mmsim.kernel.ProcessBody;
import mmsim.stats.CpuCounter;

/**
 * Runs one init process on a booted kernel and fails loudly unless it exited with 0 and the expected
 * counters grew by exactly the expected amounts: a benchmark whose work did not happen as intended
 * (a fault of another kind, a missing fork) must not report a fast number.
 */
final class CheckedKernelRun {
    /** Generous: the slowest invocation (an eager fork sweep at 1 GiB) takes tens of seconds. */
    private static final Duration TIMEOUT = Duration.ofMinutes(30);

    private CheckedKernelRun() {
    }

    /**
     * Runs {@code init} to completion (with every process it forks), then checks its exit status and
     * each counter delta in {@code expected}, summed over all CPUs. Returns every counter's delta.
     *
     * @throws IllegalStateException naming every mismatch
     */
    static Map<CpuCounter, Long> run(Machine machine, Kernel kernel, ProcessBody init, Map<CpuCounter, Long> expected, String what)
            throws InterruptedException, TimeoutException {
        Map<CpuCounter, Long> before = machine.countersTotal();
        ExitStatus status = kernel.run(init, TIMEOUT);
        if (!status.exitedNormally() || status.code() != 0) {
            throw new IllegalStateException(what + ": init ended with " + status
                    + " (non-zero: a simulated process saw wrong memory contents or a child failed)");
        }
        Map<CpuCounter, Long> deltas = machine.countersTotal();
        deltas.replaceAll((counter, after) -> after - before.get(counter));
        StringBuilder wrong = new StringBuilder();
        for (Map.Entry<CpuCounter, Long> e : expected.entrySet()) {
            long delta = deltas.get(e.getKey());
            if (delta != e.getValue()) {
                wrong.append(' ').append(e.getKey().key()).append(": expected +").append(e.getValue())
                        .append(", got +").append(delta).append(';');
            }
        }
        if (wrong.length() > 0) {
            throw new IllegalStateException(what + ": counters off:" + wrong);
        }
        return deltas;
    }

    /** After the kernel closed: every frame is back in the pool (invariant 8). */
    static void checkFramesConserved(Machine machine) {
        long referenced = machine.frames().framesReferenced();
        long accounted = machine.framesAccountedQuiescent();
        if (referenced != 0 || accounted != machine.config().frames()) {
            throw new IllegalStateException("frames leaked: " + referenced + " still referenced, "
                    + accounted + " of " + machine.config().frames() + " accounted for");
        }
    }
}
