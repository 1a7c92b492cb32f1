package mmsim.stress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import java.util.concurrent.atomic.AtomicInteger;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIII_Result;

import mmsim.Machine;
import mmsim.cpu.Cpu;
import mmsim.kernel.CowProbe;
import mmsim.mem.FramePool;
import mmsim.mem.PhysicalMemory;
import mmsim.paging.AddressSpace;
import mmsim.paging.Pte;
import mmsim.paging.Vma;
import mmsim.shootdown.ShootdownStats;
import mmsim.shootdown.Shootdowns;
import mmsim.stats.CpuCounter;

/**
 * DESIGN §3 invariant 4: two CPUs write the same copy-on-write page at once. Both take a protection
 * fault into the real handler ({@code FaultHandler.resolveFault} through {@link CowProbe}): each may
 * allocate and copy, but one CAS installs its copy, the loser frees its own and retries, finding the page
 * writable. Exactly one new frame is installed, both writes (to different words) land in it, the shared
 * frame keeps only its other holder's reference, and no frame leaks.
 *
 * <p>The page's frame is shared: this space maps it read-only + COW and one more reference stands for
 * the other process that shares it. The winner shoots the old translation down ({@code targeted}) while
 * the other CPU may be inside its own fault, so each actor keeps servicing its CPU's interrupts until both
 * stores are done (as a CPU's idle loop would).
 *
 * <p>r1: COW copies installed (1). r2: 1 when both words hold their writers' values in the installed
 * frame. r3: the old frame's reference count (1: the other sharer). r4: 1 when free + referenced frames
 * equal the total and the new frame is referenced once.
 */
@JCStressTest
@Description("Two CPUs write one copy-on-write page at once.")
@Outcome(id = "1, 1, 1, 1", expect = ACCEPTABLE, desc = "One copy installed, both writes in it, counts right, nothing leaked.")
@Outcome(expect = FORBIDDEN, desc = "FORBIDDEN: two copies, a lost write, a wrong reference count or a leaked frame.")
@State
public class CowFaultRace {
    private static final long A = 0x1111L;
    private static final long B = 0x2222L;

    private final Machine machine = TinyMachine.boot();
    private final Cpu cpu0 = machine.cpu(0);
    private final Cpu cpu1 = machine.cpu(1);
    private final AddressSpace space = machine.newAddressSpace(FramePool.NO_CPU);
    private final long va = space.map(PhysicalMemory.PAGE_SIZE, Vma.READ_WRITE);
    private final long slot = machine.pageTable().leafSlotMut(FramePool.NO_CPU, space.root(), va);
    private final int shared;
    private final AtomicInteger stored = new AtomicInteger();

    public CowFaultRace() {
        shared = machine.framePool().allocateGlobal();
        machine.memory().zeroFrame(shared);
        machine.frames().claim(shared);
        machine.frames().retain(shared);   // the other process that shares the page
        PhysicalMemory.soLong(slot, Pte.make(shared, Pte.PRESENT | Pte.USER | Pte.COW));
        CowProbe probe = new CowProbe(machine, Shootdowns.create("targeted", new Cpu[] {cpu0, cpu1}, new ShootdownStats(2)), space);
        probe.install(cpu0);
        probe.install(cpu1);
        cpu0.switchAddressSpace(space);
        cpu1.switchAddressSpace(space);
    }

    @Actor
    public void writeOnCpu0() {
        cpu0.mmu().storeLong(va, A);
        stored.incrementAndGet();
        while (stored.get() < 2) {
            cpu0.serviceInterrupts();
        }
    }

    @Actor
    public void writeOnCpu1() {
        cpu1.mmu().storeLong(va + 8, B);
        stored.incrementAndGet();
        while (stored.get() < 2) {
            cpu1.serviceInterrupts();
        }
    }

    @Arbiter
    public void check(IIII_Result r) {
        r.r1 = (int) (cpu0.counters().read(CpuCounter.FAULTS_COW_COPY) + cpu1.counters().read(CpuCounter.FAULTS_COW_COPY));
        long pte = PhysicalMemory.laLong(slot);
        int installed = Pte.frame(pte);
        boolean bothLanded = Pte.isPresent(pte) && installed != shared
                && machine.memory().getLong(installed, 0) == A && machine.memory().getLong(installed, 8) == B;
        r.r2 = bothLanded ? 1 : 0;
        r.r3 = machine.frames().refCount(shared);
        machine.framePool().drainCache(0);
        machine.framePool().drainCache(1);
        boolean conserved = machine.framePool().freeFramesQuiescent() + machine.frames().framesReferenced()
                == machine.config().frames() && machine.frames().refCount(installed) == 1;
        r.r4 = conserved ? 1 : 0;
        machine.close();
    }
}
