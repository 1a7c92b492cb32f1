package mmsim.kernel;

import java.util.ArrayList;
import java.util.List;

import mmsim.Machine;
import mmsim.config.MachineConfig.ForkStrategy;
import mmsim.cpu.Cpu;
import mmsim.cpu.FaultKind;
import mmsim.cpu.PageFaultHandler;
import mmsim.mem.FrameMetadata;
import mmsim.mem.FramePool;
import mmsim.mem.PhysicalMemory;
import mmsim.paging.AddressSpace;
import mmsim.paging.PageTable;
import mmsim.paging.Pte;
import mmsim.paging.Vma;
import mmsim.shootdown.FlushReason;
import mmsim.shootdown.FlushRequest;
import mmsim.shootdown.ReleaseAction;
import mmsim.shootdown.ShootdownStrategy;
import mmsim.stats.CostModel;
import mmsim.stats.CpuCounter;

/**
 * The kernel's memory management: the page-fault handler, fork's three ways of copying an address
 * space, munmap/mprotect/madvise, and teardown. Every page-table change that downgrades or removes a
 * translation is followed by a shootdown before the frames it released are reused (invariants 4 and 5).
 *
 * <p>Locking: faults hold the mm's lock for reading; fork, munmap, mprotect, madvise hold it for
 * writing. Entries are changed by CAS with retry, so concurrent faults on one page from several CPUs
 * produce one outcome (one copy, one zero page) and the losers undo their work.
 */
final class VirtualMemory implements PageFaultHandler {
    private static final long PAGE = PhysicalMemory.PAGE_SIZE;

    private final Kernel kernel;
    private final PhysicalMemory memory;
    private final FrameMetadata frames;
    private final FramePool pool;
    private final PageTable pageTable;
    private final ShootdownStrategy shootdown;
    private final ForkStrategy forkStrategy;
    private final FlushRequest[] flushScratch;
    private final CrossCall drainFrameCaches;
    private final CrossCall applyDeferredAndDrain;

    VirtualMemory(Kernel kernel, Machine machine, ShootdownStrategy shootdown) {
        this.kernel = kernel;
        this.memory = machine.memory();
        this.frames = machine.frames();
        this.pool = machine.framePool();
        this.pageTable = machine.pageTable();
        this.shootdown = shootdown;
        this.forkStrategy = machine.config().forkStrategy();
        Cpu[] cpus = machine.cpus().toArray(new Cpu[0]);
        this.flushScratch = new FlushRequest[cpus.length];
        for (int i = 0; i < cpus.length; i++) {
            flushScratch[i] = new FlushRequest();
        }
        this.drainFrameCaches = new CrossCall(cpus, cpu -> pool.drainCache(cpu.id()));
        this.applyDeferredAndDrain = new CrossCall(cpus, cpu -> {
            shootdown.applyDeferred(cpu);   // first: the frees it runs here land in this CPU's cache
            pool.drainCache(cpu.id());
        });
    }

    ShootdownStrategy shootdownStrategy() {
        return shootdown;
    }

    // ---- frames ----

    /** A claimed frame (one reference), contents undefined. {@link #reclaim}s before giving up. */
    int allocFrame(Cpu cpu, String what) {
        int f = pool.allocate(cpu.id());
        if (f == FramePool.NO_FRAME) {
            f = allocFrameSlowPath(cpu, what);
        }
        frames.claim(f);
        return f;
    }

    private int allocFrameSlowPath(Cpu cpu, String what) {
        int f = FramePool.NO_FRAME;
        for (int stage = 0; f == FramePool.NO_FRAME; stage++) {
            if (!reclaim(cpu, stage)) {
                throw new OutOfFrames(what);
            }
            f = pool.allocate(cpu.id());
        }
        return f;
    }

    /**
     * One stage of making free frames reachable for an allocation on {@code cpu} that found none; the
     * caller retries after each and is out of memory when this returns false (no stage left).
     * <ol>
     * <li>Stage 0 moves every CPU's cached frames to the global pool (Linux retries after
     * {@code drain_all_pages} before it declares out-of-memory, mm/page_alloc.c).
     * <li>Stage 1, only while the shootdown strategy defers invalidations, has every CPU apply what it
     * owes now ({@link ShootdownStrategy#applyDeferred}) and drain its cache again: the frames a returned
     * munmap freed but a lazy strategy (LATR) still holds until the last CPU has applied its queue are
     * freed, so the memory munmap gave back is there for this allocation. Counted as
     * {@link CpuCounter#SHOOTDOWN_LAZY_RECLAIMS}.
     * </ol>
     *
     * <p>Locking: the caller may hold its mm's lock for reading (a fault) or writing (fork, munmap,
     * mprotect); this takes no lock. What runs on the other CPUs is an interrupt handler that applies their
     * own lazy queue (TLB invalidations, reference drops, an instant in the quarantine's monitor) and drains
     * their own cache: it neither allocates nor waits, so a target answers even while it holds that mm's
     * lock or spins for it (CpuRwLock services interrupts while it spins), or waits for a shootdown. The
     * caller services its own inbox while it waits (CrossCall), so two CPUs reclaiming at once run each
     * other's requests and both finish: the wait lasts until every other CPU reaches its next interrupt
     * point, as a shootdown's does.
     */
    private boolean reclaim(Cpu cpu, int stage) {
        if (stage == 0) {
            pool.drainCache(cpu.id());
            drainFrameCaches.runOnOthers(cpu);
            return true;
        }
        if (stage == 1 && shootdown.hasDeferredWork()) {
            cpu.counters().increment(CpuCounter.SHOOTDOWN_LAZY_RECLAIMS);
            shootdown.applyDeferred(cpu);
            applyDeferredAndDrain.runOnOthers(cpu);
            return true;
        }
        return false;
    }

    /** Drops one reference to {@code frame}, freeing it on the last. */
    void putFrame(Cpu cpu, int frame) {
        if (frames.release(frame)) {
            pool.free(cpu.id(), frame);
        }
    }

    private long leafSlotMut(Cpu cpu, AddressSpace space, long va) {
        return slotMut(cpu, space, va, 0);
    }

    private long slotMut(Cpu cpu, AddressSpace space, long va, int level) {
        long slot = pageTable.slotMut(cpu.id(), space.root(), va, level);
        for (int stage = 0; slot == PageTable.NO_SLOT; stage++) {
            if (!reclaim(cpu, stage)) {
                throw new OutOfFrames("a page table");
            }
            slot = pageTable.slotMut(cpu.id(), space.root(), va, level);
        }
        return slot;
    }

    /** A new, empty address space with its root table; throws OutOfFrames. */
    AddressSpace newSpace(Cpu cpu, int id) {
        int root = pageTable.allocateTable(cpu.id());
        for (int stage = 0; root == FramePool.NO_FRAME; stage++) {
            if (!reclaim(cpu, stage)) {
                throw new OutOfFrames("a page-table root");
            }
            root = pageTable.allocateTable(cpu.id());
        }
        return new AddressSpace(id, root, kernel.cpuCount());
    }

    /** This CPU's reusable request, started for {@code space}. */
    private FlushRequest request(Cpu cpu, AddressSpace space, FlushReason reason) {
        return flushScratch[cpu.id()].begin(space, reason);
    }

    /**
     * Flushes {@code request} and then runs {@code release} and ends {@code downgrade}, which the caller
     * began with {@link AddressSpace#beginDowngrade} before changing entries (the oracle's in-flight mark
     * for exactly those pages). A downgrade still in flight when the flush returns was deferred past the
     * system call's return by a lazy strategy: it is marked so, for the oracle to count what that relaxes.
     */
    private void shootdown(Cpu cpu, FlushRequest request, AddressSpace.Downgrade downgrade, ReleaseAction release) {
        AddressSpace space = request.space();
        shootdown.flush(cpu, request, on -> {
            try {
                if (release != null) {
                    release.release(on);
                }
            } finally {
                space.endDowngrade(downgrade);
            }
        });
        if (space.inFlight(downgrade)) {
            downgrade.markDeferredPastReturn();
        }
    }

    // ---- page faults ----

    @Override
    public void handlePageFault(Cpu cpu, long va, boolean write, FaultKind kind) {
        Task t = kernel.currentTask(cpu);
        try {
            resolveFault(cpu, t, va, write);
        } catch (OutOfFrames e) {
            cpu.counters().increment(CpuCounter.OOM_KILLS);
            kernel.kill(t, t.process, ExitStatus.outOfMemory("pid " + t.process.pid + " killed: " + e.getMessage()
                    + " on a " + (write ? "store to" : "load from") + " 0x" + Long.toHexString(va)));
            throw ProcessExit.INSTANCE;
        }
    }

    /** The fault handler's work for task {@code t} on {@code cpu} (package-private: a seam for the jcstress tests). */
    void resolveFault(Cpu cpu, Task t, long va, boolean write) {
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
            if (forkStrategy == ForkStrategy.ODF) {
                ensurePrivateLeafTable(cpu, mm, page);
            }
            long slot = leafSlotMut(cpu, space, page);
            while (true) {
                long pte = PhysicalMemory.laLong(slot);
                if (!Pte.isPresent(pte)) {
                    if (Pte.holdsFrame(pte)) {
                        throw new IllegalStateException("PROT_NONE entry left in readable area " + vma + ": " + Pte.toString(pte));
                    }
                    if (demandZero(cpu, slot, vma, write)) {
                        return;
                    }
                } else if (write && !Pte.isWritable(pte)) {
                    if (writeProtectFault(cpu, space, slot, page, pte)) {
                        return;
                    }
                } else {
                    // another CPU resolved it first; this CPU's TLB may still hold the old entry
                    cpu.counters().increment(CpuCounter.FAULTS_SPURIOUS);
                    cpu.invalidatePage(page);
                    return;
                }
            }
        } finally {
            mm.lock.readUnlock();
        }
    }

    private void segfault(Cpu cpu, Task t, long va, boolean write, String why) {
        String what = (write ? "store to" : "load from") + " 0x" + Long.toHexString(va) + " " + why;
        if (t.inUserCopy) {
            throw new SyscallException(Errno.EFAULT, "the buffer at 0x" + Long.toHexString(va) + " is " + why);
        }
        cpu.counters().increment(CpuCounter.SEGFAULTS);
        kernel.kill(t, t.process, ExitStatus.segfault("pid " + t.process.pid + " segfault: " + what));
        throw ProcessExit.INSTANCE;
    }

    private boolean demandZero(Cpu cpu, long slot, Vma vma, boolean write) {
        int f = allocFrame(cpu, "a demand-zero page");
        memory.zeroFrame(f);
        long pte = Pte.make(f, Pte.PRESENT | Pte.USER | Pte.ACCESSED
                | (vma.writable() ? Pte.WRITABLE : 0) | (write ? Pte.DIRTY : 0));
        // CAS (release): the zeroed contents are visible before the entry that maps them
        if (PhysicalMemory.casLong(slot, 0L, pte)) {
            cpu.counters().increment(CpuCounter.FAULTS_DEMAND_ZERO);
            cpu.counters().add(CpuCounter.MODELED_CYCLES, CostModel.PAGE_ZERO + CostModel.PTE_UPDATE);
            return true;
        }
        putFrame(cpu, f);
        return false;
    }

    /** A write to a present, write-protected page of a writable area: reuse it if sole owner, else copy it. */
    private boolean writeProtectFault(Cpu cpu, AddressSpace space, long slot, long page, long pte) {
        int old = Pte.frame(pte);
        if (frames.refCount(old) == 1) {
            // Sole owner: nobody else can gain a reference meanwhile (that takes fork, which holds our lock for writing).
            long writable = Pte.without(pte, Pte.COW) | Pte.WRITABLE | Pte.ACCESSED | Pte.DIRTY;
            if (PhysicalMemory.casLong(slot, pte, writable)) {
                cpu.counters().increment(CpuCounter.FAULTS_COW_REUSE);
                cpu.counters().add(CpuCounter.MODELED_CYCLES, CostModel.PTE_UPDATE);
                return true;
            }
            return false;
        }
        int copy = allocFrame(cpu, "a copy-on-write copy");
        memory.copyFrame(old, copy);
        cpu.counters().add(CpuCounter.MODELED_CYCLES, CostModel.PAGE_COPY + CostModel.PTE_UPDATE);
        long fresh = Pte.make(copy, Pte.flags(Pte.without(pte, Pte.COW)) | Pte.WRITABLE | Pte.ACCESSED | Pte.DIRTY);
        AddressSpace.Downgrade downgrade = space.beginDowngrade(page, page + PAGE);
        // CAS (release): the copied bytes are visible before the entry that maps them
        if (!PhysicalMemory.casLong(slot, pte, fresh)) {
            space.endDowngrade(downgrade);
            putFrame(cpu, copy);
            return false;
        }
        // Other CPUs may still translate to the old frame: flush before dropping our reference (invariant 4).
        cpu.counters().increment(CpuCounter.FAULTS_COW_COPY);
        shootdown(cpu, request(cpu, space, FlushReason.COW_REPLACE).addRange(page, 1), downgrade, on -> putFrame(on, old));
        return true;
    }

    /**
     * On-demand fork: before this space changes or adds an entry in the leaf table covering {@code va},
     * make that table its own. A table shared with other spaces is copied (its writable entries
     * write-protected and marked COW, as a COW fork would have; every entry's frame referenced once more);
     * a write-protected link to a table no one else holds any more is simply made writable again.
     * Throws OutOfFrames when there is no frame for the copy, having changed nothing.
     */
    private void ensurePrivateLeafTable(Cpu cpu, Mm mm, long va) {
        AddressSpace space = mm.space;
        long linkSlot = pageTable.slot(space.root(), va, 1);
        if (linkSlot == PageTable.NO_SLOT) {
            return;
        }
        while (true) {
            long link = PhysicalMemory.laLong(linkSlot);
            if (!Pte.isPresent(link) || Pte.isWritable(link)) {
                return;
            }
            int shared = Pte.frame(link);
            if (frames.refCount(shared) == 1) {
                if (PhysicalMemory.casLong(linkSlot, link, link | Pte.WRITABLE)) {
                    cpu.counters().increment(CpuCounter.FAULTS_TABLE_REUSE);
                    return;
                }
                continue;
            }
            int copy = pageTable.allocateTable(cpu.id());
            if (copy == FramePool.NO_FRAME) {
                copy = allocFrame(cpu, "a page-table copy");
                memory.zeroFrame(copy);
            }
            for (int i = 0; i < PageTable.ENTRIES; i++) {
                long sharedSlot = pageTable.slotAddress(shared, i);
                long e;
                long protectedEntry;
                do {
                    e = PhysicalMemory.laLong(sharedSlot);
                    protectedEntry = Pte.isWritable(e) ? Pte.writeProtectCow(e) : e;
                } while (protectedEntry != e && !PhysicalMemory.casLong(sharedSlot, e, protectedEntry));
                if (Pte.holdsFrame(protectedEntry)) {
                    frames.retain(Pte.frame(protectedEntry));
                    PhysicalMemory.spLong(pageTable.slotAddress(copy, i), Pte.without(protectedEntry, Pte.ACCESSED));
                }
            }
            // CAS (release): the copy's entries are visible before the link that leads to them
            if (!PhysicalMemory.casLong(linkSlot, link, Pte.make(copy, PageTable.TABLE_LINK_FLAGS))) {
                releaseLeafTableEntries(cpu, copy);
                putFrame(cpu, copy);
                continue;
            }
            cpu.counters().increment(CpuCounter.FAULTS_TABLE_COPY);
            cpu.counters().add(CpuCounter.MODELED_CYCLES, CostModel.PAGE_COPY + CostModel.PTE_UPDATE);
            if (frames.release(shared)) {
                // We held the last link: no walker may still be inside the old table before it is reused.
                long tableBase = va & ~(PageTable.LEAF_TABLE_SPAN - 1);
                final int old = shared;
                AddressSpace.Downgrade downgrade = space.beginDowngrade(tableBase, tableBase + PageTable.LEAF_TABLE_SPAN);
                shootdown(cpu, request(cpu, space, FlushReason.TABLE_COPY).addRange(tableBase, PageTable.ENTRIES), downgrade, on -> {
                    releaseLeafTableEntries(on, old);
                    pool.free(on.id(), old);
                });
            }
            return;
        }
    }

    /** Drops the reference each entry of a leaf table holds (the table itself is not freed). */
    private void releaseLeafTableEntries(Cpu cpu, int table) {
        for (int i = 0; i < PageTable.ENTRIES; i++) {
            long slot = pageTable.slotAddress(table, i);
            long e = PhysicalMemory.laLong(slot);
            if (Pte.holdsFrame(e)) {
                PhysicalMemory.soLong(slot, 0L);
                putFrame(cpu, Pte.frame(e));
            }
        }
    }

    // ---- fork ----

    /**
     * Copies {@code parent}'s address space into the empty {@code child} with the configured strategy.
     * The caller holds the parent's lock for writing. Shares are write-protected and shot down before
     * this returns, so no CPU holds a writable translation to a shared frame (invariants 1 and 2).
     * Throws OutOfFrames part-way, leaving the child consistent (every entry it has holds a reference).
     */
    void fork(Cpu cpu, Mm parent, Mm child) {
        AddressSpace from = parent.space;
        AddressSpace to = child.space;
        to.copyVmasFrom(from);
        if (forkStrategy == ForkStrategy.EAGER) {
            forkEager(cpu, from, to);
        } else {
            AddressSpace.Downgrade downgrade = from.beginDowngrade(0, PageTable.USER_VA_LIMIT);
            try {
                if (forkStrategy == ForkStrategy.COW) {
                    forkCow(cpu, from, to);
                } else {
                    forkOnDemand(cpu, from, to);
                }
            } finally {
                // also after a failure part-way: entries already write-protected must not stay writable in any TLB
                shootdown(cpu, request(cpu, from, FlushReason.FORK).addAll(), downgrade, null);
            }
        }
        cpu.counters().increment(CpuCounter.FORKS);
    }

    private void forkEager(Cpu cpu, AddressSpace from, AddressSpace to) {
        ChildLeaves child = new ChildLeaves(cpu, to);
        for (Vma vma : from.vmas()) {
            pageTable.forEachLeaf(from.root(), vma.start(), vma.end(), (va, slot, table) -> {
                long e = PhysicalMemory.laLong(slot);
                if (!Pte.holdsFrame(e)) {
                    return;
                }
                long childSlot = child.slot(va, table);
                int copy = allocFrame(cpu, "an eager fork copy");
                memory.copyFrame(Pte.frame(e), copy);
                // a write-protected entry stays COW: the child's first write then finds its copy sole-owned and reuses it
                PhysicalMemory.soLong(childSlot, Pte.make(copy, Pte.flags(Pte.without(e, Pte.ACCESSED))));
                cpu.counters().increment(CpuCounter.FORK_PAGES_COPIED);
                cpu.counters().add(CpuCounter.MODELED_CYCLES, CostModel.PAGE_COPY + CostModel.PTE_UPDATE);
                cpu.pollInterrupts();
            });
        }
    }

    private void forkCow(Cpu cpu, AddressSpace from, AddressSpace to) {
        ChildLeaves child = new ChildLeaves(cpu, to);
        for (Vma vma : from.vmas()) {
            pageTable.forEachLeaf(from.root(), vma.start(), vma.end(), (va, slot, table) -> {
                if (!Pte.holdsFrame(PhysicalMemory.laLong(slot))) {
                    return;
                }
                // the child's slot first: running out of frames for its table then leaves nothing to undo
                long childSlot = child.slot(va, table);
                long e;
                long shared;
                do {
                    e = PhysicalMemory.laLong(slot);
                    // only a writable entry becomes COW: a read-only one is shared as it is (invariant 3)
                    shared = Pte.isWritable(e) ? Pte.writeProtectCow(e) : e;
                    // CAS: a concurrent walker's accessed/dirty update must not be lost, nor the write-protect
                } while (shared != e && !PhysicalMemory.casLong(slot, e, shared));
                frames.retain(Pte.frame(shared));
                PhysicalMemory.soLong(childSlot, Pte.without(shared, Pte.ACCESSED));
                if (shared != e) {
                    cpu.counters().increment(CpuCounter.FORK_PTES_PROTECTED);
                }
                cpu.counters().add(CpuCounter.MODELED_CYCLES, 2 * CostModel.PTE_UPDATE);
                cpu.pollInterrupts();
            });
        }
    }

    /**
     * The child's leaf slots during a fork: the parent's leaves are visited in address order, table by
     * table, so the child's matching leaf table is looked up (or built) once per parent leaf table
     * rather than walked from the root for every entry.
     */
    private final class ChildLeaves {
        private final Cpu cpu;
        private final AddressSpace child;
        private int parentTable = -1;
        private long childTableBase;

        ChildLeaves(Cpu cpu, AddressSpace child) {
            this.cpu = cpu;
            this.child = child;
        }

        long slot(long va, int parentLeafTable) {
            long offset = 8L * PageTable.index(va, 0);
            if (parentLeafTable != parentTable) {
                childTableBase = leafSlotMut(cpu, child, va) - offset;
                parentTable = parentLeafTable;
            }
            return childTableBase + offset;
        }
    }

    private void forkOnDemand(Cpu cpu, AddressSpace from, AddressSpace to) {
        pageTable.forEachLeafTable(from.root(), 0, PageTable.USER_VA_LIMIT, (va, linkSlot, table) -> {
            long link;
            long shared;
            do {
                link = PhysicalMemory.laLong(linkSlot);
                shared = Pte.without(link, Pte.WRITABLE);
            } while (shared != link && !PhysicalMemory.casLong(linkSlot, link, shared));
            frames.retain(table);
            long childLinkSlot;
            try {
                childLinkSlot = slotMut(cpu, to, va, 1);
            } catch (OutOfFrames oom) {
                putFrame(cpu, table);
                throw oom;
            }
            PhysicalMemory.soLong(childLinkSlot, shared);
            cpu.counters().increment(CpuCounter.FORK_TABLES_SHARED);
            cpu.counters().add(CpuCounter.MODELED_CYCLES, 2 * CostModel.PTE_UPDATE);
            cpu.pollInterrupts();
        });
    }

    // ---- munmap, mprotect, madvise ----

    /**
     * munmap: removes the pages {@code [start, start + length)} from the VMAs and the page tables; the
     * frames are released once no TLB can translate to them. Throws OutOfFrames (on-demand fork found no
     * frame for the private copy of a shared leaf table) before anything visible has changed: the VMAs,
     * the entries and the contents are as they were.
     */
    void munmap(Cpu cpu, Mm mm, long start, long length) {
        mm.lock.writeLock(cpu);
        try {
            // the only step that can fail comes first
            makeTablesPrivate(cpu, mm, mappedParts(mm.space, start, length));
            List<Vma> removed = mm.space.unmap(start, length);
            // the range is not handed out again until every CPU has dropped its translations (lazy strategies defer that)
            mm.space.quarantine(removed);
            clearRanges(cpu, mm, removed, FlushReason.MUNMAP, () -> mm.space.releaseQuarantine(removed));
        } finally {
            mm.lock.writeUnlock();
        }
    }

    /**
     * madvise(DONTNEED): drops the pages of the mapped parts of {@code [start, start + length)}; the next
     * touch reads zeros. Throws OutOfFrames (no frame for on-demand fork's private table copy) before any
     * page was dropped.
     */
    void madviseDontNeed(Cpu cpu, Mm mm, long start, long length) {
        mm.lock.writeLock(cpu);
        try {
            List<Vma> ranges = mappedParts(mm.space, start, length);
            makeTablesPrivate(cpu, mm, ranges);
            clearRanges(cpu, mm, ranges, FlushReason.MADVISE, null);
        } finally {
            mm.lock.writeUnlock();
        }
    }

    /**
     * Clears every entry in {@code ranges} (whose leaf tables the caller made private), shoots them down,
     * then drops the frames' references and runs {@code afterFlush} (if any) once no TLB can hold the old
     * translations. Cannot fail.
     */
    private void clearRanges(Cpu cpu, Mm mm, List<Vma> ranges, FlushReason reason, Runnable afterFlush) {
        if (ranges.isEmpty()) {
            return;
        }
        AddressSpace space = mm.space;
        IntList released = new IntList();
        FlushRequest request = request(cpu, space, reason);
        AddressSpace.Downgrade downgrade = space.beginDowngrade(hullStart(ranges), hullEnd(ranges));
        for (Vma r : ranges) {
            pageTable.forEachLeaf(space.root(), r.start(), r.end(), (va, slot, table) -> {
                long e;
                do {
                    e = PhysicalMemory.laLong(slot);
                } while (e != 0 && !PhysicalMemory.casLong(slot, e, 0L));
                if (Pte.holdsFrame(e)) {
                    released.add(Pte.frame(e));
                }
            });
            request.addRange(r.start(), (r.end() - r.start()) / PAGE);
        }
        cpu.counters().add(CpuCounter.MODELED_CYCLES, released.size() * CostModel.PTE_UPDATE);
        shootdown(cpu, request, downgrade, on -> {
            for (int i = 0; i < released.size(); i++) {
                putFrame(on, released.get(i));
            }
            if (afterFlush != null) {
                afterFlush.run();
            }
        });
    }

    /**
     * mprotect: sets the protection of the mapped parts of {@code [start, start + length)} and of their
     * entries (see {@link #reprotect}), shooting down every translation it downgraded. Throws OutOfFrames
     * (no frame for on-demand fork's private table copy) before anything visible has changed.
     */
    void mprotect(Cpu cpu, Mm mm, long start, long length, int protection) {
        mm.lock.writeLock(cpu);
        try {
            // the only step that can fail comes first
            List<Vma> changing = new ArrayList<>();
            for (Vma r : mappedParts(mm.space, start, length)) {
                if (r.protection() != protection) {
                    changing.add(r);
                }
            }
            makeTablesPrivate(cpu, mm, changing);
            List<Vma> changed = mm.space.protect(start, length, protection);
            FlushRequest request = request(cpu, mm.space, FlushReason.MPROTECT);
            AddressSpace.Downgrade downgrade = changed.isEmpty() ? null : mm.space.beginDowngrade(hullStart(changed), hullEnd(changed));
            for (Vma r : changed) {
                boolean[] downgraded = {false};
                pageTable.forEachLeaf(mm.space.root(), r.start(), r.end(), (va, slot, table) -> {
                    long e;
                    long next;
                    do {
                        e = PhysicalMemory.laLong(slot);
                        next = reprotect(e, protection);
                    } while (next != e && !PhysicalMemory.casLong(slot, e, next));
                    if (Pte.isPresent(e) && (!Pte.isPresent(next) || (Pte.isWritable(e) && !Pte.isWritable(next)))) {
                        downgraded[0] = true;
                    }
                });
                if (downgraded[0]) {
                    request.addRange(r.start(), (r.end() - r.start()) / PAGE);
                }
            }
            if (request.isEmpty()) {
                if (downgrade != null) {
                    mm.space.endDowngrade(downgrade);
                }
            } else {
                shootdown(cpu, request, downgrade, null);
            }
        } finally {
            mm.lock.writeUnlock();
        }
    }

    /**
     * The entry {@code e} under a new protection: parked for PROT_NONE; otherwise present (unparked), and
     * never made writable here. Without WRITE it is write-protected. With WRITE, an entry that stays
     * write-protected gets the COW bit: its frame may be shared (fork shares read-only pages as they are),
     * so the next write takes the COW fault, which copies a shared frame and reuses one no one else maps,
     * as Linux's write fault does after mprotect.
     */
    private static long reprotect(long e, int protection) {
        if (!Pte.holdsFrame(e)) {
            return e;
        }
        if (protection == Vma.NONE) {
            return Pte.isPresent(e) ? Pte.without(e, Pte.PRESENT | Pte.WRITABLE) | Pte.PROT_NONE : e;
        }
        long present = Pte.isPresent(e) ? e : Pte.without(e, Pte.PROT_NONE) | Pte.PRESENT;
        if ((protection & Vma.WRITE) == 0) {
            return Pte.without(present, Pte.WRITABLE);
        }
        return Pte.isWritable(present) ? present : Pte.with(present, Pte.COW);
    }

    /**
     * On-demand fork: makes every leaf table under {@code ranges} this space's own. Throws OutOfFrames when
     * a copy finds no frame; the tables already copied stay private, which changes nothing visible.
     */
    private void makeTablesPrivate(Cpu cpu, Mm mm, List<Vma> ranges) {
        if (forkStrategy != ForkStrategy.ODF) {
            return;
        }
        for (Vma r : ranges) {
            for (long va = r.start() & ~(PageTable.LEAF_TABLE_SPAN - 1); va < r.end(); va += PageTable.LEAF_TABLE_SPAN) {
                ensurePrivateLeafTable(cpu, mm, va);
            }
        }
    }

    /** The mapped parts of the pages {@code [start, start + length)}, each with its VMA's protection, in address order. */
    private static List<Vma> mappedParts(AddressSpace space, long start, long length) {
        long end = pageCeil(start + length);
        List<Vma> parts = new ArrayList<>();
        for (Vma v : space.vmas()) {
            if (v.end() > start && v.start() < end) {
                parts.add(new Vma(Math.max(v.start(), start), Math.min(v.end(), end), v.protection()));
            }
        }
        return parts;
    }

    // ---- teardown ----

    /**
     * Frees everything {@code mm} holds. No task may use it any more; CPUs that still have it loaded (lazy
     * idle CPUs, the caller) or hold its ASID-tagged entries drop them first.
     */
    void teardown(Cpu cpu, Mm mm) {
        AddressSpace space = mm.space;
        AddressSpace.Downgrade downgrade = space.beginDowngrade(0, PageTable.USER_VA_LIMIT);
        shootdown(cpu, request(cpu, space, FlushReason.TEARDOWN).addAll(), downgrade,
                on -> pageTable.releaseTables(on.id(), space.root(), table -> releaseLeafTableEntries(on, table)));
    }

    /** Whether the shootdown strategy still owes deferred flushes (and the frees behind them). */
    boolean hasDeferredWork() {
        return shootdown.hasDeferredWork();
    }

    /** The frame mapped at {@code va}, or -1 (a debugging aid for tests and tools). */
    int frameAt(AddressSpace space, long va) {
        long pte = pageTable.walk(space.root(), va);
        return Pte.isPresent(pte) ? Pte.frame(pte) : -1;
    }

    /** The lowest start of {@code ranges} (non-empty): a downgrade covers the hull of the ranges one call changes. */
    private static long hullStart(List<Vma> ranges) {
        long s = Long.MAX_VALUE;
        for (Vma r : ranges) {
            s = Math.min(s, r.start());
        }
        return s;
    }

    private static long hullEnd(List<Vma> ranges) {
        long e = Long.MIN_VALUE;
        for (Vma r : ranges) {
            e = Math.max(e, r.end());
        }
        return e;
    }

    private static long pageCeil(long v) {
        return (v + PhysicalMemory.PAGE_OFFSET_MASK) & ~PhysicalMemory.PAGE_OFFSET_MASK;
    }

    /** A growable list of ints without boxing. */
    private static final class IntList {
        private int[] values = new int[64];
        private int size;

        void add(int v) {
            if (size == values.length) {
                values = java.util.Arrays.copyOf(values, size * 2);
            }
            values[size++] = v;
        }

        int size() {
            return size;
        }

        int get(int i) {
            return values[i];
        }
    }
}
