package mmsim.kernel;

import mmsim.Machine;
import mmsim.cpu.Cpu;
import mmsim.paging.AddressSpace;
import mmsim.shootdown.ShootdownStrategy;

/**
 * A door into the kernel's fork for the jcstress tests (it lives in {@code mmsim.kernel} to reach the
 * package-private {@link VirtualMemory} and {@link Mm}; there are no Java modules, so the split package is
 * fine on the class path). It runs the real {@link VirtualMemory#fork} under the parent's lock taken for
 * writing, exactly as {@code Kernel.fork} does, on a machine with no {@link Kernel}: booting one per
 * jcstress sample would start three host threads (two idle loops and the tick), and fork's copy never
 * reaches the kernel object (only the fault handler does, for the current task, and {@code newSpace}).
 * The {@code VirtualMemory} built here is therefore not a fault handler: a write fault on the tests' CPUs
 * goes to their own handler.
 */
public final class ForkProbe {
    private final VirtualMemory vm;
    private final Mm parent;

    /** {@code parentSpace} must have its VMAs and pages in place; {@code strategy} is the machine's shootdown. */
    public ForkProbe(Machine machine, ShootdownStrategy strategy, AddressSpace parentSpace) {
        this.vm = new VirtualMemory(null, machine, strategy);
        this.parent = new Mm(parentSpace);
    }

    /** The memory half of fork(2) on {@code cpu}, into the empty {@code childSpace}. */
    public void fork(Cpu cpu, AddressSpace childSpace) {
        Mm child = new Mm(childSpace);
        parent.lock.writeLock(cpu);
        try {
            vm.fork(cpu, parent, child);
        } finally {
            parent.lock.writeUnlock();
        }
    }
}
