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
    /** The kernel of the current run, for bodies that inspect pages ({@link Kernel#inspect}) or kernel state (a process's zombie state). */
    volatile Kernel kernel;
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

    /** Every fork strategy under every shootdown strategy, as "fork/shootdown". */
    static java.util.stream.Stream<String> machines() {
        return java.util.stream.Stream.of("eager", "cow", "odf").flatMap(f ->
                mmsim.shootdown.Shootdowns.NAMES.stream().map(s -> f + "/" + s));
    }

    /** Every fork strategy, under the default shootdown strategy. */
    static java.util.stream.Stream<String> forks() {
        return java.util.stream.Stream.of("eager", "cow", "odf");
    }

    /** The fork strategies that share frames (cow, odf) under every shootdown strategy. */
    static java.util.stream.Stream<String> sharingMachines() {
        return machines().filter(m -> !m.startsWith("eager"));
    }

    /**
     * Boots {@code cpus} CPUs with {@code memory}, the machine named "fork/shootdown" (or just a fork
     * strategy) in checking mode and extra settings, runs init, checks that the oracle saw no stale
     * translation, that the kernel met no internal error (the zero frame was never written) and that every frame
     * came back.
     */
    ExitStatus run(int cpus, String memory, String machineName, ProcessBody init, String... settings) throws Exception {
        String[] names = machineName.split("/");
        java.util.List<String> list = new java.util.ArrayList<>(java.util.List.of("fork.strategy", names[0], "checking", "true"));
        if (names.length > 1) {
            list.add("shootdown.strategy");
            list.add(names[1]);
        }
        list.addAll(java.util.List.of(settings));
        String[] all = list.toArray(new String[0]);
        try (Machine machine = TestMachines.boot(cpus, memory, all)) {
            this.machine = machine;
            ExitStatus status;
            Kernel kernel = Kernel.boot(machine);
            try {
                this.kernel = kernel;
                status = kernel.run(init, Duration.ofSeconds(90));
            } finally {
                kernel.close();
            }
            counters = machine.countersTotal();
            assertEquals(List.of(), kernel.panics(), "kernel panics, the zero frame's check at shutdown included");
            assertEquals(List.of(), machine.oracle().violations(), "stale translations seen by the oracle");
            assertEquals(List.of(), List.copyOf(failures), "failures inside simulated processes");
            assertEquals(0L, counters.get(mmsim.stats.CpuCounter.ORACLE_STALE_HITS), "stale translation hits");
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
