package mmsim.kernel;

import mmsim.cpu.Cpu;
import mmsim.cpu.FaultKind;
import mmsim.cpu.PageFaultHandler;
import mmsim.mem.FrameMetadata;
import mmsim.mem.PhysicalMemory;
import mmsim.paging.AddressSpace;
import mmsim.paging.PageTable;
import mmsim.paging.Pte;
import mmsim.paging.Vma;
import mmsim.shootdown.FlushReason;
import mmsim.stats.CpuCounter;
import mmsim.stats.OpLatencies;
import mmsim.stats.OpLatencies.Op;

/**
 * The page-fault handler: demand-zero (a read of an untouched private page maps the zero frame when
 * {@code mm.zero_page} is on; the first write replaces it with a fresh zeroed frame), copy-on-write copy or
 * reuse, the pages of shared mappings ({@link SharedMemory}), segmentation faults, and the fork strategy's hook
 * before a leaf table changes. Entries change by CAS with retry, so concurrent faults on one page from several
 * CPUs produce one outcome (one copy, one zero page) and the losers undo their work.
 *
 * <p>It finds the faulting task through {@link Tasks} (the kernel gives the task each CPU runs; a test
 * seam can give a fixed one) and needs nothing else of the process layer but a way to kill a process.
 * Locking: the faulting space's mm lock is held for reading while the fault is resolved.
 */
final class FaultHandler implements PageFaultHandler {
    private static final long PAGE = PhysicalMemory.PAGE_SIZE;

    /** What the fault handler needs of the process layer. */
    interface Tasks {
        /** The task executing on {@code cpu}, which took the fault. */
        Task current(Cpu cpu);

        /** Ends {@code process} with {@code status}; {@code caller} is the task doing it. */
        void kill(Task caller, SimProcess process, ExitStatus status);
    }

    private final Tasks tasks;
    private final KernelFrames frames;
    private final TlbFlusher flusher;
    private final ForkStrategy fork;
    private final PageTable pageTable;
    private final PhysicalMemory memory;
    private final FrameMetadata metadata;
    private final SharedMemory shared;
    private final OpLatencies latencies;
    /** A COW copy's release of the old frame, made once: a lambda capturing the frame was an allocation per fault. */
    private final TlbFlusher.FrameRelease putOldFrame;

    FaultHandler(Tasks tasks, KernelFrames frames, TlbFlusher flusher, ForkStrategy fork, OpLatencies latencies) {
        this.latencies = latencies;
        this.tasks = tasks;
        this.frames = frames;
        this.flusher = flusher;
        this.fork = fork;
        this.pageTable = frames.pageTable();
        this.memory = frames.memory();
        this.metadata = frames.metadata();
        this.shared = new SharedMemory(frames);
        this.putOldFrame = frames::putFrame;
    }

    /**
     * Resolves the fault and records its modeled latency ({@link OpLatencies}): from the MMU's fault entry
     * ({@link Cpu#faultEnteredAt}) to the return to the faulting instruction, or, for a fault that kills the
     * process or fails a system call's user copy, to that decision.
     */
    @Override
    public void handlePageFault(Cpu cpu, long va, boolean write, FaultKind kind) {
        Task t = tasks.current(cpu);
        boolean sharesTables = fork.sharesLeafTables();
        long tableCopies = sharesTables ? cpu.counters().read(CpuCounter.FAULTS_TABLE_COPY) : 0;
        Op outcome;
        try {
            outcome = resolveFault(cpu, t, va, write);
        } catch (OutOfFrames e) {
            cpu.counters().increment(CpuCounter.OOM_KILLS);
            tasks.kill(t, t.process, ExitStatus.outOfMemory("pid " + t.process.pid + " killed: " + e.getMessage()
                    + " on a " + (write ? "store to" : "load from") + " 0x" + Long.toHexString(va)));
            recordLatency(cpu, Op.FAULT_OTHER);
            throw ProcessExit.INSTANCE;
        }
        if (sharesTables && cpu.counters().read(CpuCounter.FAULTS_TABLE_COPY) != tableCopies) {
            outcome = Op.FAULT_TABLE_COPY;   // the hook copied this space's leaf table first
        }
        recordLatency(cpu, outcome);
    }

    private void recordLatency(Cpu cpu, Op op) {
        latencies.record(cpu.id(), op, cpu.clock() - cpu.faultEnteredAt());
    }

    /**
     * The fault handler's work for task {@code t} on {@code cpu}; returns what resolved it (for its latency's
     * kind; a fault that made a shared leaf table private is told apart by the caller). @throws OutOfFrames
     */
    Op resolveFault(Cpu cpu, Task t, long va, boolean write) {
        boolean sharesTables = fork.sharesLeafTables();
        if (!PageTable.isUserAddress(va)) {
            segfault(cpu, t, va, write, "outside user space");
        }
        Mm mm = t.process.mm;
        AddressSpace space = mm.space;
        mm.lock.readLock(cpu);
        try {
            Vma vma = space.findVma(va);
            if (vma == null) {
                segfault(cpu, t, va, write, "not mapped");
            }
            if (!vma.readable()) {
                segfault(cpu, t, va, write, "in a PROT_NONE area " + vma);
            }
            if (write && !vma.writable()) {
                segfault(cpu, t, va, write, "to the read-only area " + vma);
            }
            long page = va & ~PhysicalMemory.PAGE_OFFSET_MASK;
            fork.beforeLeafTableChange(cpu, space, page);
            // the MMU's walk found the slot, and under the lock it stays valid unless tables were unlinked meanwhile;
            // on-demand fork replaces shared leaf tables under the read lock, uncounted, so it always walks here
            long slot = sharesTables ? PageTable.NO_SLOT : cpu.leafSlotHint(space, page);
            if (slot == PageTable.NO_SLOT) {
                slot = frames.leafSlotMut(cpu, space, page);
            }
            while (true) {
                long pte = PhysicalMemory.laLong(slot);
                Op resolved;
                if (!Pte.isPresent(pte)) {
                    if (Pte.holdsFrame(pte)) {
                        throw new IllegalStateException("PROT_NONE entry left in readable area " + vma + ": " + Pte.toString(pte));
                    }
                    resolved = vma.isShared() ? (shared.mapPage(cpu, slot, vma, page, write) ? Op.FAULT_OTHER : null)
                            : demandZero(cpu, slot, vma, write);
                } else if (write && !Pte.isWritable(pte)) {
                    resolved = writeProtectFault(cpu, space, slot, page, pte);
                } else {
                    // another CPU resolved it first, or (a write to a shared mapping's page) on-demand fork's hook
                    // just made private the leaf table whose write-protected link caused it; this CPU's TLB may
                    // still hold the old entry
                    cpu.counters().increment(write && Pte.isShared(pte) ? CpuCounter.FAULTS_SHARED : CpuCounter.FAULTS_SPURIOUS);
                    cpu.invalidatePage(page);
                    return Op.FAULT_OTHER;
                }
                if (resolved != null) {
                    return resolved;
                }
            }
        } finally {
            mm.lock.readUnlock(cpu);
        }
    }

    private void segfault(Cpu cpu, Task t, long va, boolean write, String why) {
        String what = (write ? "store to" : "load from") + " 0x" + Long.toHexString(va) + " " + why;
        if (t.inUserCopy) {
            recordLatency(cpu, Op.FAULT_OTHER);
            throw new SyscallException(Errno.EFAULT, "the buffer at 0x" + Long.toHexString(va) + " is " + why);
        }
        cpu.counters().increment(CpuCounter.SEGFAULTS);
        tasks.kill(t, t.process, ExitStatus.segfault("pid " + t.process.pid + " segfault: " + what));
        recordLatency(cpu, Op.FAULT_SEGFAULT);
        throw ProcessExit.INSTANCE;
    }

    /**
     * A first touch of a private page: the zero frame for a read (when there is one), else a fresh zeroed frame.
     * Returns what resolved it, or null when another CPU changed the entry first (the caller re-reads it).
     */
    private Op demandZero(Cpu cpu, long slot, Vma vma, boolean write) {
        int zero = frames.zeroFrame();
        if (!write && zero != KernelFrames.NO_ZERO_FRAME) {
            return mapZeroFrame(cpu, slot, zero) ? Op.FAULT_ZERO_PAGE : null;
        }
        int f = frames.allocFrame(cpu, "a demand-zero page");
        memory.zeroFrame(f);
        long pte = Pte.make(f, Pte.PRESENT | Pte.USER | Pte.ACCESSED
                | (vma.writable() ? Pte.WRITABLE : 0) | (write ? Pte.DIRTY : 0));
        // CAS (release): the zeroed contents are visible before the entry that maps them
        if (PhysicalMemory.casLong(slot, 0L, pte)) {
            cpu.counters().increment(CpuCounter.FAULTS_DEMAND_ZERO);
            cpu.charge(cpu.costs().pageZero + cpu.costs().pteUpdate);
            return Op.FAULT_DEMAND_ZERO;
        }
        frames.putFrame(cpu, f);
        return null;
    }

    /**
     * Maps the zero frame read-only, whatever the area allows (a write then takes {@link #writeProtectFault}),
     * with the entry's own reference to it: no allocation, no zeroing.
     */
    private boolean mapZeroFrame(Cpu cpu, long slot, int zero) {
        metadata.retain(zero);
        if (PhysicalMemory.casLong(slot, 0L, Pte.make(zero, Pte.PRESENT | Pte.USER | Pte.ACCESSED))) {
            cpu.counters().increment(CpuCounter.FAULTS_ZERO_PAGE);
            cpu.charge(cpu.costs().pteUpdate);
            return true;
        }
        frames.putFrame(cpu, zero);
        return false;
    }

    /**
     * A write to a present, write-protected page of a writable area: a shared mapping's page is made writable in
     * place; the zero frame is replaced by a fresh zeroed frame; any other frame is reused if this space is its
     * sole owner, else copied. The zero frame's count never falls to one (the kernel holds a reference), so it
     * can never be reused; it is tested first all the same. Returns what resolved it (a write to the zero page
     * counts as demand-zero: it is the page's first write), or null when the entry changed first.
     */
    private Op writeProtectFault(Cpu cpu, AddressSpace space, long slot, long page, long pte) {
        if (Pte.isShared(pte)) {
            return shared.enableWrite(cpu, slot, pte) ? Op.FAULT_OTHER : null;
        }
        int old = Pte.frame(pte);
        boolean zero = old == frames.zeroFrame();
        if (!zero && metadata.refCount(old) == 1) {
            // Sole owner: nobody else can gain a reference meanwhile (that takes fork, which holds our lock for writing).
            long writable = Pte.without(pte, Pte.COW) | Pte.WRITABLE | Pte.ACCESSED | Pte.DIRTY;
            if (PhysicalMemory.casLong(slot, pte, writable)) {
                cpu.counters().increment(CpuCounter.FAULTS_COW_REUSE);
                cpu.charge(cpu.costs().pteUpdate);
                return Op.FAULT_COW_REUSE;
            }
            return null;
        }
        int copy = frames.allocFrame(cpu, zero ? "a page replacing the zero page" : "a copy-on-write copy");
        if (zero) {
            memory.zeroFrame(copy);
        } else {
            memory.copyFrame(old, copy);
        }
        cpu.charge((zero ? cpu.costs().pageZero : cpu.costs().pageCopy) + cpu.costs().pteUpdate);
        long fresh = Pte.make(copy, Pte.flags(Pte.without(pte, Pte.COW)) | Pte.WRITABLE | Pte.ACCESSED | Pte.DIRTY);
        try (TlbFlusher.Flush flush = flusher.open(cpu, space, FlushReason.COW_REPLACE, page, page + PAGE)) {
            // CAS (release): the copied bytes are visible before the entry that maps them
            if (!PhysicalMemory.casLong(slot, pte, fresh)) {
                frames.putFrame(cpu, copy);
                return null;   // nothing changed: the flush closes empty
            }
            // Other CPUs may still translate to the old frame: flush before dropping our reference (invariant 4).
            cpu.counters().increment(zero ? CpuCounter.FAULTS_ZERO_PAGE_WRITE : CpuCounter.FAULTS_COW_COPY);
            flush.addRange(page, 1).onRelease(putOldFrame, old);
        }
        return zero ? Op.FAULT_DEMAND_ZERO : Op.FAULT_COW_COPY;
    }
}
