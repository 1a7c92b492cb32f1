package mmsim.kernel;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
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
 * CPU away (or exits, or asks for its usage), {@link #settle} adds what the counters grew by since then to the
 * task's own totals. So the TLB-hit path, the fault handler and the shootdown paths stay as they are — no
 * per-process increment anywhere on them — and the cost is one pass over the counters per context switch, with
 * plain adds: the task's totals are its own thread's. A process's usage is the totals of the threads that ended
 * ({@link #retire}, once per thread) plus those of its live threads, summed when asked. Every event a CPU counts
 * while a task holds it goes to the task's process: exact for what the task causes (its faults, the
 * shootdowns it initiates), and for interrupts its CPU handled meanwhile ({@code shootdown.ipis_received}:
 * the interruptions the process suffered, whichever space they were for).
 *
 * <p>Why per task: the totals used to be the process's, atomic, since threads of one process settle from several
 * CPUs at once; in chaos (init's walker threads all one process, yielding about every other access) those adds were
 * 4 % of a 4-CPU run's samples, each on lines the other host core had just written.
 *
 * <p>Thread-safety: a task's mark and totals are written only by the task's own thread while it holds a CPU; others
 * read the totals with opaque loads ({@link #self}: up to each live thread's last settle). Retiring a thread and
 * summing the threads both happen under the process's monitor, with the thread's removal from the process's live
 * threads, so a sum counts each thread exactly once. A process's own total is final once its last thread retired,
 * before the process becomes a zombie; its parent reads it after reaping it.
 */
final class ProcessUsage {
    private static final CpuCounter[] COUNTERS = CpuCounter.all();
    private static final int[] SLOTS = new int[COUNTERS.length];

    static {
        for (int i = 0; i < COUNTERS.length; i++) {
            SLOTS[i] = SingleWriterCounters.slotOf(COUNTERS[i]);
        }
    }

    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);

    /** The totals of this process's threads that ended ({@link #retire}). Guarded by the process's monitor. */
    private final long[] retired = new long[COUNTERS.length];
    private final AtomicLongArray children = new AtomicLongArray(COUNTERS.length);

    /** A mark for a new task (the counter values its current stretch on a CPU started from), or its totals. */
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
     * Adds what {@code cpu}'s counters grew by since {@code t}'s mark to {@code t}'s totals, and moves the mark
     * to now. On {@code t}'s thread, while it holds {@code cpu}.
     */
    static void settle(Task t, Cpu cpu) {
        long[] slots = cpu.counters().ownerSlots();
        long[] mark = t.usageMark;
        long[] totals = t.usage;
        for (int i = 0; i < mark.length; i++) {
            long now = slots[SLOTS[i]];
            long delta = now - mark[i];
            if (delta != 0) {
                // opaque: a reader summing the process's threads sees a total this thread really wrote
                LONGS.setOpaque(totals, i, totals[i] + delta);
                mark[i] = now;
            }
        }
    }

    /**
     * {@code t} ended: its totals join the process's retired ones. Call after its last {@link #settle}, under the
     * process's monitor, with its removal from the process's live threads.
     */
    void retire(Task t) {
        for (int i = 0; i < retired.length; i++) {
            retired[i] += t.usage[i];
        }
    }

    /**
     * A reaped child's own usage and its reaped children's join this process's children's usage. The child is a
     * zombie: every thread of it retired before it became one, which the reaper's lock orders before this.
     */
    void addReapedChild(ProcessUsage child) {
        for (int i = 0; i < COUNTERS.length; i++) {
            long v = child.retired[i] + child.children.get(i);
            if (v != 0) {
                children.getAndAdd(i, v);
            }
        }
    }

    /**
     * The own usage of {@code process} (whose usage this is): its ended threads' and its live threads' up to their
     * last context switch or settle.
     */
    static Rusage self(SimProcess process) {
        long[] counts = new long[COUNTERS.length];
        synchronized (process) {
            System.arraycopy(process.usage.retired, 0, counts, 0, counts.length);
            for (Task t : process.threads) {
                for (int i = 0; i < counts.length; i++) {
                    counts[i] += (long) LONGS.getOpaque(t.usage, i);
                }
            }
        }
        return new Rusage(counts);
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
