package mmsim.kernel;

import mmsim.cpu.Cpu;
import mmsim.mem.FrameMetadata;
import mmsim.mem.PhysicalMemory;
import mmsim.paging.AddressSpace;
import mmsim.paging.PageTable;
import mmsim.paging.Pte;
import mmsim.paging.Vma;
import mmsim.shootdown.FlushReason;
import mmsim.stats.CpuCounter;

/**
 * {@code cow}: share every frame, write-protecting the writable entries in parent and child and marking
 * them COW; one shootdown of the parent before fork returns (KeOS, JOS's lib/fork.c, xv6's COW lab,
 * Linux's copy_page_range). The first write to a shared page copies it (or reuses it when the writer is
 * by then its sole owner) in the fault handler. The zero frame's entries are read-only and shared as they are;
 * a shared mapping is skipped (the child faults its object's pages in, as Linux's fork does for such areas).
 */
final class CowFork implements ForkStrategy {
    /** Bytes one leaf table maps: 512 pages. */
    private static final long LEAF_TABLE_SPAN = (long) PageTable.ENTRIES << PhysicalMemory.PAGE_SHIFT;

    private final KernelFrames frames;
    private final TlbFlusher flusher;
    private final PageTable pageTable;
    private final FrameMetadata metadata;

    CowFork(KernelFrames frames, TlbFlusher flusher) {
        this.frames = frames;
        this.flusher = flusher;
        this.pageTable = frames.pageTable();
        this.metadata = frames.metadata();
    }

    @Override
    public String name() {
        return "cow";
    }

    @Override
    public void copy(Cpu cpu, AddressSpace parent, AddressSpace child) {
        // closed also after a failure part-way: entries already write-protected must not stay writable in any TLB
        try (TlbFlusher.Flush flush = flusher.open(cpu, parent, FlushReason.FORK, 0, PageTable.USER_VA_LIMIT)) {
            flush.addAll();
            for (Vma vma : parent.vmas()) {
                if (vma.isShared()) {
                    continue;
                }
                long from = vma.start();
                long to = vma.end();
                pageTable.forEachLeafTable(parent.root(), from, to, (tableVa, linkSlot, table) ->
                        copyLeafTable(cpu, child, table, tableVa, from, to));
            }
        }
    }

    /**
     * copy_pte_range for the part of one parent leaf table inside {@code [from, to)}: a tight loop over its
     * slots, the child's table looked up (or built) once, at the first entry that holds a frame, so a table with
     * none costs the child nothing. Before this loop fork visited each entry through a per-entry callback and
     * looked the child's slot up per entry.
     *
     * <p>A child table this loop builds is written whole (every entry: the shared one, or 0) and linked once full,
     * instead of being zeroed first and filled after: a 1 GiB fork builds 512 of them, and zeroing each before
     * overwriting it was a second pass over 2 MiB. A table already linked (a second VMA in the same 2 MiB span)
     * gets only its entries that hold frames, as before.
     */
    private void copyLeafTable(Cpu cpu, AddressSpace child, int table, long tableVa, long from, long to) {
        int first = tableVa >= from ? 0 : PageTable.index(from, 0);
        int last = tableVa + LEAF_TABLE_SPAN <= to ? PageTable.ENTRIES - 1 : PageTable.index(to - 1, 0);
        long parentSlots = pageTable.slotAddress(table, 0);
        long childSlots = 0;
        // a table built here and not yet linked, else -1; its entries [0, written) are written
        int building = -1;
        int written = 0;
        long childLink = 0;
        long perPage = cpu.costs().forkPerPage;
        int protectedEntries = 0;
        // modeled cycles of the pages copied since the clock was last charged: charged before any interrupt is
        // handled and at the end, so every reader of the clock sees what per-page charging would have shown
        long owed = 0;
        try {
            for (int i = first; i <= last; i++) {
                long slot = parentSlots + ((long) i << 3);
                // one load of the entry serves the test and the copy (a retry re-reads it): ~8% of a 1 GiB fork
                long e = PhysicalMemory.laLong(slot);
                if (!Pte.holdsFrame(e)) {
                    if (building >= 0) {
                        PhysicalMemory.spLong(childSlots + ((long) i << 3), 0L);
                        written = i + 1;
                    }
                    continue;
                }
                if (childSlots == 0) {
                    // the child's table first: running out of frames for it then leaves nothing to undo
                    childLink = frames.slotMut(cpu, child, tableVa, 1);
                    long link = PhysicalMemory.laLong(childLink);
                    if (Pte.isPresent(link)) {
                        childSlots = pageTable.slotAddress(Pte.frame(link), 0);
                    } else {
                        building = frames.allocTableToFill(cpu, "a page table");
                        childSlots = pageTable.slotAddress(building, 0);
                        clearEntries(childSlots, 0, i);
                        written = i;
                    }
                }
                long shared = e;
                // only a writable entry becomes COW: a read-only one is shared as it is (invariant 3)
                while (Pte.isWritable(e)) {
                    shared = Pte.writeProtectCow(e);
                    // CAS: a concurrent walker's accessed/dirty update must not be lost, nor the write-protect
                    if (PhysicalMemory.casLong(slot, e, shared)) {
                        protectedEntries++;
                        break;
                    }
                    e = PhysicalMemory.laLong(slot);
                    shared = e;
                }
                // the parent's mm lock is held for writing: its own reference cannot go away under us
                metadata.retainHeld(Pte.frame(shared));
                // plain into a table being built (its link publishes it), release into a linked one
                if (building >= 0) {
                    PhysicalMemory.spLong(childSlots + ((long) i << 3), Pte.without(shared, Pte.ACCESSED));
                    written = i + 1;
                } else {
                    PhysicalMemory.soLong(childSlots + ((long) i << 3), Pte.without(shared, Pte.ACCESSED));
                }
                // copy_pte_range's per-page work: the child's entry, the reference, the parent's write-protect
                owed += perPage;
                if (cpu.interruptPending()) {
                    // the clock is exact whenever anything can look at it: an interrupt's handler, or the end
                    cpu.charge(owed);
                    owed = 0;
                    cpu.pollInterrupts();
                }
            }
        } finally {
            if (building >= 0) {
                // the entries past the range, or after a failure part-way every one not yet written, hold nothing
                clearEntries(childSlots, written, PageTable.ENTRIES);
                if (!pageTable.linkFilledTable(childLink, building)) {
                    throw new IllegalStateException("the child's link at 0x" + Long.toHexString(childLink)
                            + " was set while fork built its table: no one else changes a child's tables during fork");
                }
            }
            cpu.charge(owed);
            cpu.counters().add(CpuCounter.FORK_PTES_PROTECTED, protectedEntries);
        }
    }

    /** Zeroes entries {@code [from, to)} of the table whose entry 0 is at {@code slots}. */
    private static void clearEntries(long slots, int from, int to) {
        for (int i = from; i < to; i++) {
            PhysicalMemory.spLong(slots + ((long) i << 3), 0L);
        }
    }
}
