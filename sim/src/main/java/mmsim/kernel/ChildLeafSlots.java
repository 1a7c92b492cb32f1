package mmsim.kernel;

import mmsim.cpu.Cpu;
import mmsim.paging.AddressSpace;
import mmsim.paging.PageTable;

/**
 * The child's leaf slots during a fork that visits the parent's leaves in address order, table by table:
 * the child's matching leaf table is looked up (or built) once per parent leaf table rather than walked
 * from the root for every entry. One per fork; single-threaded.
 */
final class ChildLeafSlots {
    private final KernelFrames frames;
    private final Cpu cpu;
    private final AddressSpace child;
    private int parentTable = -1;
    private long childTableBase;

    ChildLeafSlots(KernelFrames frames, Cpu cpu, AddressSpace child) {
        this.frames = frames;
        this.cpu = cpu;
        this.child = child;
    }

    /** The child's leaf slot for {@code va}, whose parent entry lives in leaf table {@code parentLeafTable}. @throws OutOfFrames */
    long slot(long va, int parentLeafTable) {
        long offset = 8L * PageTable.index(va, 0);
        if (parentLeafTable != parentTable) {
            childTableBase = frames.leafSlotMut(cpu, child, va) - offset;
            parentTable = parentLeafTable;
        }
        return childTableBase + offset;
    }
}
