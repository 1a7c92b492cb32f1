package mmsim.kernel;

import java.util.concurrent.atomic.AtomicLongArray;

import mmsim.cpu.Cpu;
import mmsim.stats.CpuCounter;
import mmsim.stats.SingleWriterCounters;

/**
 * The resource usage of one process ({@link Rusage}): its own, and that of its reaped children
 * (RUSAGE_CHILDREN: each child's own plus its reaped children's, added when the parent reaps it).
 *
 * <p>How it is counted: by attributing the per-CPU counters ({@link CpuCounter}) at context switches.
 * When a task takes a CPU, {@link #begin} notes the CPU's counters in the task's mark; when it gives the
 * CPU away (or exits, or asks for its usage), {@link #settle} adds what the counters grew by since then.
 * So the TLB-hit path, the fault handler and the shootdown paths stay as they are — no per-process
 * increment anywhere on them — and the cost is one pass over the counters per context switch (a few
 * hundred nanoseconds, beside a hand-off that costs microseconds of host time). Every event a CPU counts
 * while a task holds it goes to the task's process: exact for what the task causes (its faults, the
 * shootdowns it initiates), and for interrupts its CPU handled meanwhile ({@code shootdown.ipis_received}:
 * the interruptions the process suffered, whichever space they were for).
 *
 * <p>Thread-safety: a task's mark is touched only by the task's own thread while it holds a CPU; the
 * totals are atomic, since threads of one process settle from several CPUs at once. A process's own total
 * is final once its last thread settled, before the process becomes a zombie; its parent reads it after
 * reaping it.
 */
final class ProcessUsage {
    private static final CpuCounter[] COUNTERS = CpuCounter.all();
    private static final int[] SLOTS = new int[COUNTERS.length];

    static {
        for (int i = 0; i < COUNTERS.length; i++) {
            SLOTS[i] = SingleWriterCounters.slotOf(COUNTERS[i]);
        }
    }

    private final AtomicLongArray self = new AtomicLongArray(COUNTERS.length);
    private final AtomicLongArray children = new AtomicLongArray(COUNTERS.length);

    /** A mark for a new task: the counter values its current stretch on a CPU started from. */
    static long[] newMark() {
        return new long[COUNTERS.length];
    }

    /** Task {@code t} took {@code cpu}: its account starts from the CPU's counters now. On {@code t}'s thread. */
    static void begin(Task t, Cpu cpu) {
        long[] slots = cpu.counters().ownerSlots();
        long[] mark = t.usageMark;
        for (int i = 0; i < mark.length; i++) {
            mark[i] = slots[SLOTS[i]];
        }
    }

    /**
     * Adds what {@code cpu}'s counters grew by since {@code t}'s mark to this process, and moves the mark
     * to now. On {@code t}'s thread, while it holds {@code cpu}.
     */
    void settle(Task t, Cpu cpu) {
        long[] slots = cpu.counters().ownerSlots();
        long[] mark = t.usageMark;
        for (int i = 0; i < mark.length; i++) {
            long now = slots[SLOTS[i]];
            long delta = now - mark[i];
            if (delta != 0) {
                self.getAndAdd(i, delta);
                mark[i] = now;
            }
        }
    }

    /** A reaped child's own usage and its reaped children's join this process's children's usage. */
    void addReapedChild(ProcessUsage child) {
        for (int i = 0; i < COUNTERS.length; i++) {
            long v = child.self.get(i) + child.children.get(i);
            if (v != 0) {
                children.getAndAdd(i, v);
            }
        }
    }

    /** This process's own usage: its threads' stretches on CPUs up to their last context switch or settle. */
    Rusage self() {
        return snapshot(self);
    }

    /** The usage of the children it reaped, and of theirs. */
    Rusage children() {
        return snapshot(children);
    }

    private static Rusage snapshot(AtomicLongArray totals) {
        long[] counts = new long[COUNTERS.length];
        for (int i = 0; i < counts.length; i++) {
            counts[i] = totals.get(i);
        }
        return new Rusage(counts);
    }
}
