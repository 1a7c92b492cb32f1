package mmsim.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;

import mmsim.Machine;
import mmsim.TestMachines;

/** Runs an init body on a fresh machine and kernel, then checks that every frame came back. */
final class KernelHarness {
    /** Failures seen inside simulated processes, reported by the test thread. */
    final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
    /** The machine of the current run, for bodies that inspect page tables and frames. */
    volatile Machine machine;
    /** Every CPU's counters summed, after the last run. */
    java.util.Map<mmsim.stats.CpuCounter, Long> counters;

    void check(boolean condition, String message) {
        if (!condition) {
            failures.add(message);
        }
    }

    void checkEquals(long expected, long actual, String message) {
        if (expected != actual) {
            failures.add(message + ": expected " + expected + " but was " + actual);
        }
    }

    /** Boots {@code cpus} CPUs with {@code memory}, the fork strategy and extra settings, runs init, checks conservation. */
    ExitStatus run(int cpus, String memory, String forkStrategy, ProcessBody init, String... settings) throws Exception {
        String[] all = new String[settings.length + 2];
        all[0] = "fork.strategy";
        all[1] = forkStrategy;
        System.arraycopy(settings, 0, all, 2, settings.length);
        try (Machine machine = TestMachines.boot(cpus, memory, all)) {
            this.machine = machine;
            ExitStatus status;
            try (Kernel kernel = Kernel.boot(machine)) {
                status = kernel.run(init, Duration.ofSeconds(90));
            }
            counters = machine.countersTotal();
            assertEquals(List.of(), List.copyOf(failures), "failures inside simulated processes");
            assertEquals(0, machine.frames().framesReferenced(), "every frame is unreferenced after all processes exited");
            assertEquals(machine.config().frames(), machine.framePool().freeFramesQuiescent(), "every frame is back in the pool");
            return status;
        }
    }

    static void assertExited(int code, ExitStatus status) {
        assertTrue(status.exitedNormally(), "expected a normal exit, got " + status);
        assertEquals(code, status.code(), status.toString());
    }
}
