package mmsim.stress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIII_Result;

import mmsim.cpu.Cpu;
import mmsim.kernel.ForkProbe;
import mmsim.mem.FramePool;
import mmsim.mem.PhysicalMemory;
import mmsim.paging.AddressSpace;
import mmsim.paging.Pte;
import mmsim.paging.Vma;
import mmsim.shootdown.ShootdownStats;
import mmsim.shootdown.ShootdownStrategy;
import mmsim.shootdown.Shootdowns;

/**
 * DESIGN §3 invariants 1 and 2: fork write-protects the parent's page in parent and child and shoots it
 * down before it returns, so a sibling thread's write racing fork reaches the child whole or not at all,
 * and no write after fork returned reaches it.
 *
 * <p>CPU 1 runs the real copy-on-write fork ({@code Mappings.fork} and {@code CowFork} through {@link ForkProbe}: the
 * parent's lock for writing, {@code forkCow}, one shootdown of the machine's configured strategy) of a
 * process with one written page. CPU 0, a sibling thread of the parent with the page cached writable in
 * its TLB, keeps writing 16 bytes (the value k twice, one access) through the real {@link
 * mmsim.cpu.Mmu} until it learns that fork returned, then writes once more. Its write faults are
 * abandoned (the kernel would copy the page for the parent: that is not under test here), so a write
 * either landed in the shared frame or did not happen. When fork returns, CPU 1 reads the child's page
 * through the child's page table; the arbiter reads it again.
 *
 * <p>r1: 0 when the child saw the initial value at fork's return and still sees it; 1 when it saw the
 * sibling's last write that landed, whole, and still sees it; 2 (torn), 3 (not the last landed write) and
 * 4 (it changed after fork returned) are forbidden. r2: 1 when the sibling's write after fork returned
 * faulted. r3: the data frame's reference count (2: parent and child), or -1 when the parent's entry is
 * still writable, the child does not map the same frame, or frames are not conserved. r4: 1 when the
 * sibling's TLB still holds a writable translation.
 */
@JCStressTest
@Description("A sibling thread writes a page while fork write-protects and shares it.")
@Outcome(id = "0, 1, 2, 0", expect = ACCEPTABLE,
        desc = "Fork's write-protect came before the sibling's first write in the race: the child has the initial value.")
@Outcome(id = "1, 1, 2, 0", expect = ACCEPTABLE,
        desc = "The sibling wrote before the write-protect (or through its cached entry before the IPI): the child has the last such write, whole.")
@Outcome(id = "[234], .*", expect = FORBIDDEN,
        desc = "FORBIDDEN: the child's page is torn, is not the last write that landed, or changed after fork returned.")
@Outcome(id = "[01], 0, .*", expect = FORBIDDEN, desc = "FORBIDDEN: the sibling's write after fork returned went through.")
@Outcome(expect = FORBIDDEN, desc = "FORBIDDEN: wrong entries or reference counts, a leak, or a writable TLB entry left.")
@State
public class ForkVsSiblingWrite {
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.nativeOrder());
    private static final ShootdownStats STATS = new ShootdownStats(TinyMachine.CONFIG.cpus());
    private static final long AFTER = 1_000_000L;

    private final OnePageMachine m = new OnePageMachine(Pte.PRESENT | Pte.WRITABLE | Pte.USER);
    private final Cpu sibling = m.cpu0;
    private final Cpu forker = m.machine.cpu(1);
    private final AddressSpace parent = sibling.loadedSpace();
    private final AddressSpace child = m.machine.newAddressSpace(FramePool.NO_CPU);
    private final ForkProbe probe;
    private final byte[] buffer = new byte[16];
    private long childAtReturn0;
    private long childAtReturn1;
    private long lastLanded;
    private volatile boolean forked;

    public ForkVsSiblingWrite() {
        parent.mapFixed(TinyMachine.VA, PhysicalMemory.PAGE_SIZE, Vma.READ_WRITE);
        ShootdownStrategy strategy = Shootdowns.create(TinyMachine.CONFIG.shootdownStrategy().toString(),
                m.machine.cpus().toArray(new Cpu[0]), STATS);
        probe = new ForkProbe(m.machine, strategy, "cow", parent);
        forker.switchAddressSpace(parent);
        strategy.onSwitch(sibling, parent);
        strategy.onSwitch(forker, parent);
        write(0);
    }

    private void write(long k) {
        LONGS.set(buffer, 0, k);
        LONGS.set(buffer, 8, k);
        sibling.mmu().write(TinyMachine.VA, buffer, 0, buffer.length);
    }

    @Actor
    public void siblingWritesOnCpu0(IIII_Result r) {
        long k = 0;
        while (!forked) {
            try {
                write(++k);
                lastLanded = k;
            } catch (OnePageMachine.AbandonedAccess e) {
                // the kernel would copy the page for the parent now
            }
        }
        try {
            write(AFTER);
            r.r2 = 0;
        } catch (OnePageMachine.AbandonedAccess e) {
            r.r2 = 1;
        }
    }

    @Actor
    public void forkOnCpu1() {
        probe.fork(forker, child);
        int frame = childFrame();
        if (frame >= 0) {
            childAtReturn0 = m.machine.memory().getLong(frame, 0);
            childAtReturn1 = m.machine.memory().getLong(frame, 8);
        }
        forked = true;
    }

    private int childFrame() {
        long pte = m.machine.pageTable().walk(child.root(), TinyMachine.VA);
        return Pte.isPresent(pte) ? Pte.frame(pte) : -1;
    }

    @Arbiter
    public void judge(IIII_Result r) {
        int frame = childFrame();
        long parentPte = m.leaf();
        long now0 = frame >= 0 ? m.machine.memory().getLong(frame, 0) : -1;
        long now1 = frame >= 0 ? m.machine.memory().getLong(frame, 8) : -1;
        if (childAtReturn0 != childAtReturn1) {
            r.r1 = 2;
        } else if (childAtReturn0 != lastLanded) {
            r.r1 = 3;
        } else if (now0 != childAtReturn0 || now1 != childAtReturn1) {
            r.r1 = 4;
        } else {
            r.r1 = lastLanded == 0 ? 0 : 1;
        }
        boolean entriesRight = frame == m.frame && !Pte.isWritable(parentPte) && Pte.isCow(parentPte)
                && Pte.frame(parentPte) == m.frame;
        boolean conserved = m.machine.framesAccountedQuiescent() == m.machine.memory().frames();
        r.r3 = entriesRight && conserved ? m.machine.frames().refCount(m.frame) : -1;
        r.r4 = sibling.tlb().isWritable(sibling.mmu().asid(), TinyMachine.VA >>> PhysicalMemory.PAGE_SHIFT) ? 1 : 0;
        m.close();
    }
}
