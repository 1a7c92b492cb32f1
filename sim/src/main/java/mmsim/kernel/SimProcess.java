package mmsim.kernel;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * A simulated process: its memory, open files, threads, children and exit status. Fields marked
 * "guarded by this" change under the process's monitor; the monitor is a host lock held briefly,
 * never while waiting on a CPU.
 */
final class SimProcess {
    final int pid;
    /** 0 in a child of fork, -1 in a process the kernel started. */
    final int forkValue;
    /** Null once the parent exited (the process is then reaped by nobody: it disappears at exit). */
    volatile SimProcess parent;
    volatile Mm mm;
    final FileTable files;
    /** Where exec placed each segment. */
    volatile long[] segments = new long[0];
    volatile boolean killed;

    // guarded by this
    final List<Task> threads = new ArrayList<>();
    int liveThreads;
    ExitStatus status;
    boolean exited;
    boolean zombie;
    final List<SimProcess> children = new ArrayList<>();
    final ArrayDeque<Task> childWaiters = new ArrayDeque<>();
    final ArrayDeque<Task> joinWaiters = new ArrayDeque<>();

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
