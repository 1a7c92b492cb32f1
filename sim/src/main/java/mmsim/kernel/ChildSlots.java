package mmsim.kernel;

import mmsim.cpu.Cpu;
import mmsim.paging.AddressSpace;
import mmsim.paging.PageTable;

/**
 * The child's slots at one level during a fork that visits the parent's entries of that level in address order,
 * table by table: the child's matching table is looked up (or built) once per parent table rather than walked from
 * the root for every entry. Eager fork asks for leaf slots (level 0); cow and on-demand fork loop over a parent
 * table themselves. One per fork; single-threaded.
 */
final class ChildSlots {
    private final KernelFrames frames;
    private final Cpu cpu;
    private final AddressSpace child;
    private final int level;
    private long parentTable = -1;
    private long childTableBase;

    ChildSlots(KernelFrames frames, Cpu cpu, AddressSpace child, int level) {
        this.frames = frames;
        this.cpu = cpu;
        this.child = child;
        this.level = level;
    }

    /**
     * The child's slot at this level for {@code va}, whose parent entry lives in the table {@code parentTable} names
     * (its frame, or any other value that differs between tables and stays the same within one).
     * @throws OutOfFrames
     */
    long slot(long va, long parentTable) {
        long offset = 8L * PageTable.index(va, level);
        if (parentTable != this.parentTable) {
            childTableBase = frames.slotMut(cpu, child, va, level) - offset;
            this.parentTable = parentTable;
        }
        return childTableBase + offset;
    }
}
