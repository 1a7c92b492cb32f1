package mmsim.kernel;

import mmsim.cpu.Cpu;
import mmsim.cpu.WaitCondition;

/**
 * The kernel's state for one CPU. Fields are owned by whichever thread executes on the CPU (the
 * scheduler's hand-off orders successive owners), except {@link #holder}, which others read to find
 * whom to interrupt, and {@link #kicked}, which wake-ups set.
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
    /** A wake-up chose this idle CPU to look at the run queue; the idle loop clears it before it looks. */
    volatile boolean kicked;
    /** What the idle loop waits for: a wake-up, an interrupt, deferred invalidations to apply, or shutdown (set by the scheduler). */
    WaitCondition idleWork;

    PerCpu(Cpu cpu, Task idle) {
        this.cpu = cpu;
        this.idle = idle;
    }
}
