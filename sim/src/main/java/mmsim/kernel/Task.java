package mmsim.kernel;

import java.util.BitSet;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A schedulable thread of a simulated process (or a CPU's idle loop), backed by one Java thread. It runs
 * its code only while it holds a CPU; the scheduler hands CPUs from task to task.
 *
 * <p>Hand-off contract: a giver publishes the CPU in {@link #grant} with a volatile store (after its last
 * use of the CPU) and unparks the thread; the receiver's volatile read of {@code grant} makes the giver's
 * work on the CPU visible before the receiver's first.
 */
final class Task {
    static final int NEW = 0;
    static final int RUNNABLE = 1;
    static final int RUNNING = 2;
    static final int BLOCKED = 3;
    static final int DEAD = 4;

    /** The task whose thread is the calling one (null outside the machine): whose CPU a wake-up's time comes from. */
    private static final ThreadLocal<Task> CURRENT = new ThreadLocal<>();

    final int tid;
    final SimProcess process;
    final boolean idle;
    final AtomicInteger state = new AtomicInteger(NEW);
    Thread thread;
    /** The CPU this task holds; written only by the task's own thread. */
    PerCpu cpu;
    /** A CPU handed to this task and not yet taken. */
    volatile PerCpu grant;
    /** The modeled clock of the CPU that last made this task runnable; the CPU that takes it moves its clock there. */
    volatile long wokenAt;
    /** For a thread body: its result is joined by {@link Sys#joinThread}. */
    volatile boolean finished;
    /**
     * The task's modeled clock when it called exit (or its process body returned), where the exit's latency
     * starts; -1 when it did not (a killed task's end is no exit call). Own thread only.
     */
    long exitEnteredAt = -1;
    /** The clock of the CPU this task last gave away: it resumes no earlier ({@link Scheduler#awaitCpu}). Own thread only. */
    long leftAt;
    /** While a system call copies to or from user memory: a bad address is EFAULT, not a segfault. */
    boolean inUserCopy;
    /** The per-task system-call object handed to the body. */
    Sys sys;
    /**
     * The CPUs this task may run on (sched_setaffinity), as a {@link BitSet}'s words ({@link BitSet#toLongArray}):
     * never empty, every bit an existing CPU; null for an idle task. Never modified once published: a change
     * publishes a new array (under the scheduler's lock), and a task's creator shares its array with it (clone
     * inherits the affinity). Words, not a set: {@link #mayRunOn} reads one array, for each task a run-queue scan
     * passes ({@link RunQueue}), instead of a set and its array.
     */
    private volatile long[] allowedWords;
    /** The CPU counters at the start of this task's current stretch on a CPU ({@link ProcessUsage}); own thread only. */
    final long[] usageMark;
    /**
     * What this task's stretches on CPUs counted so far, settled at each context switch ({@link ProcessUsage}):
     * written by its own thread only, read by others with opaque loads.
     */
    final long[] usage;

    Task(int tid, SimProcess process, boolean idle) {
        this.tid = tid;
        this.process = process;
        this.idle = idle;
        this.usageMark = idle ? null : ProcessUsage.newMark();
        this.usage = idle ? null : ProcessUsage.newMark();
    }

    /** The task the calling thread backs, or null for a thread outside the machine. */
    static Task current() {
        return CURRENT.get();
    }

    /** Binds the calling thread to {@code t} (the first thing a task's or idle loop's thread does). */
    static void setCurrent(Task t) {
        CURRENT.set(t);
    }

    /**
     * Makes {@code cpus} the set this task may run on; the caller is the scheduler under its lock, or a task's creator
     * before the task is runnable.
     */
    void allow(BitSet cpus) {
        allowedWords = cpus.toLongArray();
    }

    /** Makes this task's CPUs those of {@code creator} (clone's inherited affinity), before it is runnable. */
    void allowAsCreator(Task creator) {
        allowedWords = creator.allowedWords;
    }

    /** The CPUs this task may run on, as a new set. */
    BitSet allowedCpus() {
        return BitSet.valueOf(allowedWords);
    }

    /** Whether this task may run on {@code pc}'s CPU. */
    boolean mayRunOn(PerCpu pc) {
        return mayRunOn(pc.cpu.id());
    }

    /** Whether this task may run on CPU {@code cpu}. */
    boolean mayRunOn(int cpu) {
        long[] words = allowedWords;
        int w = cpu >>> 6;
        return w < words.length && (words[w] & (1L << cpu)) != 0;
    }

    /** Hands {@code pc} to this task. Called by the giver, which must not touch the CPU afterwards. */
    void grant(PerCpu pc) {
        grant = pc;
        LockSupport.unpark(thread);
    }

    @Override
    public String toString() {
        return idle ? "idle" : "task " + tid + " of pid " + process.pid;
    }
}
