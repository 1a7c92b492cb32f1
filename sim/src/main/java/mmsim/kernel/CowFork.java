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
            ChildLeafSlots slots = new ChildLeafSlots(frames, cpu, child);
            for (Vma vma : parent.vmas()) {
                if (vma.isShared()) {
                    continue;
                }
                pageTable.forEachLeaf(parent.root(), vma.start(), vma.end(), (va, slot, table) -> {
                    if (!Pte.holdsFrame(PhysicalMemory.laLong(slot))) {
                        return;
                    }
                    // the child's slot first: running out of frames for its table then leaves nothing to undo
                    long childSlot = slots.slot(va, table);
                    long e;
                    long shared;
                    do {
                        e = PhysicalMemory.laLong(slot);
                        // only a writable entry becomes COW: a read-only one is shared as it is (invariant 3)
                        shared = Pte.isWritable(e) ? Pte.writeProtectCow(e) : e;
                        // CAS: a concurrent walker's accessed/dirty update must not be lost, nor the write-protect
                    } while (shared != e && !PhysicalMemory.casLong(slot, e, shared));
                    metadata.retain(Pte.frame(shared));
                    PhysicalMemory.soLong(childSlot, Pte.without(shared, Pte.ACCESSED));
                    if (shared != e) {
                        cpu.counters().increment(CpuCounter.FORK_PTES_PROTECTED);
                    }
                    // copy_pte_range's per-page work: the child's entry, the reference, the parent's write-protect
                    cpu.charge(cpu.costs().forkPerPage);
                    cpu.pollInterrupts();
                });
            }
        }
    }
}
