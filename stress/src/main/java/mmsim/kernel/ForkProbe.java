package mmsim.kernel;

import mmsim.Machine;
import mmsim.cpu.Cpu;
import mmsim.paging.AddressSpace;
import mmsim.shootdown.ShootdownStrategy;

/**
 * A door into the kernel's fork for the jcstress tests. It lives in {@code mmsim.kernel} (there are no Java
 * modules, so the split package is fine on the class path) and builds the real memory half of the kernel
 * from its parts, each whole: {@link KernelFrames}, {@link TlbFlusher}, a {@link ForkStrategy} by name and
 * {@link Mappings}, whose {@code fork} takes the parent's lock for writing and runs the strategy exactly as
 * a fork system call does. No {@link Kernel} is booted: one per jcstress sample would start three host
 * threads (two idle loops and the tick), and the memory half of fork never reaches the process layer.
 */
public final class ForkProbe {
    private final Mappings mappings;
    private final Mm parent;

    /**
     * @param strategy    the machine's shootdown strategy
     * @param fork        the fork strategy's name (eager, cow or odf)
     * @param parentSpace the parent, its VMAs and pages in place
     */
    public ForkProbe(Machine machine, ShootdownStrategy strategy, String fork, AddressSpace parentSpace) {
        KernelFrames frames = new KernelFrames(machine, strategy);
        TlbFlusher flusher = new TlbFlusher(strategy, machine.cpus().size());
        this.mappings = new Mappings(frames, flusher, ForkStrategies.create(fork, frames, flusher));
        this.parent = new Mm(parentSpace);
    }

    /** The memory half of fork(2) on {@code cpu}, into the empty {@code childSpace}. */
    public void fork(Cpu cpu, AddressSpace childSpace) {
        mappings.fork(cpu, parent, new Mm(childSpace));
    }
}
