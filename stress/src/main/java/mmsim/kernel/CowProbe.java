package mmsim.kernel;

import mmsim.Machine;
import mmsim.cpu.Cpu;
import mmsim.paging.AddressSpace;
import mmsim.shootdown.ShootdownStrategy;

/**
 * A door into the kernel's page-fault handler for the jcstress tests (package {@code mmsim.kernel}, like
 * {@link ForkProbe}): the real {@link VirtualMemory#resolveFault} for one process, installed as the fault
 * handler of the given CPUs, on a machine with no {@link Kernel} (booting one per sample would start three
 * host threads). Faults that would kill the process (a segfault, out of memory) need the kernel and are
 * not reached by the tests that use it.
 */
public final class CowProbe {
    private final VirtualMemory vm;
    private final Task task;

    public CowProbe(Machine machine, ShootdownStrategy strategy, AddressSpace space) {
        this.vm = new VirtualMemory(null, machine, strategy);
        SimProcess process = new SimProcess(1, -1, null, new Mm(space), new FileTable());
        this.task = new Task(1, process, false);
    }

    /** Makes {@code cpu}'s page faults go to the real handler, as a thread of this probe's process. */
    public void install(Cpu cpu) {
        cpu.setFaultHandler((c, va, write, kind) -> vm.resolveFault(c, task, va, write));
    }
}
