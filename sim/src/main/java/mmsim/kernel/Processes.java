package mmsim.kernel;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

import mmsim.Machine;
import mmsim.cpu.Cpu;
import mmsim.cpu.Interrupt;
import mmsim.paging.AddressSpace;
import mmsim.paging.PageTable;

/**
 * Processes and their threads: creation (the init process, fork, spawnThread), exec, exit and kill,
 * waitpid and joinThread, the ASIDs of their address spaces, and the count of live processes that
 * {@link Kernel#run} waits on. Every task is a Java thread that runs only while it holds a CPU
 * ({@link Scheduler}).
 *
 * <p>Thread-safety: a process's own lists (threads, children, waiters) are guarded by the process object;
 * the live count by {@code liveLock}. System calls run on the calling task's thread, which holds a CPU.
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
    private final java.util.Set<SimProcess> live = java.util.concurrent.ConcurrentHashMap.newKeySet();
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

    /** Starts an init process running {@code body} with an empty address space and no open files. */
    SimProcess startInit(ProcessBody body) {
        AddressSpace space = machine.newAddressSpace(mmsim.mem.FramePool.NO_CPU);
        SimProcess proc = new SimProcess(nextPid.getAndIncrement(), -1, null, new Mm(space), new FileTable());
        synchronized (liveLock) {
            liveProcesses++;
        }
        startMainTask(proc, body);
        return proc;
    }

    /**
     * Waits until no process is alive.
     *
     * @throws TimeoutException past {@code deadline} (System.nanoTime), with a dump of every simulated thread
     */
    void awaitAllExited(long deadline, Duration timeout) throws TimeoutException, InterruptedException {
        synchronized (liveLock) {
            while (liveProcesses > 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new TimeoutException(liveProcesses + " processes still alive after " + timeout
                            + "; simulated threads:\n" + dumpSimulatedThreads());
                }
                liveLock.wait(Math.max(1, left / 1_000_000));
            }
        }
    }

    /** The live process {@code pid}, or null. */
    SimProcess live(int pid) {
        for (SimProcess p : live) {
            if (p.pid == pid) {
                return p;
            }
        }
        return null;
    }

    /** Kills every live process and waits (up to 10 s) for them to end. */
    void killAll(String why) throws InterruptedException {
        for (SimProcess p : live) {
            kill(null, p, ExitStatus.killed(why));
        }
        synchronized (liveLock) {
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (liveProcesses > 0 && System.nanoTime() < deadline) {
                liveLock.wait(100);
            }
        }
    }

    private static String dumpSimulatedThreads() {
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<Thread, StackTraceElement[]> e : Thread.getAllStackTraces().entrySet()) {
            String name = e.getKey().getName();
            if (!name.startsWith("mmsim-")) {
                continue;
            }
            sb.append('"').append(name).append("\" ").append(e.getKey().getState()).append('\n');
            for (StackTraceElement frame : e.getValue()) {
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

    private void startMainTask(SimProcess proc, ProcessBody body) {
        live.add(proc);
        Task t = newTask(proc);
        t.thread = new Thread(() -> taskMain(t, body, null), "mmsim-pid" + proc.pid);
        t.thread.setDaemon(true);
        t.thread.start();
        scheduler.wake(t);
    }

    private Task newTask(SimProcess proc) {
        Task t = new Task(proc.threads.isEmpty() ? proc.pid : nextTid.getAndIncrement() + 1_000_000, proc, false);
        t.sys = new Sys(kernel, t);
        synchronized (proc) {
            proc.threads.add(t);
            proc.liveThreads++;
        }
        return t;
    }

    private void taskMain(Task t, ProcessBody main, ThreadBody thread) {
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

    private PerCpu findCpuOf(Task t) {
        for (PerCpu pc : perCpu) {
            if (pc.holder == t) {
                return pc;
            }
        }
        return null;
    }

    /** A thread finished; the last one tears the process down (on its own CPU) before giving the CPU away. */
    private void threadExit(Task t) {
        SimProcess proc = t.process;
        boolean last;
        synchronized (proc) {
            t.finished = true;
            proc.threads.remove(t);
            last = --proc.liveThreads == 0;
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
        for (OpenFile f : proc.files.removeAll()) {
            files.closeFile(f);
        }
        Mm mm = proc.mm;
        mappings.teardown(cpu, mm);
        freeAsid(mm.space);
        finishExit(proc);
    }

    /** The bookkeeping of a process's end: orphans, the zombie for the parent, the live count. */
    private void finishExit(SimProcess proc) {
        List<SimProcess> orphans;
        synchronized (proc) {
            proc.exited = true;
            orphans = new ArrayList<>(proc.children);
            proc.children.clear();
        }
        for (SimProcess child : orphans) {
            child.parent = null;
        }
        SimProcess parent = proc.parent;
        if (parent != null) {
            synchronized (parent) {
                if (!parent.exited && proc.parent == parent) {
                    proc.zombie = true;
                    scheduler.wakeAll(parent.childWaiters);
                }
            }
        }
        live.remove(proc);
        synchronized (liveLock) {
            liveProcesses--;
            liveLock.notifyAll();
        }
    }

    /** Stops the calling thread if its process was killed; otherwise a pending reschedule runs. */
    void userReturnSlowPath(Task t) {
        PerCpu pc = t.cpu;
        pc.attention = false;
        if (t.process.killed) {
            throw ProcessExit.INSTANCE;
        }
        if (pc.needResched) {
            pc.needResched = false;
            scheduler.yield(t);
            if (t.process.killed) {
                throw ProcessExit.INSTANCE;
            }
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
     * running {@code body}. ENOMEM when frames run out (nothing of the child remains), EAGAIN when no ASID
     * is free.
     */
    int fork(Task t, ProcessBody body) {
        SimProcess parent = t.process;
        Cpu cpu = t.cpu.cpu;
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
        synchronized (parent) {
            parent.children.add(child);
        }
        synchronized (liveLock) {
            liveProcesses++;
        }
        startMainTask(child, body);
        return child.pid;
    }

    int spawnThread(Task t, ThreadBody body) {
        SimProcess proc = t.process;
        Task thread = newTask(proc);
        thread.thread = new Thread(() -> taskMain(thread, null, body), "mmsim-pid" + proc.pid + "-tid" + thread.tid);
        thread.thread.setDaemon(true);
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

    Waited waitpid(Task t, int pid) {
        SimProcess proc = t.process;
        while (true) {
            synchronized (proc) {
                SimProcess found = null;
                boolean any = false;
                for (SimProcess c : proc.children) {
                    if (pid == -1 || c.pid == pid) {
                        any = true;
                        if (c.zombie) {
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
