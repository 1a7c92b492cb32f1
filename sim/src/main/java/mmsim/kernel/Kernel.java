package mmsim.kernel;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

import mmsim.Machine;
import mmsim.cpu.Cpu;
import mmsim.cpu.Interrupt;
import mmsim.mem.PhysicalMemory;
import mmsim.paging.AddressSpace;
import mmsim.paging.PageTable;
import mmsim.paging.Vma;
import mmsim.shootdown.ShootdownStats;
import mmsim.shootdown.ShootdownStrategy;
import mmsim.shootdown.Shootdowns;

/**
 * The simulated kernel: processes and threads on the machine's CPUs, the scheduler, system calls, page
 * faults, fork, pipes, exit and wait. {@link #run} starts an init process and returns when every process
 * has exited.
 *
 * <p>Execution model: every task (a thread of a process) is a Java thread that runs its code only while
 * it holds a CPU; blocking, yielding and the preemption tick hand the CPU to the next runnable task, or
 * to the CPU's idle task, which services interrupts. So an interrupt always reaches someone who answers,
 * real parallelism equals the number of simulated CPUs, and a blocked process never blocks a CPU.
 */
public final class Kernel implements AutoCloseable {
    /** Where exec places the first segment of an image (x86-64's traditional text base). */
    public static final long EXEC_BASE = 0x40_0000L;

    private final Machine machine;
    private final PerCpu[] perCpu;
    private final Scheduler scheduler;
    private final VirtualMemory vm;
    private final ShootdownStats shootdownStats;
    private final AtomicInteger nextPid = new AtomicInteger(1);
    private final AtomicInteger nextTid = new AtomicInteger(1);
    private final Object liveLock = new Object();
    private int liveProcesses;
    private final java.util.Set<SimProcess> live = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final java.util.Queue<String> panics = new java.util.concurrent.ConcurrentLinkedQueue<>();
    private final List<Thread> idleThreads = new ArrayList<>();
    private final Interrupt attention = this::flagAttention;
    private volatile boolean running;

    /** Builds a shootdown strategy for a machine's CPUs: how a researcher plugs in one of their own. */
    @FunctionalInterface
    public interface ShootdownFactory {
        ShootdownStrategy create(Cpu[] cpus, ShootdownStats stats);
    }

    private Kernel(Machine machine, ShootdownFactory factory) {
        this.machine = machine;
        Cpu[] cpus = machine.cpus().toArray(new Cpu[0]);
        this.perCpu = new PerCpu[cpus.length];
        for (int i = 0; i < cpus.length; i++) {
            perCpu[i] = new PerCpu(cpus[i], new Task(0, null, true));
        }
        this.shootdownStats = new ShootdownStats(cpus.length);
        ShootdownStrategy shootdown = factory.create(cpus, shootdownStats);
        this.scheduler = new Scheduler(perCpu, machine.config().schedQuantumMicros(), shootdown);
        this.vm = new VirtualMemory(this, machine, shootdown);
        machine.setFaultHandler(vm);
        for (PerCpu pc : perCpu) {
            Thread t = new Thread(() -> scheduler.idleLoop(pc.idle), "mmsim-idle-" + pc.cpu.id());
            t.setDaemon(true);
            pc.idle.thread = t;
            idleThreads.add(t);
        }
        for (PerCpu pc : perCpu) {
            pc.holder = pc.idle;
            pc.idle.thread.start();
            pc.idle.grant(pc);
        }
        scheduler.start();
    }

    /** Boots a kernel on {@code machine}: one idle thread per CPU, the tick, the fault handler. */
    public static Kernel boot(Machine machine) {
        String name = machine.config().shootdownStrategy().toString();
        return new Kernel(machine, (cpus, stats) -> Shootdowns.create(name, cpus, stats));
    }

    /** Boots with a shootdown strategy of the caller's (the configured one is ignored). */
    public static Kernel boot(Machine machine, ShootdownFactory shootdown) {
        return new Kernel(machine, shootdown);
    }

    public Machine machine() {
        return machine;
    }

    int cpuCount() {
        return perCpu.length;
    }

    /** The name of the shootdown strategy in use. */
    public String shootdownStrategy() {
        return vm.shootdownStrategy().name();
    }

    /** Modeled and host latencies of the shootdowns initiated so far; read when quiescent. */
    public ShootdownStats shootdownStats() {
        return shootdownStats;
    }

    /**
     * Starts an init process running {@code init} with an empty address space and no open files, and
     * waits until every process (init and all its descendants) has exited. Returns init's exit status.
     *
     * @throws TimeoutException when processes are still alive after {@code timeout}; the message holds
     *                          a dump of every live simulated thread
     */
    public ExitStatus run(ProcessBody init, Duration timeout) throws TimeoutException, InterruptedException {
        if (running) {
            throw new IllegalStateException("the kernel is already running an init process");
        }
        running = true;
        try {
            AddressSpace space = machine.newAddressSpace(mmsim.mem.FramePool.NO_CPU);
            SimProcess proc = new SimProcess(nextPid.getAndIncrement(), -1, null, new Mm(space), new FileTable());
            synchronized (liveLock) {
                liveProcesses++;
            }
            startMainTask(proc, init);
            long deadline = System.nanoTime() + timeout.toNanos();
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
            // deferred flushes (LATR) still hold frames: let the CPUs apply them
            while (vm.hasDeferredWork()) {
                if (System.nanoTime() > deadline) {
                    throw new TimeoutException("deferred TLB flushes still outstanding after " + timeout);
                }
                scheduler.kickAllIdle();
                Thread.sleep(1);
            }
            if (!panics.isEmpty()) {
                throw new IllegalStateException("kernel panic: " + panics.size() + " internal errors, first: " + panics.peek());
            }
            return proc.status();
        } finally {
            running = false;
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

    /**
     * Kills any process still alive, then stops the idle threads and the tick. The machine stays open
     * (its owner closes it).
     */
    @Override
    public void close() throws InterruptedException {
        for (SimProcess p : live) {
            kill(null, p, ExitStatus.killed("the kernel shut down"));
        }
        synchronized (liveLock) {
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (liveProcesses > 0 && System.nanoTime() < deadline) {
                liveLock.wait(100);
            }
        }
        scheduler.shutdown();
        for (Thread t : idleThreads) {
            t.join(10_000);
        }
    }

    // ---- tasks and processes ----

    private void flagAttention(Cpu cpu) {
        perCpu[cpu.id()].attention = true;
    }

    Task currentTask(Cpu cpu) {
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
        t.sys = new Sys(this, t);
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
    void kill(Task caller, SimProcess proc, ExitStatus status) {
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
            wakeAll(proc.joinWaiters);
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

    /** Internal errors the kernel met (none in a correct simulator). */
    public List<String> panics() {
        return List.copyOf(panics);
    }

    private void exitProcess(Task t) {
        SimProcess proc = t.process;
        proc.setStatus(ExitStatus.exited(0));
        Cpu cpu = t.cpu.cpu;
        for (OpenFile f : proc.files.removeAll()) {
            closeFile(f);
        }
        Mm mm = proc.mm;
        vm.teardown(cpu, mm);
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
                    wakeAll(parent.childWaiters);
                }
            }
        }
        live.remove(proc);
        synchronized (liveLock) {
            liveProcesses--;
            liveLock.notifyAll();
        }
    }

    private void wakeAll(java.util.ArrayDeque<Task> waiters) {
        Task w;
        while ((w = waiters.pollFirst()) != null) {
            scheduler.wake(w);
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

    private void blockCurrent(Task t) {
        scheduler.block(t);
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

    int fork(Task t, ProcessBody body) {
        SimProcess parent = t.process;
        Cpu cpu = t.cpu.cpu;
        Mm childMm;
        try {
            childMm = new Mm(vm.newSpace(cpu, nextPid.get()));
        } catch (OutOfFrames e) {
            throw new SyscallException(Errno.ENOMEM, "fork: " + e.getMessage());
        }
        try {
            assignAsid(childMm.space);
        } catch (SyscallException e) {
            vm.teardown(cpu, childMm);
            throw e;
        }
        Mm parentMm = parent.mm;
        parentMm.lock.writeLock(cpu);
        try {
            vm.fork(cpu, parentMm, childMm);
        } catch (OutOfFrames e) {
            parentMm.lock.writeUnlock();
            vm.teardown(cpu, childMm);
            freeAsid(childMm.space);
            throw new SyscallException(Errno.ENOMEM, "fork: " + e.getMessage());
        }
        parentMm.lock.writeUnlock();
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
            blockCurrent(t);
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
            blockCurrent(t);
        }
    }

    /**
     * mmap of anonymous memory: maps {@code length} bytes (rounded up to pages) at the lowest free address
     * at or above {@link AddressSpace#MMAP_BASE}. EINVAL for a length that is not positive or an unknown
     * protection; ENOMEM when user space has no room for it. A failed call maps nothing.
     */
    long mmap(Task t, long length, int protection) {
        if (length <= 0) {
            throw new SyscallException(Errno.EINVAL, "mmap length must be positive: " + length);
        }
        checkProtection(protection);
        if (length > PageTable.USER_VA_LIMIT) {
            throw new SyscallException(Errno.ENOMEM, "mmap of " + length + " bytes: more than user space");
        }
        Mm mm = t.process.mm;
        Cpu cpu = t.cpu.cpu;
        mm.lock.writeLock(cpu);
        try {
            return mm.space.map(length, protection);
        } catch (IllegalStateException e) {
            throw new SyscallException(Errno.ENOMEM, e.getMessage());
        } finally {
            mm.lock.writeUnlock();
        }
    }

    void munmap(Task t, long address, long length) {
        checkRange(address, length);
        try {
            vm.munmap(t.cpu.cpu, t.process.mm, address, length);
        } catch (OutOfFrames e) {
            throw new SyscallException(Errno.ENOMEM, "munmap: " + e.getMessage());
        }
    }

    void mprotect(Task t, long address, long length, int protection) {
        checkRange(address, length);
        checkProtection(protection);
        try {
            vm.mprotect(t.cpu.cpu, t.process.mm, address, length, protection);
        } catch (OutOfFrames e) {
            throw new SyscallException(Errno.ENOMEM, "mprotect: " + e.getMessage());
        }
    }

    void madviseDontNeed(Task t, long address, long length) {
        checkRange(address, length);
        try {
            vm.madviseDontNeed(t.cpu.cpu, t.process.mm, address, length);
        } catch (OutOfFrames e) {
            throw new SyscallException(Errno.ENOMEM, "madvise: " + e.getMessage());
        }
    }

    private static void checkRange(long address, long length) {
        if ((address & 0xFFF) != 0 || length <= 0 || !PageTable.isUserAddress(address)
                || !PageTable.isUserAddress(address + length - 1)) {
            throw new SyscallException(Errno.EINVAL, "[0x" + Long.toHexString(address) + ", +" + length
                    + ") is not a page-aligned range of user space");
        }
    }

    private static void checkProtection(int protection) {
        if ((protection & ~Vma.READ_WRITE) != 0 || protection == Vma.WRITE) {
            throw new SyscallException(Errno.EINVAL, "protection " + protection
                    + " is not one of NONE (0), READ (1), READ_WRITE (3)");
        }
    }

    /**
     * execve: replaces the process's image with {@code segments} mapped from {@link #EXEC_BASE}, one
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
        long next = EXEC_BASE;
        for (int i = 0; i < segments.length; i++) {
            checkProtection(segments[i].protection());
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
            fresh = new Mm(vm.newSpace(cpu, proc.pid));
        } catch (OutOfFrames e) {
            throw new SyscallException(Errno.ENOMEM, "exec: " + e.getMessage());
        }
        try {
            assignAsid(fresh.space);
        } catch (SyscallException e) {
            vm.teardown(cpu, fresh);
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
        vm.teardown(cpu, old);
        freeAsid(old.space);
        throw new ExecRequest(body);
    }

    int[] pipe(Task t) {
        Pipe p = new Pipe();
        p.readers = 1;
        p.writers = 1;
        FileTable files = t.process.files;
        int r = files.install(new OpenFile(p, true));
        int w = files.install(new OpenFile(p, false));
        return new int[] {r, w};
    }

    int dup(Task t, int fd) {
        FileTable files = t.process.files;
        OpenFile f = files.get(fd);
        synchronized (f.pipe) {
            f.references++;
        }
        return files.install(f);
    }

    void close(Task t, int fd) {
        closeFile(t.process.files.remove(fd));
    }

    private void closeFile(OpenFile f) {
        Pipe p = f.pipe;
        synchronized (p) {
            if (--f.references > 0) {
                return;
            }
            if (f.readEnd) {
                p.readers--;
            } else {
                p.writers--;
            }
            wakeAll(p.readWaiters);
            wakeAll(p.writeWaiters);
        }
    }

    /**
     * read(2) from a pipe into user memory at {@code va}: blocks while the pipe is empty and a writer
     * remains; returns 0 at end of file. Otherwise returns the bytes read, at most {@code length}: fewer
     * when fewer are in the pipe, or when the buffer turns inaccessible part-way (as Linux returns the
     * bytes copied so far). Bytes leave the pipe only once copied, so those not copied stay for the next
     * read. EFAULT when not one byte could be copied; the pipe then keeps all of them. Readers of one pipe
     * copy one at a time (Linux's pipe mutex): the bytes one is copying are not handed to another.
     */
    int read(Task t, int fd, long va, int length) {
        OpenFile f = t.process.files.get(fd);
        if (!f.readEnd) {
            throw new SyscallException(Errno.EBADF, "fd " + fd + " is not open for reading");
        }
        if (length <= 0) {
            return 0;
        }
        byte[] staging = t.sys.staging();
        int n = Math.min(length, staging.length);
        Pipe p = f.pipe;
        int got;
        while (true) {
            synchronized (p) {
                if (!p.reading) {
                    if (p.count > 0) {
                        got = p.peek(staging, n);
                        p.reading = true;
                        break;
                    }
                    if (p.writers == 0) {
                        return 0;
                    }
                }
                t.state.set(Task.BLOCKED);
                p.readWaiters.addLast(t);
            }
            blockCurrent(t);
        }
        int copied = 0;
        try {
            copied = copyToUser(t, va, staging, got);
            return copied;
        } finally {
            synchronized (p) {
                p.skip(copied);
                p.reading = false;
                wakeAll(p.readWaiters);
                if (copied > 0) {
                    wakeAll(p.writeWaiters);
                }
            }
        }
    }

    /**
     * write(2) of user memory at {@code va} into a pipe: blocks while the pipe is full and a reader
     * remains. Returns the bytes written: {@code length}, or fewer when the buffer turns inaccessible
     * part-way or the last reader closes part-way (as Linux returns the bytes written so far rather than
     * an error). Bytes enter the pipe only once copied from user memory, so a failed copy adds nothing.
     * EFAULT when not one byte could be copied, EPIPE when no reader is left before one byte was written;
     * the pipe is then unchanged.
     */
    int write(Task t, int fd, long va, int length) {
        OpenFile f = t.process.files.get(fd);
        if (f.readEnd) {
            throw new SyscallException(Errno.EBADF, "fd " + fd + " is not open for writing");
        }
        byte[] staging = t.sys.staging();
        Pipe p = f.pipe;
        int written = 0;
        while (written < length) {
            int chunk = Math.min(length - written, staging.length);
            int copied;
            try {
                copied = copyFromUser(t, va + written, staging, chunk);
            } catch (SyscallException efault) {
                if (written > 0) {
                    return written;
                }
                throw efault;
            }
            int off = 0;
            while (off < copied) {
                synchronized (p) {
                    if (p.readers == 0) {
                        if (written + off > 0) {
                            return written + off;
                        }
                        throw new SyscallException(Errno.EPIPE, "fd " + fd + ": no reader is left");
                    }
                    int k = p.put(staging, off, copied - off);
                    if (k > 0) {
                        off += k;
                        wakeAll(p.readWaiters);
                        continue;
                    }
                    t.state.set(Task.BLOCKED);
                    p.writeWaiters.addLast(t);
                }
                blockCurrent(t);
            }
            written += copied;
            if (copied < chunk) {
                return written;
            }
        }
        return written;
    }

    /**
     * Copies {@code data[0, length)} into user memory at {@code va} as the kernel, a page at a time:
     * faults break COW as user stores do. Returns the bytes copied: {@code length}, or fewer when a page
     * part-way is inaccessible (nothing reaches that page or any after it).
     *
     * @throws SyscallException EFAULT when the first page is inaccessible (nothing was copied)
     */
    private int copyToUser(Task t, long va, byte[] data, int length) {
        return copyUser(t, va, data, length, true);
    }

    /**
     * Copies {@code length} bytes of user memory at {@code va} into {@code data} as the kernel, a page at
     * a time. Returns the bytes copied: {@code length}, or fewer when a page part-way is inaccessible.
     *
     * @throws SyscallException EFAULT when the first page is inaccessible (nothing was copied)
     */
    private int copyFromUser(Task t, long va, byte[] data, int length) {
        return copyUser(t, va, data, length, false);
    }

    private int copyUser(Task t, long va, byte[] data, int length, boolean toUser) {
        int done = 0;
        t.inUserCopy = true;
        try {
            while (done < length) {
                long at = va + done;
                int chunk = (int) Math.min(length - done, PhysicalMemory.PAGE_SIZE - (at & PhysicalMemory.PAGE_OFFSET_MASK));
                try {
                    if (toUser) {
                        t.cpu.cpu.mmu().write(at, data, done, chunk);
                    } else {
                        t.cpu.cpu.mmu().read(at, data, done, chunk);
                    }
                } catch (SyscallException e) {
                    if (e.errno() != Errno.EFAULT || done == 0) {
                        throw e;
                    }
                    return done;
                }
                done += chunk;
            }
            return done;
        } finally {
            t.inUserCopy = false;
        }
    }

    void yield(Task t) {
        scheduler.yield(t);
    }

    int frameAt(Task t, long va) {
        return vm.frameAt(t.process.mm.space, va);
    }
}
