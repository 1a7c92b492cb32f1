package mmsim.kernel;

import java.util.BitSet;

/**
 * The system calls that act on a running process or thread from outside its life cycle: kill(2) with the
 * default signal actions, sched_setaffinity(2)/sched_getaffinity(2) (with the wait for a migration), and
 * getrusage(2). The process life cycle itself (creation, exit, reaping, orphans) is {@link Processes}'.
 *
 * <p>Thread-safety: each call runs on the calling task's thread, which holds a CPU; what it changes of another
 * task (its allowed CPUs) goes through the {@link Scheduler}, and a kill through {@link Processes#kill}.
 */
final class ProcessControl {
    private final Processes processes;
    private final Scheduler scheduler;
    private final int cpuCount;

    ProcessControl(Processes processes, Scheduler scheduler, int cpuCount) {
        this.processes = processes;
        this.scheduler = scheduler;
        this.cpuCount = cpuCount;
    }

    /**
     * kill(2) of process {@code pid} with {@code sig} (a {@link Signals} number, or 0 to probe). Every
     * signal takes its default action: SIGCHLD is ignored; the others end the process, whose status then
     * says "killed by signal {@code sig}" ({@link ExitStatus.Kind#SIGNALED}) unless it was already ending,
     * its threads stopping as for exit_group (a blocked one is woken, a running one interrupted). A zombie
     * takes any signal and stays as it was. Init takes none (Linux delivers to init only signals it has a
     * handler for, and mmsim has no handlers). Any process may signal any other: there are no users.
     * When the signal ends the caller's own process, the call does not return.
     *
     * @throws SyscallException EINVAL for a signal mmsim does not model or a pid that is not positive (no
     *                          process groups), ESRCH when no process has that pid (or it was reaped)
     */
    void kill(Task t, int pid, int sig) {
        if (sig != 0 && !Signals.isModeled(sig)) {
            throw new SyscallException(Errno.EINVAL, "signal " + sig + " is not modelled; mmsim knows SIGABRT (6), "
                    + "SIGKILL (9), SIGSEGV (11), SIGTERM (15) and SIGCHLD (17)");
        }
        if (pid <= 0) {
            throw new SyscallException(Errno.EINVAL, "kill takes a process id; mmsim has no process groups (pid " + pid + ")");
        }
        SimProcess target = processes.find(pid);
        if (target == null) {
            throw new SyscallException(Errno.ESRCH, "no process has pid " + pid);
        }
        if (!Signals.terminates(sig) || target == processes.init() || target.exited) {
            return;
        }
        processes.kill(t, target, ExitStatus.bySignal(sig, "pid " + pid + " killed by signal " + sig + " (" + Signals.name(sig)
                + ") from pid " + t.process.pid));
        if (target == t.process) {
            throw ProcessExit.INSTANCE;
        }
    }

    /**
     * sched_setaffinity(2): thread {@code tid} (0: the caller) may run only on the CPUs of {@code cpus} from
     * now on; bits past the machine's CPUs are ignored, as Linux ignores CPUs that do not exist. A thread on
     * a CPU it may no longer use leaves it before the call returns: the caller at once, another thread at its
     * next interrupt boundary (its next memory access or system call), which the caller waits for while
     * answering its own CPU's interrupts, as Linux waits for the migration to complete. Any thread may set
     * any thread's affinity: there are no users. fork and spawnThread pass the caller's on; exec keeps it.
     *
     * @throws SyscallException EFAULT for a null set, EINVAL when it holds no CPU of the machine (the thread
     *                          keeps its affinity), ESRCH when no live thread has {@code tid}
     */
    void setAffinity(Task t, int tid, BitSet cpus) {
        if (cpus == null) {
            throw new SyscallException(Errno.EFAULT, "the CPU set is null");
        }
        BitSet allowed = (BitSet) cpus.clone();
        if (allowed.length() > cpuCount) {
            allowed.clear(cpuCount, allowed.length());
        }
        if (allowed.isEmpty()) {
            throw new SyscallException(Errno.EINVAL, "the set " + cpus + " holds none of the machine's CPUs 0-" + (cpuCount - 1));
        }
        Task target = threadById(t, tid);
        scheduler.setAllowed(target, allowed);
        if (target == t) {
            if (!t.mayRunOn(t.cpu)) {
                scheduler.migrate(t);
            }
            return;
        }
        PerCpu where = processes.findCpuOf(target);
        if (where != null && !target.mayRunOn(where)) {
            where.cpu.post(processes.attention(), t.cpu.cpu.interruptServicer());
            awaitMigrated(t, target, where);
        }
    }

    /**
     * Waits until {@code target} no longer holds {@code where} (or may run there again). The target leaves at
     * its next interrupt boundary; meanwhile the caller answers its own CPU's interrupts, moves off its own
     * CPU if its affinity was changed too, and stops waiting if its process was killed.
     */
    private void awaitMigrated(Task t, Task target, PerCpu where) {
        while (where.holder == target && !target.mayRunOn(where) && !t.process.killed) {
            // a rare wait, signalled by nobody: a sleeping waiter is polled at the next phase end
            t.cpu.cpu.await(() -> where.holder != target || target.mayRunOn(where) || t.process.killed
                    || !t.mayRunOn(t.cpu));
            if (!t.mayRunOn(t.cpu)) {
                scheduler.migrate(t);
            }
        }
    }

    /** sched_getaffinity(2): the CPUs thread {@code tid} (0: the caller) may run on, as a new set. ESRCH when no live thread has {@code tid}. */
    BitSet getAffinity(Task t, int tid) {
        return threadById(t, tid).allowedCpus();
    }

    private Task threadById(Task t, int tid) {
        if (tid == 0) {
            return t;
        }
        Task target = processes.thread(tid);
        if (target == null) {
            throw new SyscallException(Errno.ESRCH, "no live thread has tid " + tid);
        }
        return target;
    }

    /** getrusage(2) RUSAGE_SELF: this process's usage, the caller's own up to now, its other threads' up to their last context switch. */
    Rusage usageOfSelf(Task t) {
        ProcessUsage.settle(t, t.cpu.cpu);
        return ProcessUsage.self(t.process);
    }

    /** getrusage(2) RUSAGE_CHILDREN: the usage of the children this process reaped, and of the children they reaped. */
    Rusage usageOfChildren(Task t) {
        return t.process.usage.children();
    }
}
