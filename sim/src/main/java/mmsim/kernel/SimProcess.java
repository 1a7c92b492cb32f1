package mmsim.kernel;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * A simulated process: its memory, open files, threads, place in the process tree, exit status and
 * resource usage. Fields marked "guarded by this" change under the process's monitor; those marked
 * "guarded by the tree lock" under {@link Processes}' process-tree lock. Both are host locks held briefly,
 * never while waiting on a CPU.
 */
final class SimProcess {
    final int pid;
    /** 0 in a child of fork, -1 in a process the kernel started. */
    final int forkValue;
    /**
     * Who reaps it: the process that forked it, or init once that one exited, or null when nobody will
     * (init, or an orphan once init exited). Guarded by the tree lock; volatile for getppid.
     */
    volatile SimProcess parent;
    volatile Mm mm;
    final FileTable files;
    /** Where exec placed each segment. */
    volatile long[] segments = new long[0];
    volatile boolean killed;
    /** Its resource usage and that of its reaped children. */
    final ProcessUsage usage = new ProcessUsage();

    // guarded by this
    final List<Task> threads = new ArrayList<>();
    int liveThreads;
    ExitStatus status;
    final ArrayDeque<Task> joinWaiters = new ArrayDeque<>();

    // guarded by the tree lock
    /** Its memory and files are gone; while it is in a parent's {@link #children} it is a zombie. Volatile for kill's look. */
    volatile boolean exited;
    /** Children not yet reaped, live ones and zombies, its own and orphans init took over. */
    final List<SimProcess> children = new ArrayList<>();
    /** Its threads blocked in waitpid. */
    final ArrayDeque<Task> childWaiters = new ArrayDeque<>();

    SimProcess(int pid, int forkValue, SimProcess parent, Mm mm, FileTable files) {
        this.pid = pid;
        this.forkValue = forkValue;
        this.parent = parent;
        this.mm = mm;
        this.files = files;
    }

    /** Records how the process ends; the first account wins (a kill after an exit changes nothing). */
    synchronized boolean setStatus(ExitStatus s) {
        if (status != null) {
            return false;
        }
        status = s;
        return true;
    }

    synchronized ExitStatus status() {
        return status;
    }

    @Override
    public String toString() {
        return "pid " + pid;
    }
}
