package mmsim.kernel;

import mmsim.cpu.Cpu;
import mmsim.mem.PhysicalMemory;
import mmsim.paging.AddressSpace;
import mmsim.paging.PageTable;
import mmsim.paging.Pte;
import mmsim.paging.Vma;
import mmsim.stats.CpuCounter;

/**
 * {@code eager}: copy every present page at fork (JOS's dumbfork, gem5's SE mode). The parent's entries
 * are not touched, so nothing is shot down; the cost is all in the copy. Two kinds of page are not copied:
 * an entry of the zero frame is shared read-only (a copy of zeros would be waste), and a shared mapping gets
 * no entries at all, the child faulting its object's pages in as it touches them (Linux's fork skips such
 * areas too).
 *
 * <p>The copy races the parent's other threads, which may keep writing through their TLBs while fork
 * runs: each page of the child holds what the page held at some moment during that page's copy, and a
 * store that lands during the copy may be seen in part (the copy promises nothing finer than bytes; the
 * jcstress twin {@code EagerForkVsSiblingWrite} saw no torn 16-byte store in 2.5 million samples, as the
 * host copies aligned words). Unlike cow and odf, whose write-protect gives every page one instant, the
 * pages are snapshots of different instants: a program invariant that spans pages (a flag on one page,
 * data on another) may be broken in an eager-forked child of a multi-threaded parent. After fork returns,
 * nothing the parent writes reaches the child.
 */
final class EagerFork implements ForkStrategy {
    private final KernelFrames frames;
    private final PageTable pageTable;
    private final PhysicalMemory memory;

    EagerFork(KernelFrames frames) {
        this.frames = frames;
        this.pageTable = frames.pageTable();
        this.memory = frames.memory();
    }

    @Override
    public String name() {
        return "eager";
    }

    @Override
    public void copy(Cpu cpu, AddressSpace parent, AddressSpace child) {
        ChildSlots slots = new ChildSlots(frames, cpu, child, 0);
        int zero = frames.zeroFrame();
        for (Vma vma : parent.vmas()) {
            if (vma.isShared()) {
                continue;
            }
            pageTable.forEachLeaf(parent.root(), vma.start(), vma.end(), (va, slot, table) -> {
                long e = PhysicalMemory.laLong(slot);
                if (!Pte.holdsFrame(e)) {
                    return;
                }
                long childSlot = slots.slot(va, table);
                if (Pte.frame(e) == zero) {
                    frames.metadata().retain(zero);
                    PhysicalMemory.soLong(childSlot, Pte.without(e, Pte.ACCESSED));
                    cpu.charge(cpu.costs().pteUpdate);
                    return;
                }
                int copy = frames.allocFrame(cpu, "an eager fork copy");
                memory.copyFrame(Pte.frame(e), copy);
                // a write-protected entry stays COW: the child's first write then finds its copy sole-owned and reuses it
                PhysicalMemory.soLong(childSlot, Pte.make(copy, Pte.flags(Pte.without(e, Pte.ACCESSED))));
                cpu.counters().increment(CpuCounter.FORK_PAGES_COPIED);
                cpu.charge(cpu.costs().pageCopy + cpu.costs().pteUpdate);
                cpu.pollInterrupts();
            });
        }
    }
}
