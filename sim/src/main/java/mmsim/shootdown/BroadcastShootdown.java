package mmsim.shootdown;

import mmsim.cpu.Cpu;
import mmsim.paging.AddressSpace;
import mmsim.paging.CpuMask;

/** {@code broadcast}: interrupt every other CPU and wait for all of them, whatever they run (early kernels). */
public final class BroadcastShootdown extends IpiShootdown {
    public BroadcastShootdown(Cpu[] cpus) {
        super(cpus);
    }

    @Override
    protected boolean mustInterrupt(Cpu target, AddressSpace space, CpuMask mask) {
        return true;
    }

    @Override
    public String name() {
        return "broadcast";
    }
}
