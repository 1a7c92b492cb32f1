package mmsim.kernel;

import java.util.BitSet;

import mmsim.cpu.Cpu;
import mmsim.cpu.Mmu;
import mmsim.stats.OpLatencies.Op;

/**
 * The system-call interface a workload programs against: one per simulated thread, handed to its body.
 * Use it only from that body's own Java thread.
 *
 * <p>Errors are {@link SyscallException}s naming an {@link Errno} (EBADF for a closed descriptor,
 * EFAULT for a buffer that is not mapped, ...). A memory access outside the process's mappings, or a
 * write to a read-only page, kills the process with a segfault status; running out of frames kills it
 * with an out-of-memory status. Either way the machine and the other processes carry on.
 *
 * <p>Memory accesses go through the MMU of the CPU the thread holds. int and long accesses must be
 * naturally aligned. Every access and system call is a point where the thread may be preempted.
 *
 * <p>Modeled latency ({@link mmsim.stats.OpLatencies}): fork, exec, exit, waitpid/waitAny, every mmap,
 * munmap, mprotect, madvise, mremap and read/write (pipes) record the cycles on the calling task's clock
 * from entry to return, into the histogram of the CPU it returns on: blocked time and shootdowns waited
 * for included, the entry/exit cost included, a preemption at the return excluded. A call that fails
 * ({@link SyscallException}) or is cut short by its process's end records nothing.
 */
public final class Sys {
    /** madvise advice: the pages' contents may be dropped; the next touch sees zeros (a shared mapping's data stays). */
    public static final int MADV_DONTNEED = 4;
    /** mremap flag: the mapping may move when it cannot grow in place (Linux's value). */
    public static final int MREMAP_MAYMOVE = 1;

    private final Kernel kernel;
    private final Task task;
    private byte[] staging;

    Sys(Kernel kernel, Task task) {
        this.kernel = kernel;
        this.task = task;
    }

    /**
     * Acts on a kill or a pending preemption before the thread runs more user code. A system call is an
     * interrupt boundary and a modeled-time boundary too: it costs {@code cost.syscall} cycles, so a
     * thread that loops on {@link #yield()} still answers shootdowns, reaches its ticks and the phase end.
     */
    void userReturn() {
        userReturn(null, 0);
    }

    /**
     * {@link #userReturn()} of a system call whose latency is recorded as {@code op} (null: none): the cycles
     * from {@code entered} ({@link #enter}) on the task's clock to its return, the call's entry and exit cost
     * included and the tick, interrupts and a preemption at the return (not the call's) excluded. The task may
     * have blocked and resumed on another CPU meanwhile; the scheduler resumes a task no earlier than it left.
     */
    private void userReturn(Op op, long entered) {
        PerCpu pc = task.cpu;
        Cpu cpu = pc.cpu;
        cpu.charge(cpu.costs().syscall);
        if (op != null) {
            kernel.latencies.record(cpu.id(), op, cpu.clock() - entered);
        }
        // the tick and the phase end fall due here; neither moves the task off its CPU
        cpu.checkDeadline();
        cpu.pollInterrupts();
        if (pc.attention) {
            kernel.processes.userReturnSlowPath(task);
        }
    }

    /** The task's modeled clock at a system call's entry: where its latency starts. */
    private long enter() {
        return task.cpu.cpu.clock();
    }

    /** After a memory access, which already polled interrupts in the MMU: only the kill/preemption check. */
    private void accessReturn() {
        if (task.cpu.attention) {
            kernel.processes.userReturnSlowPath(task);
        }
    }

    /** The process's memory, for tests of the kernel's invariants. */
    Mm mm() {
        return task.process.mm;
    }

    private java.util.SplittableRandom random;

    /**
     * This task's buffer for a pipe copy of {@code bytes}: at least {@code min(bytes, Pipe.CAPACITY)} long, at most
     * {@code Pipe.CAPACITY}; grown by doubling and kept. Sized to the calls the task makes: a 64 KiB buffer per task
     * that ever read a pipe was 193 MB of chaos's 12 s run (most of its reads are a few bytes).
     */
    byte[] staging(int bytes) {
        int need = Math.min(Math.max(bytes, 1), Pipe.CAPACITY);
        if (staging == null || staging.length < need) {
            staging = new byte[Pipe.bufferLength(need, 256)];
        }
        return staging;
    }

    /** The CPU this thread holds right now. */
    private mmsim.cpu.Cpu cpu() {
        return task.cpu.cpu;
    }

    private Mmu mmu() {
        return task.cpu.cpu.mmu();
    }

    // ---- identity ----

    /** getpid(2): this process's id. A system call (it costs {@code cost.syscall}, as Linux's does; glibc caches nothing). */
    public int getpid() {
        int pid = task.process.pid;
        userReturn();
        return pid;
    }

    /**
     * The parent's pid: the process that forked this one, or init's (1 in a fresh kernel) once that one
     * exited and init adopted this one; 0 for init, and for an orphan once init itself has exited.
     */
    public int getppid() {
        SimProcess p = task.process.parent;
        int ppid = p == null ? 0 : p.pid;
        userReturn();
        return ppid;
    }

    /** gettid(2): this thread's id (the pid for a process's main thread). A system call, as getpid. */
    public int gettid() {
        int tid = task.tid;
        userReturn();
        return tid;
    }

    /** What fork returned in this process: 0 in a forked child, -1 in a process the kernel started. */
    public int forkValue() {
        return task.process.forkValue;
    }

    /** The CPU this thread is executing on right now. */
    public int cpuId() {
        return task.cpu.cpu.id();
    }

    // ---- modeled time and randomness ----

    /**
     * This CPU's modeled clock, in cycles since boot (like {@code rdtsc}: the CPU the thread runs on now;
     * at the cost model's clock rate). Deterministic in the deterministic mode. Not a system call: costs
     * nothing and is no interrupt boundary.
     */
    public long nowCycles() {
        return task.cpu.cpu.clock();
    }

    /**
     * This thread's own random generator, seeded from the run's seed and the thread's id (both
     * deterministic in the deterministic mode), so a workload's random choices reproduce with its seed
     * whatever the interleaving. One generator per thread, created on first use; not for other threads.
     */
    public java.util.SplittableRandom random() {
        if (random == null) {
            long seed = kernel.machine().config().seed();
            random = new java.util.SplittableRandom(seed * 0x9E3779B97F4A7C15L ^ (task.tid * 0xC2B2AE3D27D4EB4FL + 0x165667B19E3779F9L));
        }
        return random;
    }

    // ---- processes ----

    /**
     * Creates a child process with a copy of this one's address space (by the configured fork
     * strategy) and file table; the child runs {@code child} (in which {@link #forkValue()} is 0 and
     * {@link #getpid()} is its own pid). Returns the child's pid.
     *
     * @throws SyscallException ENOMEM when memory for the copy ran out (nothing of the child remains, and
     *                          this process's memory is as it was)
     */
    public int fork(ProcessBody child) {
        long entered = enter();
        int pid = kernel.processes.fork(task, child);
        userReturn(kernel.forkOp, entered);
        return pid;
    }

    /** Ends the process with {@code status}; other threads of the process stop too. Does not return. */
    public void exit(int status) {
        task.exitEnteredAt = enter();
        kernel.processes.exitGroup(task, ExitStatus.exited(status));
        throw ProcessExit.INSTANCE;
    }

    /** Waits for child {@code pid} to exit and reaps it. ECHILD if it is not a child. */
    public ExitStatus waitpid(int pid) {
        if (pid <= 0) {
            throw new SyscallException(Errno.EINVAL, "waitpid takes a child pid; use waitAny() for any child");
        }
        long entered = enter();
        ExitStatus s = kernel.processes.waitpid(task, pid).status();
        userReturn(Op.WAITPID, entered);
        return s;
    }

    /**
     * Waits for any child to exit and reaps it; returns its pid and status. ECHILD without children. Init's
     * children include the orphans it adopted, with their real status.
     */
    public Waited waitAny() {
        long entered = enter();
        Processes.Waited w = kernel.processes.waitpid(task, -1);
        userReturn(Op.WAITPID, entered);
        return new Waited(w.pid(), w.status());
    }

    /** A reaped child. */
    public record Waited(int pid, ExitStatus status) {
    }

    /**
     * Replaces this process's image: a fresh address space with {@code segments} mapped from
     * {@link Kernel#EXEC_BASE} (find them with {@link #segmentAddress}), the same files; then runs
     * {@code body} in place of the current one. Does not return, unless it fails, and then the process
     * keeps its image unchanged: EBUSY while other threads are alive, EINVAL for an empty segment or an
     * unknown protection, ENOMEM when the segments do not fit in user space or memory ran out, EAGAIN
     * when no address-space id is free.
     */
    public void exec(ProcessBody body, Segment... segments) {
        long entered = enter();
        try {
            kernel.processes.exec(task, body, segments);
        } catch (ExecRequest replaced) {
            // exec charges no entry/exit of its own: the new image starts without a return to the old one
            kernel.latencies.record(cpuId(), Op.EXEC, cpu().clock() - entered);
            throw replaced;
        }
    }

    /** Where exec placed segment {@code i}. */
    public long segmentAddress(int i) {
        long[] s = task.process.segments;
        if (i < 0 || i >= s.length) {
            throw new SyscallException(Errno.EINVAL, "no segment " + i + " (the image has " + s.length + ")");
        }
        return s[i];
    }

    /** Starts a thread running {@code body} in this process (same memory, same files); returns its tid. */
    public int spawnThread(ThreadBody body) {
        int tid = kernel.processes.spawnThread(task, body);
        userReturn();
        return tid;
    }

    /** Waits until thread {@code tid} of this process has finished. */
    public void joinThread(int tid) {
        kernel.processes.joinThread(task, tid);
        userReturn();
    }

    /** Gives the CPU to another runnable task allowed on it, if any. */
    public void yield() {
        kernel.scheduler.yield(task);
        userReturn();
    }

    /**
     * kill(2): sends {@code sig} (a {@link Signals} number) to process {@code pid}; 0 sends nothing and
     * only checks that the process exists. Signals take their default actions (there are no handlers):
     * SIGCHLD is ignored, every other one ends the process, and its {@link #waitpid} then reports
     * {@link ExitStatus.Kind#SIGNALED} with that signal — whether its threads were running, yielding or
     * blocked (in a pipe, waitpid or joinThread). A process already ending keeps the status it had; a
     * zombie is unaffected; init ignores every signal (Linux delivers to init only those it handles). Any
     * process may signal any other (mmsim has no users). When the signal ends the caller's own process, the
     * call does not return.
     *
     * @throws SyscallException EINVAL for a signal mmsim does not model or a pid that is not positive (no
     *                          process groups); ESRCH when no process (live or zombie) has that pid
     */
    public void kill(int pid, int sig) {
        kernel.control.kill(task, pid, sig);
        userReturn();
    }

    /**
     * sched_setaffinity(2): thread {@code tid} (0 for this one; a process's pid names its main thread) may
     * run only on the CPUs in {@code cpus} (bit i: CPU i; bits past the machine's CPUs are ignored). The
     * scheduler never hands it another CPU; when it holds one outside the set, it has left it when this call
     * returns. fork and spawnThread pass the caller's set on; exec keeps it. Any thread may change any
     * other's. A failed call changes nothing.
     *
     * @throws SyscallException EINVAL when {@code cpus} holds no CPU of the machine; ESRCH when no live thread
     *                          has {@code tid}; EFAULT for a null set
     */
    public void schedSetaffinity(int tid, BitSet cpus) {
        kernel.control.setAffinity(task, tid, cpus);
        userReturn();
    }

    /**
     * sched_getaffinity(2): the CPUs thread {@code tid} (0 for this one) may run on, as a new set (every CPU
     * of the machine, unless someone narrowed it). ESRCH when no live thread has {@code tid}.
     */
    public BitSet schedGetaffinity(int tid) {
        BitSet cpus = kernel.control.getAffinity(task, tid);
        userReturn();
        return cpus;
    }

    /** getrusage's {@code who}: this process (all its threads). */
    public static final int RUSAGE_SELF = 0;
    /** getrusage's {@code who}: the children this process reaped, and those they reaped in turn. */
    public static final int RUSAGE_CHILDREN = -1;

    /**
     * getrusage(2): the resource usage of this process ({@link #RUSAGE_SELF}: this thread's up to now, the
     * other threads' up to their last context switch) or of its reaped descendants
     * ({@link #RUSAGE_CHILDREN}: a child counts once waitpid reaped it, with the children it reaped itself).
     * Faults by kind, copy-on-write copies, shootdowns initiated and received, and every other per-CPU
     * counter, as {@link Rusage} describes. EINVAL for another {@code who} (RUSAGE_THREAD is not modelled).
     */
    public Rusage getrusage(int who) {
        Rusage usage = switch (who) {
            case RUSAGE_SELF -> kernel.control.usageOfSelf(task);
            case RUSAGE_CHILDREN -> kernel.control.usageOfChildren(task);
            default -> throw new SyscallException(Errno.EINVAL, "getrusage who " + who
                    + ": RUSAGE_SELF (0) or RUSAGE_CHILDREN (-1)");
        };
        userReturn();
        return usage;
    }

    // ---- memory ----

    /**
     * Maps {@code length} bytes (rounded up to pages) of zero-filled memory; returns the address. EINVAL
     * for a length that is not positive or an unknown protection, ENOMEM when user space has no room;
     * a failed call maps nothing.
     */
    public long mmap(long length, int protection) {
        long entered = enter();
        long a = kernel.mappings.mmap(cpu(), mm(), length, protection);
        userReturn(Op.MMAP, entered);
        return a;
    }

    /**
     * mmap(MAP_SHARED | MAP_ANONYMOUS): maps {@code length} bytes (rounded up to pages) of zero-filled memory that
     * this process shares with the children it forks from now on, and theirs: under every fork strategy they
     * reach the same pages, never a copy, and each sees the others' writes. munmap, mprotect and madvise change
     * only the calling process's mapping (madvise(MADV_DONTNEED) drops its translations, not the data: the next
     * touch maps the same page again); the memory is freed when the last process that maps it unmaps it, execs or
     * exits. EINVAL for a length that is not positive or an unknown protection; ENOMEM for more than physical
     * memory or when user space has no room; a failed call maps nothing.
     */
    public long mmapShared(long length, int protection) {
        long entered = enter();
        long a = kernel.mappings.mmapShared(cpu(), mm(), length, protection);
        userReturn(Op.MMAP, entered);
        return a;
    }

    /**
     * Unmaps the pages {@code [address, address + length)} (parts not mapped are ignored). EINVAL for a
     * range that is not page-aligned user space; ENOMEM when memory ran out (on-demand fork copies a shared
     * page table first). A failed call changes nothing.
     */
    public void munmap(long address, long length) {
        long entered = enter();
        kernel.mappings.munmap(cpu(), mm(), address, length);
        userReturn(Op.MUNMAP, entered);
    }

    /**
     * mmap with MAP_FIXED: maps {@code length} bytes (rounded up to pages) of zero-filled memory at exactly
     * {@code address}, replacing whatever this process mapped there, as one operation (no other thread of the
     * process can observe the range unmapped in between). The replaced pages' translations are gone from
     * every TLB when this returns, whatever the shootdown strategy. Returns {@code address}.
     *
     * @throws SyscallException EINVAL for a length that is not positive, an address that is not page-aligned
     *                          or an unknown protection; ENOMEM for a range that leaves user space, or when
     *                          memory ran out (on-demand fork copies a shared page table first). A failed call
     *                          changes nothing.
     */
    public long mmapFixed(long address, long length, int protection) {
        long entered = enter();
        long a = kernel.mappings.mmapFixed(cpu(), mm(), address, length, protection);
        userReturn(Op.MMAP, entered);
        return a;
    }

    /**
     * mmap with an address hint: as {@link #mmap(long, int)}, but at {@code hint} (rounded up to a page) when
     * that range is free and inside user space, else wherever {@link #mmap(long, int)} would place it. A hint
     * is never an error; 0 is no hint. Returns the address.
     *
     * @throws SyscallException EINVAL for a length that is not positive or an unknown protection, ENOMEM when
     *                          user space has no room; a failed call maps nothing
     */
    public long mmapHint(long hint, long length, int protection) {
        long entered = enter();
        long a = kernel.mappings.mmapHint(cpu(), mm(), hint, length, protection);
        userReturn(Op.MMAP, entered);
        return a;
    }

    /**
     * Resizes the mapping at {@code [oldAddress, oldAddress + oldSize)} to {@code newSize} bytes (sizes rounded
     * up to pages) and returns its address: shrinking unmaps the tail (as {@link #munmap}); growing extends it
     * in place when the pages after it are free, otherwise, with {@link #MREMAP_MAYMOVE} in {@code flags},
     * moves it to a free range (its pages move, nothing is copied; the grown part reads zero). After a move no
     * TLB translates the old addresses any more, whatever the shootdown strategy: a later access there faults.
     *
     * @throws SyscallException EINVAL for an old address that is not page-aligned, a size that is not positive
     *                          or a flag other than MREMAP_MAYMOVE; EFAULT when the old range is not inside
     *                          one mapping; ENOMEM when it cannot grow in place and may not move, when user
     *                          space has no room, or when memory for page tables ran out. A failed call changes
     *                          nothing.
     */
    public long mremap(long oldAddress, long oldSize, long newSize, int flags) {
        if ((flags & ~MREMAP_MAYMOVE) != 0) {
            throw new SyscallException(Errno.EINVAL, "mremap flags " + flags + ": only MREMAP_MAYMOVE (1) is supported");
        }
        long entered = enter();
        long a = kernel.mappings.mremap(cpu(), mm(), oldAddress, oldSize, newSize, (flags & MREMAP_MAYMOVE) != 0);
        userReturn(Op.MREMAP, entered);
        return a;
    }

    /**
     * The machine's memory: total and free frames, the part of the free frames in per-CPU caches, and the
     * frames an unmapping still holds until its TLB flush completes (see {@link SysInfo} for what each means
     * and how consistent they are while other CPUs run). Fails never.
     */
    public SysInfo sysinfo() {
        SysInfo info = kernel.frames.sysinfo();
        userReturn();
        return info;
    }

    /**
     * Changes the protection of the mapped pages of {@code [address, address + length)}: NONE (0), READ (1)
     * or READ_WRITE (3). EINVAL for a bad range or protection; ENOMEM when memory ran out (on-demand fork
     * copies a shared page table first). A failed call changes nothing.
     */
    public void mprotect(long address, long length, int protection) {
        long entered = enter();
        kernel.mappings.mprotect(cpu(), mm(), address, length, protection);
        userReturn(Op.MPROTECT, entered);
    }

    /**
     * Only {@link #MADV_DONTNEED} is supported: the mapped pages of the range are dropped; a private page reads
     * zeros when touched next, a page of a shared mapping ({@link #mmapShared}) its data again, which the shared
     * memory keeps (as Linux documents). EINVAL for other advice or a bad range; ENOMEM when memory ran out
     * (on-demand fork copies a shared page table first). A failed call changes nothing.
     */
    public void madvise(long address, long length, int advice) {
        if (advice != MADV_DONTNEED) {
            throw new SyscallException(Errno.EINVAL, "madvise advice " + advice + " is not supported; only MADV_DONTNEED (4)");
        }
        long entered = enter();
        kernel.mappings.madviseDontNeed(cpu(), mm(), address, length);
        userReturn(Op.MADVISE, entered);
    }

    public byte loadByte(long va) {
        byte v = mmu().loadByte(va);
        accessReturn();
        return v;
    }

    public void storeByte(long va, byte value) {
        mmu().storeByte(va, value);
        accessReturn();
    }

    public int loadInt(long va) {
        int v = mmu().loadInt(va);
        accessReturn();
        return v;
    }

    public void storeInt(long va, int value) {
        mmu().storeInt(va, value);
        accessReturn();
    }

    public long loadLong(long va) {
        long v = mmu().loadLong(va);
        accessReturn();
        return v;
    }

    public void storeLong(long va, long value) {
        mmu().storeLong(va, value);
        accessReturn();
    }

    /** Copies {@code length} bytes at {@code va} into {@code target[offset..]}. */
    public void load(long va, byte[] target, int offset, int length) {
        mmu().read(va, target, offset, length);
        accessReturn();
    }

    /** Copies {@code source[offset..offset+length)} to {@code va}. */
    public void store(long va, byte[] source, int offset, int length) {
        mmu().write(va, source, offset, length);
        accessReturn();
    }

    /**
     * What this process's page tables say about {@code va} right now: the leaf entry's bits, the frame, its
     * reference count, whether the leaf table is shared (an inspection aid: no fault, no side effect; see
     * {@link PageInfo} for its consistency while other CPUs run). EINVAL for an address outside user space.
     */
    public PageInfo inspect(long va) {
        return kernel.inspector.inspect(mm().space, va);
    }

    /** The physical frame mapped at {@code va} right now, or -1 (an inspection aid: no fault, no side effect). */
    public int frameOf(long va) {
        return kernel.mappings.frameAt(mm().space, va);
    }

    // ---- files ----

    /** A new pipe: {@code [readFd, writeFd]}. */
    public int[] pipe() {
        int[] fds = kernel.files.pipe(task);
        userReturn();
        return fds;
    }

    /**
     * Reads up to {@code length} bytes from {@code fd} into memory at {@code va}; 0 at end of file. Blocks
     * while the pipe is empty. Returns fewer bytes than asked when fewer are there, or when the buffer turns
     * inaccessible part-way (the bytes copied so far; the rest stay in the pipe). EFAULT when not one byte
     * could be copied: the pipe then keeps everything.
     */
    public int read(int fd, long va, int length) {
        long entered = enter();
        int n = kernel.files.read(task, fd, va, length);
        userReturn(Op.PIPE_READ, entered);
        return n;
    }

    /**
     * Writes {@code length} bytes at {@code va} to {@code fd}, blocking while the pipe is full; returns the
     * bytes written. That is fewer than {@code length} when the buffer turns inaccessible part-way or the
     * last reader closes part-way. EFAULT when not one byte could be copied, EPIPE when no reader is left
     * before one byte was written: the pipe then holds nothing of this call.
     */
    public int write(int fd, long va, int length) {
        long entered = enter();
        int n = kernel.files.write(task, fd, va, length);
        userReturn(Op.PIPE_WRITE, entered);
        return n;
    }

    public void close(int fd) {
        kernel.files.close(task, fd);
        userReturn();
    }

    /** A new descriptor for the same open file. */
    public int dup(int fd) {
        int n = kernel.files.dup(task, fd);
        userReturn();
        return n;
    }
}
