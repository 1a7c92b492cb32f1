package mmsim.kernel;

import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

import mmsim.Machine;
import mmsim.cpu.Cpu;
import mmsim.cpu.Interrupt;
import mmsim.paging.AddressSpace;
import mmsim.paging.PageTable;
import mmsim.stats.OpLatencies;

/**
 * Processes and their threads: creation (the init process, fork, spawnThread), exec, exit, kill and
 * signals, waitpid and joinThread, the process tree (orphans go to init), CPU affinity, resource usage,
 * the ASIDs of their address spaces, and the count of live processes that {@link Kernel#run} waits on.
 * Every task is a Java thread that runs only while it holds a CPU ({@link Scheduler}).
 *
 * <p>The process tree: a process is in the pid table from its fork until it is reaped (or, when nobody
 * can reap it, until it exits). When a process exits, its children (live ones and zombies) are reparented
 * to init, which can wait for them and sees their real status, as Linux does; once init itself has exited
 * they have no parent, and each disappears at its exit (a zombie at once). Zombies hold no memory and do
 * not count as live, so the run ends when every process has exited, reaped or not.
 *
 * <p>Thread-safety: a process's threads, status and thread waiters are guarded by the process object; the
 * tree (every parent, children list, exited flag and child waiters) by {@code tree}, a host lock held
 * briefly, as Linux's tasklist_lock; the live count by {@code liveLock}. The tree lock and a process's are
 * never held together; either may be held while the scheduler's is taken (to wake a waiter). System calls
 * run on the calling task's thread, which holds a CPU.
 */
final class Processes implements FaultHandler.Tasks {
    private final Machine machine;
    private final PerCpu[] perCpu;
    private final Scheduler scheduler;
    private final KernelFrames frames;
    private final Mappings mappings;
    private final PipeFiles files;
    private final Queue<String> panics;
    private final Kernel kernel;
    private final AtomicInteger nextPid = new AtomicInteger(1);
    private final AtomicInteger nextTid = new AtomicInteger(1);
    private final Object liveLock = new Object();
    private int liveProcesses;
    /** The process tree's lock. */
    private final Object tree = new Object();
    /** Every process not yet reaped (live or zombie), by pid. */
    private final Map<Integer, SimProcess> pids = new ConcurrentHashMap<>();
    /** Every thread not yet finished, by tid. */
    private final Map<Integer, Task> tids = new ConcurrentHashMap<>();
    /** The process orphans are reparented to: the run's first. */
    private volatile SimProcess init;

    private final Interrupt attention = this::flagAttention;

    Processes(Kernel kernel, Machine machine, PerCpu[] perCpu, Scheduler scheduler, KernelFrames frames, Mappings mappings,
              PipeFiles files, Queue<String> panics) {
        this.kernel = kernel;
        this.machine = machine;
        this.perCpu = perCpu;
        this.scheduler = scheduler;
        this.frames = frames;
        this.mappings = mappings;
        this.files = files;
        this.panics = panics;
    }

    /**
     * Starts an init process running {@code body} with an empty address space, no open files and every CPU
     * allowed; orphans are reparented to it.
     */
    SimProcess startInit(ProcessBody body) {
        AddressSpace space = machine.newAddressSpace(mmsim.mem.FramePool.NO_CPU);
        SimProcess proc = new SimProcess(nextPid.getAndIncrement(), -1, null, new Mm(space), new FileTable());
        init = proc;
        synchronized (liveLock) {
            liveProcesses++;
        }
        BitSet everyCpu = new BitSet(perCpu.length);
        everyCpu.set(0, perCpu.length);
        Task t = newTask(proc);
        t.allow(everyCpu);
        startMainTask(t, body);
        return proc;
    }

    /**
     * Waits until no process is alive.
     *
     * @throws TimeoutException past {@code deadline} (System.nanoTime), with a dump of every simulated thread
     * @throws IllegalStateException when the run is deadlocked: processes alive, yet every CPU has waited with nothing
     *                               ready and no slot granted for 2 host seconds (with the dump)
     */
    void awaitAllExited(long deadline, Duration timeout) throws TimeoutException, InterruptedException {
        mmsim.cpu.Slots slots = machine.slots();
        long grantsSeen = -1;
        long stillSince = System.nanoTime();
        while (true) {
            // read outside liveLock: the slots' monitor is never taken while holding it
            boolean allWaiting = slots.allWaiting();
            long grants = slots.grants();
            long now = System.nanoTime();
            if (!allWaiting || grants != grantsSeen) {
                grantsSeen = grants;
                stillSince = now;
            }
            synchronized (liveLock) {
                if (liveProcesses == 0) {
                    return;
                }
                if (now - stillSince >= DEADLOCK_NANOS) {
                    throw new IllegalStateException("deadlock: " + liveProcesses + " processes alive, but every CPU has waited "
                            + "with nothing ready for " + DEADLOCK_NANOS / 1_000_000_000 + " host seconds: no simulated thread can "
                            + "wake another (each waits on a pipe, a child or a lock another waiting thread holds); simulated threads:\n"
                            + dumpSimulatedThreads());
                }
                long left = deadline - now;
                if (left <= 0) {
                    throw new TimeoutException(liveProcesses + " processes still alive after " + timeout
                            + "; simulated threads:\n" + dumpSimulatedThreads());
                }
                liveLock.wait(Math.max(1, Math.min(left / 1_000_000, 100)));
            }
        }
    }

    /**
     * How long every CPU must have waited, with live processes and no slot granted, before the run is declared
     * deadlocked: far longer than any hand-off, so only a state nothing simulated can leave is reported.
     */
    private static final long DEADLOCK_NANOS = 2_000_000_000L;

    /** The live (not yet exited) process {@code pid}, or null. */
    SimProcess live(int pid) {
        SimProcess p = pids.get(pid);
        return p != null && !p.exited ? p : null;
    }

    /** The process with {@code pid}, live or zombie; null when there is none or it was reaped. */
    SimProcess find(int pid) {
        return pids.get(pid);
    }

    /** The init process of the current run, or null before one started. */
    SimProcess init() {
        return init;
    }

    /** The live thread {@code tid}, or null. */
    Task thread(int tid) {
        return tids.get(tid);
    }

    /** The interrupt that makes a CPU's task look at its kill flag and pending reschedule before it returns to user code. */
    Interrupt attention() {
        return attention;
    }

    /** Kills every live process and waits (up to 10 s) for them to end. */
    void killAll(String why) throws InterruptedException {
        for (SimProcess p : pids.values()) {
            if (!p.exited) {
                kill(null, p, ExitStatus.killed(why));
            }
        }
        synchronized (liveLock) {
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (liveProcesses > 0 && System.nanoTime() < deadline) {
                liveLock.wait(100);
            }
        }
    }

    /** Every live task's and idle loop's thread with its stack (virtual threads included, which getAllStackTraces omits). */
    private String dumpSimulatedThreads() {
        StringBuilder sb = new StringBuilder();
        List<Task> tasks = new ArrayList<>(tids.values());
        for (PerCpu pc : perCpu) {
            tasks.add(pc.idle);
        }
        for (Task t : tasks) {
            Thread thread = t.thread;
            if (thread == null) {
                continue;
            }
            sb.append('"').append(thread.getName()).append("\" ").append(thread.getState()).append(" (").append(t).append(")\n");
            for (StackTraceElement frame : thread.getStackTrace()) {
                sb.append("    at ").append(frame).append('\n');
            }
        }
        return sb.toString();
    }

    private void flagAttention(Cpu cpu) {
        perCpu[cpu.id()].attention = true;
    }

    @Override
    public Task current(Cpu cpu) {
        Task t = perCpu[cpu.id()].holder;
        if (t == null || t.idle) {
            throw new IllegalStateException(cpu + " faulted while no task held it");
        }
        return t;
    }

    /** Publishes {@code t}'s process and then {@code t} (its affinity already set), and starts it running {@code body}. */
    private void startMainTask(Task t, ProcessBody body) {
        SimProcess proc = t.process;
        pids.put(proc.pid, proc);
        publish(t);
        t.thread = kernel.threads.create("mmsim-pid" + proc.pid, () -> taskMain(t, body, null));
        t.thread.start();
        scheduler.wake(t);
    }

    /**
     * A task of {@code proc}, not yet visible to anyone: its tid is the pid for a process's first task. The caller
     * sets its affinity and then {@link #publish publishes} it.
     */
    private Task newTask(SimProcess proc) {
        Task t = new Task(proc.threads.isEmpty() ? proc.pid : nextTid.getAndIncrement() + 1_000_000, proc, false);
        t.sys = new Sys(kernel, t);
        return t;
    }

    /** Makes {@code t} one of its process's threads and findable by tid. */
    private void publish(Task t) {
        SimProcess proc = t.process;
        synchronized (proc) {
            proc.threads.add(t);
            proc.liveThreads++;
        }
        tids.put(t.tid, t);
    }

    private void taskMain(Task t, ProcessBody main, ThreadBody thread) {
        Task.setCurrent(t);
        scheduler.awaitCpu(t);
        try {
            t.sys.userReturn();
            if (thread != null) {
                thread.run(t.sys);
            } else {
                ProcessBody body = main;
                while (true) {
                    try {
                        int code = body.run(t.sys);
                        // returning from the body is the exit call (as main's return calls exit)
                        t.exitEnteredAt = t.cpu.cpu.clock();
                        exitGroup(t, ExitStatus.exited(code));
                        break;
                    } catch (ExecRequest exec) {
                        body = exec.body;
                    }
                }
            }
        } catch (ProcessExit exit) {
            // the process is exiting or was killed: fall through to the thread's exit
        } catch (Throwable e) {
            kill(t, t.process, ExitStatus.crashed("pid " + t.process.pid + " crashed: " + e));
        } finally {
            threadExit(t);
        }
    }

    /** exit_group: the process ends with {@code status}; its other threads are stopped. */
    void exitGroup(Task t, ExitStatus status) {
        kill(t, t.process, status);
    }

    /**
     * Ends {@code proc} with {@code status} (if it has none yet) and makes each of its threads stop: a
     * blocked one is woken, a running one interrupted; each then exits at its next return to user code.
     * {@code caller} is the task doing it (it stops by itself), or null for a thread that holds no CPU.
     */
    @Override
    public void kill(Task caller, SimProcess proc, ExitStatus status) {
        proc.setStatus(status);
        proc.killed = true;
        List<Task> threads;
        synchronized (proc) {
            threads = new ArrayList<>(proc.threads);
        }
        Runnable posterIdle = caller != null && caller.cpu != null ? caller.cpu.cpu.interruptServicer() : Thread::onSpinWait;
        for (Task other : threads) {
            if (other == caller) {
                continue;
            }
            int s = other.state.get();
            if (s == Task.BLOCKED) {
                scheduler.wake(other);
            } else if (s == Task.RUNNING) {
                PerCpu pc = findCpuOf(other);
                if (pc != null) {
                    pc.cpu.post(attention, posterIdle);
                }
            }
        }
    }

    /** The CPU {@code t} holds right now, or null. */
    PerCpu findCpuOf(Task t) {
        for (PerCpu pc : perCpu) {
            if (pc.holder == t) {
                return pc;
            }
        }
        return null;
    }

    /**
     * A thread finished; the last one tears the process down (on its own CPU) before giving the CPU away.
     * Each settles its usage and, as it counts itself out, retires it into the process's; the last does so after
     * the teardown, whose flushes and shootdowns are the process's too, before the process becomes a zombie.
     */
    private void threadExit(Task t) {
        SimProcess proc = t.process;
        tids.remove(t.tid);
        ProcessUsage.settle(t, t.cpu.cpu);
        boolean last;
        synchronized (proc) {
            t.finished = true;
            proc.threads.remove(t);
            last = --proc.liveThreads == 0;
            if (!last) {
                proc.usage.retire(t);
            }
            scheduler.wakeAll(proc.joinWaiters);
        }
        if (last) {
            try {
                exitProcess(t);
            } catch (Throwable e) {
                // a simulator bug (or a deliberately broken strategy corrupting memory): never hang the run on it
                panic("exit of pid " + proc.pid, e);
                finishExit(proc);
            }
        }
        if (t.exitEnteredAt >= 0) {
            // the exit call's latency ends here: its thread (and, the last, the process's teardown) is done on this CPU
            Cpu cpu = t.cpu.cpu;
            kernel.latencies.record(cpu.id(), OpLatencies.Op.EXIT, cpu.clock() - t.exitEnteredAt);
        }
        scheduler.exit(t);
    }

    /** Records an internal error; {@link #run} reports every one when it returns. */
    private void panic(String where, Throwable e) {
        java.io.StringWriter trace = new java.io.StringWriter();
        e.printStackTrace(new java.io.PrintWriter(trace));
        panics.add(where + ": " + trace);
    }

    private void exitProcess(Task t) {
        SimProcess proc = t.process;
        proc.setStatus(ExitStatus.exited(0));
        Cpu cpu = t.cpu.cpu;
        cpu.charge(cpu.costs().exitFixed);   // files, signals, the parent's notification; the teardown charges its own flushes
        for (OpenFile f : proc.files.removeAll()) {
            files.closeFile(f);
        }
        Mm mm = proc.mm;
        mappings.teardown(cpu, mm);
        freeAsid(mm.space);
        ProcessUsage.settle(t, cpu);  // the teardown's flushes and shootdowns are the process's too
        synchronized (proc) {
            proc.usage.retire(t);
        }
        finishExit(proc);
    }

    /**
     * The bookkeeping of a process's end: its children go to init (or, when init has gone or is the one
     * exiting, to nobody: a zombie among them is dropped), it becomes a zombie for its parent (or, without
     * one, leaves the pid table), and the live count drops. A parent is never an exited process: under the
     * tree lock, an exiting one hands its children on.
     */
    private void finishExit(SimProcess proc) {
        SimProcess reaper = init;
        synchronized (tree) {
            proc.exited = true;
            boolean adoptedZombie = false;
            for (SimProcess child : proc.children) {
                if (reaper != proc && !reaper.exited) {
                    child.parent = reaper;
                    reaper.children.add(child);
                    adoptedZombie |= child.exited;
                } else {
                    child.parent = null;
                    if (child.exited) {
                        pids.remove(child.pid);
                    }
                }
            }
            proc.children.clear();
            if (adoptedZombie) {
                scheduler.wakeAll(reaper.childWaiters);
            }
            SimProcess parent = proc.parent;
            if (parent != null) {
                scheduler.wakeAll(parent.childWaiters);
            } else {
                pids.remove(proc.pid);
            }
        }
        synchronized (liveLock) {
            // only the last exit ends a wait on liveLock: waking the run's thread at every exit cost a host
            // thread wake-up per exit (awaitAllExited polls on its own for deadlocks and the watchdog)
            if (--liveProcesses == 0) {
                liveLock.notifyAll();
            }
        }
    }

    /**
     * Stops the calling thread if its process was killed; otherwise moves it off a CPU its affinity no
     * longer allows, or runs a pending reschedule.
     */
    void userReturnSlowPath(Task t) {
        PerCpu pc = t.cpu;
        pc.attention = false;
        if (t.process.killed) {
            throw ProcessExit.INSTANCE;
        }
        if (!t.mayRunOn(pc)) {
            pc.needResched = false;
            scheduler.migrate(t);
        } else if (pc.needResched) {
            pc.needResched = false;
            scheduler.yield(t);
        } else {
            return;
        }
        if (t.process.killed) {
            throw ProcessExit.INSTANCE;
        }
    }

    private void assignAsid(AddressSpace space) {
        try {
            machine.assignAsid(space);
        } catch (IllegalStateException e) {
            throw new SyscallException(Errno.EAGAIN, e.getMessage());
        }
    }

    private void freeAsid(AddressSpace space) {
        machine.releaseAsid(space);
    }

    // ---- system calls (called by Sys on the calling task's thread, which holds a CPU) ----

    /**
     * fork: a child process with a copy of this one's address space (by the fork strategy) and file table,
     * and the calling thread's affinity, running {@code body}. ENOMEM when frames run out (nothing of the
     * child remains), EAGAIN when no ASID is free.
     */
    int fork(Task t, ProcessBody body) {
        SimProcess parent = t.process;
        Cpu cpu = t.cpu.cpu;
        cpu.charge(cpu.costs().forkFixed);   // the task, mm and file table; the pages are charged as the strategy copies them
        Mm childMm;
        try {
            childMm = new Mm(frames.newSpace(cpu, nextPid.get()));
        } catch (OutOfFrames e) {
            throw new SyscallException(Errno.ENOMEM, "fork: " + e.getMessage());
        }
        try {
            assignAsid(childMm.space);
        } catch (SyscallException e) {
            mappings.teardown(cpu, childMm);
            throw e;
        }
        try {
            mappings.fork(cpu, parent.mm, childMm);
        } catch (OutOfFrames e) {
            mappings.teardown(cpu, childMm);
            freeAsid(childMm.space);
            throw new SyscallException(Errno.ENOMEM, "fork: " + e.getMessage());
        }
        SimProcess child = new SimProcess(nextPid.getAndIncrement(), 0, parent, childMm, parent.files.copyForFork());
        synchronized (tree) {
            parent.children.add(child);
        }
        synchronized (liveLock) {
            liveProcesses++;
        }
        Task main = newTask(child);
        main.allowAsCreator(t); // clone(2): the child inherits the caller's affinity
        startMainTask(main, body);
        return child.pid;
    }

    /** A new thread of the caller's process, with the caller's affinity, running {@code body}. */
    int spawnThread(Task t, ThreadBody body) {
        SimProcess proc = t.process;
        Task thread = newTask(proc);
        thread.allowAsCreator(t);
        publish(thread);
        thread.thread = kernel.threads.create("mmsim-pid" + proc.pid + "-tid" + thread.tid, () -> taskMain(thread, null, body));
        thread.thread.start();
        scheduler.wake(thread);
        return thread.tid;
    }

    void joinThread(Task t, int tid) {
        SimProcess proc = t.process;
        if (tid == t.tid) {
            throw new SyscallException(Errno.EINVAL, "a thread cannot join itself");
        }
        while (true) {
            synchronized (proc) {
                Task target = null;
                for (Task other : proc.threads) {
                    if (other.tid == tid) {
                        target = other;
                    }
                }
                if (target == null) {
                    return;  // finished (or never existed in this process; tids are not reused)
                }
                t.state.set(Task.BLOCKED);
                proc.joinWaiters.addLast(t);
            }
            scheduler.blockCurrent(t);
        }
    }

    record Waited(int pid, ExitStatus status) {
    }

    /**
     * waitpid: waits until child {@code pid} (or any child, for -1) is a zombie, reaps it and returns its
     * status; its usage joins this process's children's. ECHILD when there is no such child (orphans init
     * adopted count as init's).
     */
    Waited waitpid(Task t, int pid) {
        SimProcess proc = t.process;
        while (true) {
            synchronized (tree) {
                SimProcess found = null;
                boolean any = false;
                for (SimProcess c : proc.children) {
                    if (pid == -1 || c.pid == pid) {
                        any = true;
                        if (c.exited) {
                            found = c;
                            break;
                        }
                    }
                }
                if (!any) {
                    throw new SyscallException(Errno.ECHILD, pid == -1 ? "pid " + proc.pid + " has no children"
                            : "pid " + pid + " is not a child of pid " + proc.pid);
                }
                if (found != null) {
                    proc.children.remove(found);
                    pids.remove(found.pid);
                    proc.usage.addReapedChild(found.usage);
                    return new Waited(found.pid, found.status());
                }
                t.state.set(Task.BLOCKED);
                proc.childWaiters.addLast(t);
            }
            scheduler.blockCurrent(t);
        }
    }

    /**
     * execve: replaces the process's image with {@code segments} mapped from {@link Kernel#EXEC_BASE}, one
     * guard page apart, and throws {@link ExecRequest} to run {@code body}. Fails before the old image is
     * touched, leaving the process as it was: EBUSY while other threads are alive, EINVAL for a segment
     * that is empty or has an unknown protection, ENOMEM when the segments do not fit in user space or no
     * frame is left for the new page table, EAGAIN when no ASID is free.
     */
    void exec(Task t, ProcessBody body, Segment[] segments) {
        SimProcess proc = t.process;
        synchronized (proc) {
            if (proc.liveThreads > 1) {
                throw new SyscallException(Errno.EBUSY, "exec with " + (proc.liveThreads - 1) + " other threads alive");
            }
        }
        long[] addresses = new long[segments.length];
        long next = Kernel.EXEC_BASE;
        for (int i = 0; i < segments.length; i++) {
            Mappings.checkProtection(segments[i].protection());
            long length = segments[i].length();
            if (length <= 0) {
                throw new SyscallException(Errno.EINVAL, "exec: segment " + i + " has length " + length);
            }
            if (length > PageTable.USER_VA_LIMIT - next) {
                throw new SyscallException(Errno.ENOMEM, "exec: segment " + i + " (" + length + " bytes) does not fit in user space");
            }
            addresses[i] = next;
            next += ((length + 0xFFF) & ~0xFFFL) + 4096;  // a guard page between segments
        }
        Cpu cpu = t.cpu.cpu;
        cpu.charge(cpu.costs().execFixed);   // loading the program; the new tables and the old image's teardown charge their own
        Mm fresh;
        try {
            fresh = new Mm(frames.newSpace(cpu, proc.pid));
        } catch (OutOfFrames e) {
            throw new SyscallException(Errno.ENOMEM, "exec: " + e.getMessage());
        }
        try {
            assignAsid(fresh.space);
        } catch (SyscallException e) {
            mappings.teardown(cpu, fresh);
            throw e;
        }
        for (int i = 0; i < segments.length; i++) {
            fresh.space.mapFixed(addresses[i], segments[i].length(), segments[i].protection());
        }
        // the point of no return: nothing below fails
        Mm old = proc.mm;
        proc.mm = fresh;
        proc.segments = addresses;
        cpu.switchAddressSpace(fresh.space);
        mappings.teardown(cpu, old);
        freeAsid(old.space);
        throw new ExecRequest(body);
    }
}
