package mmsim.kernel;

import mmsim.mem.FrameMetadata;
import mmsim.mem.PhysicalMemory;
import mmsim.paging.AddressSpace;
import mmsim.paging.PageTable;
import mmsim.paging.Pte;

/** Reads {@link PageInfo}s: no fault, no side effect, no lock (see PageInfo for what that guarantees). */
final class Inspector {
    private final PageTable pageTable;
    private final FrameMetadata metadata;

    Inspector(PageTable pageTable, FrameMetadata metadata) {
        this.pageTable = pageTable;
        this.metadata = metadata;
    }

    PageInfo inspect(AddressSpace space, long va) {
        long page = va & ~PhysicalMemory.PAGE_OFFSET_MASK;
        if (!PageTable.isUserAddress(page)) {
            throw new SyscallException(Errno.EINVAL, "0x" + Long.toHexString(va) + " is not a user address");
        }
        // as the MMU's walk sees it: W only when every link above allows writes too (on-demand fork's shared tables)
        long entry = pageTable.walk(space.root(), page);
        int frame = Pte.holdsFrame(entry) ? Pte.frame(entry) : -1;
        int references = frame < 0 ? 0 : metadata.refCount(frame);
        long linkSlot = pageTable.slot(space.root(), page, 1);
        long link = linkSlot == PageTable.NO_SLOT ? 0L : PhysicalMemory.laLong(linkSlot);
        boolean shared = Pte.isPresent(link) && metadata.refCount(Pte.frame(link)) > 1;
        return new PageInfo(page, entry, frame, references, shared);
    }
}
