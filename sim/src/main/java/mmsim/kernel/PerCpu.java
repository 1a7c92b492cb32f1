package mmsim.kernel;

import mmsim.cpu.Cpu;

/**
 * The kernel's state for one CPU. Fields are owned by whichever thread executes on the CPU (the
 * scheduler's hand-off orders successive owners), except {@link #holder}, which the scheduler's timer
 * reads to decide whom to tick.
 */
final class PerCpu {
    final Cpu cpu;
    final Task idle;
    /** The task executing on this CPU (the idle task when none). */
    volatile Task holder;
    /** Set by interrupt handlers: the task must look at {@link #needResched} and its process's kill flag before returning to user code. */
    boolean attention;
    /** Set by the tick: another task is waiting for a CPU. */
    boolean needResched;
    /** A tick is posted and not yet handled: the timer posts at most one at a time. */
    final java.util.concurrent.atomic.AtomicBoolean tickPosted = new java.util.concurrent.atomic.AtomicBoolean();

    PerCpu(Cpu cpu, Task idle) {
        this.cpu = cpu;
        this.idle = idle;
    }
}
