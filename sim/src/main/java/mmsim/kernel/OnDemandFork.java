package mmsim.kernel;

import mmsim.cpu.Cpu;
import mmsim.cpu.WalkObserver;
import mmsim.mem.FrameMetadata;
import mmsim.mem.PhysicalMemory;
import mmsim.paging.AddressSpace;
import mmsim.paging.PageTable;
import mmsim.paging.Pte;
import mmsim.shootdown.FlushReason;
import mmsim.stats.CpuCounter;

/**
 * {@code odf}: On-demand fork (Zhao et al., EuroSys'21). Fork shares the parent's last-level page tables
 * with the child, write-protecting the links to them (one shootdown of the parent); the first change to
 * a shared table by either side (a write fault, munmap, mprotect, madvise) copies the table for that side
 * ({@link #beforeLeafTableChange}), write-protecting and marking COW its writable entries, as a COW fork
 * would have.
 *
 * <p>A shared leaf table may hold entries of shared mappings ({@link Pte#SHARED}). While it is shared they are
 * write-protected by the link like every other entry, so a write through one faults and makes the table
 * private first; the copy keeps them writable and without COW, in both copies, so both processes still write
 * the one page of the shared object. A fault that adds an entry makes the table private first too, so no
 * entry ever appears in a table another space can see.
 */
final class OnDemandFork implements ForkStrategy {
    private final KernelFrames frames;
    private final TlbFlusher flusher;
    private final PageTable pageTable;
    private final PhysicalMemory memory;
    private final FrameMetadata metadata;

    OnDemandFork(KernelFrames frames, TlbFlusher flusher) {
        this.frames = frames;
        this.flusher = flusher;
        this.pageTable = frames.pageTable();
        this.memory = frames.memory();
        this.metadata = frames.metadata();
    }

    @Override
    public String name() {
        return "odf";
    }

    @Override
    public boolean sharesLeafTables() {
        return true;
    }

    @Override
    public void copy(Cpu cpu, AddressSpace parent, AddressSpace child) {
        // closed also after a failure part-way: links already write-protected must not stay writable in any TLB
        try (TlbFlusher.Flush flush = flusher.open(cpu, parent, FlushReason.FORK, 0, PageTable.USER_VA_LIMIT)) {
            flush.addAll();
            try {
                pageTable.forEachLinkTable(parent.root(), 0, PageTable.USER_VA_LIMIT, (gibVa, link, linkTable) ->
                        shareLeafTables(cpu, child, linkTable, gibVa));
            } finally {
                // before the flush: a CPU's walk memo may lead through a link just write-protected (Mmu#setWalkMemo)
                parent.noteLinksWriteProtected();
            }
        }
    }

    /**
     * Shares every leaf table that the parent's level-1 table {@code linkTable} (mapping the 1 GiB from
     * {@code gibVa}) links: each link write-protected in the parent, the table's reference count raised, the same
     * link written into the child's level-1 table (looked up, or built, once, at the first link). A tight loop over
     * the 512 links, as cow's copy over a leaf table's entries: a per-table callback and child-slot lookup cost a
     * 1 GiB fork about a third of its sharing loop before.
     */
    private void shareLeafTables(Cpu cpu, AddressSpace child, int linkTable, long gibVa) {
        long parentSlots = pageTable.slotAddress(linkTable, 0);
        long childSlots = 0;
        long perTable = 2 * cpu.costs().pteUpdate;
        int sharedTables = 0;
        // modeled cycles owed since the clock was last charged: charged before any interrupt is handled and at the
        // end, so every reader of the clock sees what per-table charging would have shown
        long owed = 0;
        try {
            for (int i = 0; i < PageTable.ENTRIES; i++) {
                long linkSlot = parentSlots + ((long) i << 3);
                long link = PhysicalMemory.laLong(linkSlot);
                if (!Pte.isPresent(link)) {
                    continue;
                }
                if (childSlots == 0) {
                    // the child's table first: running out of frames for it then leaves nothing to undo
                    childSlots = frames.slotMut(cpu, child, gibVa, 1);   // gibVa is 1 GiB aligned: entry 0
                }
                long shared = link;
                while (Pte.isWritable(link)) {
                    shared = Pte.without(link, Pte.WRITABLE);
                    // CAS: a concurrent walker's accessed-bit update of the link must not be lost, nor the protect
                    if (PhysicalMemory.casLong(linkSlot, link, shared)) {
                        break;
                    }
                    link = PhysicalMemory.laLong(linkSlot);
                    shared = link;
                }
                // the parent's mm lock is held for writing: its own link to the table cannot go away under us
                metadata.retainHeld(Pte.frame(shared));
                PhysicalMemory.soLong(childSlots + ((long) i << 3), shared);
                sharedTables++;
                owed += perTable;
                if (cpu.interruptPending()) {
                    cpu.charge(owed);
                    owed = 0;
                    cpu.pollInterrupts();
                }
            }
        } finally {
            cpu.charge(owed);
            cpu.counters().add(CpuCounter.FORK_TABLES_SHARED, sharedTables);
        }
    }

    /**
     * Makes the leaf table covering {@code va} this space's own. A table shared with other spaces is copied
     * (its writable entries write-protected and marked COW, every entry's frame referenced once more); a
     * write-protected link to a table no one else holds any more is simply made writable again.
     *
     * <p>Threads of one space (faults hold its mm lock only for reading) serialize here on the space's
     * table lock ({@link AddressSpace#tryLockTables}): while the copier holds it, the space's own link keeps
     * the shared table referenced, so the other space dropping its reference cannot free the table under
     * the copy (a use-after-free a three-CPU race otherwise reaches: a stalled copier reading a table that a
     * sibling thread had already replaced and the child had then freed and reused). The copy's frame is
     * taken before the lock, since an allocation may wait for other CPUs; nothing under the lock waits.
     */
    @Override
    public void beforeLeafTableChange(Cpu cpu, AddressSpace space, long va) {
        long linkSlot = pageTable.slot(space.root(), va, 1);
        if (linkSlot == PageTable.NO_SLOT) {
            return;
        }
        long link = PhysicalMemory.laLong(linkSlot);
        if (!Pte.isPresent(link) || Pte.isWritable(link)) {
            return;   // already private: the common case takes no lock
        }
        int copy = frames.allocTable(cpu, "a page-table copy");
        int lastReference = -1;
        while (!space.tryLockTables()) {
            // servicing interrupts meanwhile: the holder waits for nothing, but others may wait for us; a rare wait,
            // so no unlock signals it: a sleeping waiter is polled at the next phase end
            cpu.await(space::tablesUnlocked);
        }
        try {
            while (true) {
                link = PhysicalMemory.laLong(linkSlot);
                if (!Pte.isPresent(link) || Pte.isWritable(link)) {
                    break;   // another thread of this space made it private meanwhile
                }
                int shared = Pte.frame(link);
                if (metadata.refCount(shared) == 1) {
                    // the other spaces dropped it: ours alone, reuse it in place
                    if (PhysicalMemory.casLong(linkSlot, link, link | Pte.WRITABLE)) {
                        cpu.counters().increment(CpuCounter.FAULTS_TABLE_REUSE);
                        break;
                    }
                    continue;
                }
                copyEntries(shared, copy);
                // CAS (release): the copy's entries are visible before the link that leads to them; a failure can
                // only be a walker's accessed-bit update of the link (changes of this link take the lock we hold)
                if (!PhysicalMemory.casLong(linkSlot, link, Pte.make(copy, PageTable.TABLE_LINK_FLAGS))) {
                    frames.releaseLeafTableEntries(cpu, copy);
                    continue;
                }
                WalkObserver observer = cpu.mmu().walkObserver();
                if (observer != null) {
                    // the copy's entries are the shared table's: whoever cached one through it holds it for this space
                    observer.leafTableCopied(shared, copy);
                }
                copy = -1;
                cpu.counters().increment(CpuCounter.FAULTS_TABLE_COPY);
                cpu.charge(cpu.costs().pageCopy + cpu.costs().pteUpdate);
                if (metadata.release(shared)) {
                    lastReference = shared;
                }
                break;
            }
        } finally {
            space.unlockTables();
        }
        if (copy != -1) {
            frames.putFrame(cpu, copy);   // not needed after all: a zeroed table with no entries
        }
        if (lastReference != -1) {
            // We held the last link: no walker may still be inside the old table before it is reused.
            long tableBase = va & ~(PageTable.LEAF_TABLE_SPAN - 1);
            final int old = lastReference;
            try (TlbFlusher.Flush flush = flusher.open(cpu, space, FlushReason.TABLE_COPY, tableBase,
                    tableBase + PageTable.LEAF_TABLE_SPAN)) {
                flush.addRange(tableBase, PageTable.ENTRIES).onRelease(on -> {
                    frames.releaseLeafTableEntries(on, old);
                    frames.freeTable(on, old);
                });
            }
        }
    }

    /** Fills the empty table {@code copy} with {@code shared}'s entries, write-protecting and marking COW the writable ones in both. */
    private void copyEntries(int shared, int copy) {
        for (int i = 0; i < PageTable.ENTRIES; i++) {
            long sharedSlot = pageTable.slotAddress(shared, i);
            long e;
            long protectedEntry;
            do {
                e = PhysicalMemory.laLong(sharedSlot);
                // a shared mapping's entry stays writable: its page is the same for every process
                protectedEntry = Pte.isWritable(e) && !Pte.isShared(e) ? Pte.writeProtectCow(e) : e;
            } while (protectedEntry != e && !PhysicalMemory.casLong(sharedSlot, e, protectedEntry));
            if (Pte.holdsFrame(protectedEntry)) {
                metadata.retain(Pte.frame(protectedEntry));
                PhysicalMemory.spLong(pageTable.slotAddress(copy, i), Pte.without(protectedEntry, Pte.ACCESSED));
            }
        }
    }
}
