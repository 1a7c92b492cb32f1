package mmsim.kernel;

import mmsim.paging.AddressSpace;

/** Test access to a process's kernel state from another package's tests. */
public final class KernelInspector {
    private KernelInspector() {
    }

    public static AddressSpace space(Sys sys) {
        return sys.mm().space;
    }
}
