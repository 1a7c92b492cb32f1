package mmsim.kernel;

import mmsim.paging.AddressSpace;

/** A process's memory: its address space and the lock that orders faults against changes of its mappings. */
final class Mm {
    final AddressSpace space;
    final CpuRwLock lock = new CpuRwLock();

    Mm(AddressSpace space) {
        this.space = space;
    }
}
