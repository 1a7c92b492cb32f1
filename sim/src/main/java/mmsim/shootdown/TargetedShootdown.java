package mmsim.shootdown;

import mmsim.cpu.Cpu;
import mmsim.paging.AddressSpace;
import mmsim.paging.CpuMask;

/** {@code targeted}: interrupt only the CPUs in the space's cpumask, and wait for them (KeOS v1.1, OS161). */
public final class TargetedShootdown extends IpiShootdown {
    public TargetedShootdown(Cpu[] cpus) {
        super(cpus);
    }

    @Override
    protected boolean mustInterrupt(Cpu target, AddressSpace space, CpuMask mask) {
        return mask.contains(target.id());
    }

    @Override
    public String name() {
        return "targeted";
    }
}
