package mmsim.kernel;

import mmsim.Machine;
import mmsim.cpu.Cpu;
import mmsim.paging.AddressSpace;
import mmsim.shootdown.ShootdownStrategy;

/**
 * A door into the kernel's page-fault handler for the jcstress tests (package {@code mmsim.kernel}, like
 * {@link ForkProbe}): the real {@link FaultHandler}, built from whole parts ({@link KernelFrames},
 * {@link TlbFlusher}, a {@link ForkStrategy}), with the one seam the handler has for the process layer,
 * {@link FaultHandler.Tasks}, answered by a single process of this probe: every fault is that process's
 * main thread's. No {@link Kernel} is booted (one per sample would start three host threads). A fault
 * that would kill the process (a segfault, out of memory) has no process layer to kill it here: it fails
 * the sample with an {@link IllegalStateException}; the tests that use the probe never provoke one.
 */
public final class CowProbe {
    private final FaultHandler handler;
    private final Task task;

    /** A probe whose process runs in {@code space}, faulting with fork strategy {@code fork} (eager, cow or odf). */
    public CowProbe(Machine machine, ShootdownStrategy strategy, String fork, AddressSpace space) {
        KernelFrames frames = new KernelFrames(machine, strategy);
        TlbFlusher flusher = new TlbFlusher(strategy, machine.cpus().size());
        SimProcess process = new SimProcess(1, -1, null, new Mm(space), new FileTable());
        this.task = new Task(1, process, false);
        this.handler = new FaultHandler(new FaultHandler.Tasks() {
            @Override
            public Task current(Cpu cpu) {
                return task;
            }

            @Override
            public void kill(Task caller, SimProcess p, ExitStatus status) {
                throw new IllegalStateException("the probe's process cannot be killed: " + status);
            }
        }, frames, flusher, ForkStrategies.create(fork, frames, flusher), machine.opLatencies());
    }

    /** A probe with copy-on-write fork. */
    public CowProbe(Machine machine, ShootdownStrategy strategy, AddressSpace space) {
        this(machine, strategy, "cow", space);
    }

    /** Makes {@code cpu}'s page faults go to the real handler, as a thread of this probe's process. */
    public void install(Cpu cpu) {
        cpu.setFaultHandler((c, va, write, kind) -> handler.resolveFault(c, task, va, write));
    }
}
