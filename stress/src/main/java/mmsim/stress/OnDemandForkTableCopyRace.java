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
import org.openjdk.jcstress.infra.results.IIIII_Result;

import mmsim.Machine;
import mmsim.cpu.Cpu;
import mmsim.kernel.CowProbe;
import mmsim.kernel.ForkProbe;
import mmsim.mem.FramePool;
import mmsim.mem.PhysicalMemory;
import mmsim.paging.AddressSpace;
import mmsim.paging.PageTable;
import mmsim.paging.Pte;
import mmsim.paging.Vma;
import mmsim.shootdown.ShootdownStats;
import mmsim.shootdown.ShootdownStrategy;
import mmsim.shootdown.Shootdowns;
import mmsim.stats.CpuCounter;

/**
 * On-demand fork's table copy racing a write fault on a sibling CPU: two threads of a parent forked with
 * {@code odf} store at once to two pages covered by the one leaf table the parent shares with its child.
 * Both take a write fault into the real {@code FaultHandler} ({@link CowProbe} with fork {@code odf}), whose
 * {@code OnDemandFork.beforeLeafTableChange} makes the table the parent's own: exactly one copy is
 * installed, the other fault finds the parent's link private, both stores land in the parent's pages, the
 * child still reads the original values through the table it kept, and no frame leaks.
 *
 * <p>The state writes both pages, then forks through {@link ForkProbe} (the real {@code Mappings.fork} and
 * {@code OnDemandFork}) before either CPU loads the parent: the parent's and the child's links to the leaf
 * table are write-protected and the table has two references. What {@code beforeLeafTableChange} allows
 * here: the first fault to CAS the parent's link installs its copy and drops the old table to the child's
 * one reference; the other fault either reads the link after that (private, writable: nothing to do) or
 * read it before, built a copy, lost the CAS, gave its copy's references and frame back and read it again.
 * It cannot take the reuse path (make the old link writable): the old table's count reaches 1 only after
 * the winner's CAS replaced that link, so a reuse CAS would fail. The copy gave each data frame a second
 * reference, so both stores then take a copy-on-write copy, each shooting down the old translation on the
 * other CPU ({@code TinyMachine}'s shootdown strategy): each actor keeps servicing its inbox until both
 * stores are done, as a CPU's idle loop would.
 *
 * <p>r1: table copies installed (1). r2: table reuses (0). r3: 1 when each store is in a private copy of
 * its page in the parent, the rest of the page copied, and the child still maps the original frames with
 * the original values. r4: 1 when the parent's link is writable to a table other than the child's, the
 * child's link still write-protected to the old table, two copy-on-write copies were made, every frame on
 * the four paths has one reference and every frame is either held once or free ({@link FrameAudit}).
 * r5: the CPU whose fault copied the table.
 */
@JCStressTest
@Description("Two threads of an odf-forked parent write-fault on one shared leaf table at once.")
@Outcome(id = "1, 0, 1, 1, 0", expect = ACCEPTABLE,
        desc = "CPU 0's fault copied the table; CPU 1's found the parent's link private (before building a copy, or after losing its CAS) and went on.")
@Outcome(id = "1, 0, 1, 1, 1", expect = ACCEPTABLE,
        desc = "CPU 1's fault copied the table; CPU 0's found the parent's link private (before building a copy, or after losing its CAS) and went on.")
@Outcome(id = "[02-9], .*", expect = FORBIDDEN,
        desc = "FORBIDDEN: not exactly one table copy installed (none: the parent changed the table it shares with the child; two: one copy replaced the other).")
@Outcome(id = "1, [1-9].*", expect = FORBIDDEN,
        desc = "FORBIDDEN: a parent fault reused the shared table, making its link writable while the child still held it.")
@Outcome(id = "1, 0, 0, .*", expect = FORBIDDEN,
        desc = "FORBIDDEN: a store is missing from the parent's pages, or the child's pages or values changed.")
@Outcome(expect = FORBIDDEN, desc = "FORBIDDEN: wrong links, reference counts or copy-on-write copies, a frame held twice, or a leak.")
@State
public class OnDemandForkTableCopyRace {
    private static final ShootdownStats STATS = new ShootdownStats(TinyMachine.CONFIG.cpus());
    private static final long PAGE = PhysicalMemory.PAGE_SIZE;
    /** Two pages of one leaf table (indices 9 and 10). */
    private static final long VA_A = TinyMachine.VA;
    private static final long VA_B = TinyMachine.VA + PAGE;
    private static final long ORIGINAL_A = 0xA0A0L;
    private static final long ORIGINAL_B = 0xB0B0L;
    private static final long NEW_A = 0xA1A1L;
    private static final long NEW_B = 0xB1B1L;

    private final Machine machine = TinyMachine.boot();
    private final PageTable pageTable = machine.pageTable();
    private final Cpu cpu0 = machine.cpu(0);
    private final Cpu cpu1 = machine.cpu(1);
    private final AddressSpace parent = machine.newAddressSpace(FramePool.NO_CPU);
    private final AddressSpace child = machine.newAddressSpace(FramePool.NO_CPU);
    private final int originalA;
    private final int originalB;
    private final int sharedTable;
    private final AtomicInteger stored = new AtomicInteger();

    public OnDemandForkTableCopyRace() {
        parent.mapFixed(VA_A, 2 * PAGE, Vma.READ_WRITE);
        originalA = mapWritten(VA_A, ORIGINAL_A);
        originalB = mapWritten(VA_B, ORIGINAL_B);
        ShootdownStrategy strategy = Shootdowns.create(TinyMachine.CONFIG.shootdownStrategy().toString(),
                machine.cpus().toArray(new Cpu[0]), STATS);
        // no CPU has the parent loaded yet: fork's shootdown has no one to interrupt
        new ForkProbe(machine, strategy, "odf", parent).fork(cpu0, child);
        sharedTable = Pte.frame(PhysicalMemory.laLong(pageTable.slot(child.root(), VA_A, 1)));
        CowProbe probe = new CowProbe(machine, strategy, "odf", parent);
        probe.install(cpu0);
        probe.install(cpu1);
        cpu0.switchAddressSpace(parent);
        cpu1.switchAddressSpace(parent);
        strategy.onSwitch(cpu0, parent);
        strategy.onSwitch(cpu1, parent);
    }

    /** Maps a written, writable page of the parent at {@code va}: {@code value} in its first two words. */
    private int mapWritten(long va, long value) {
        int frame = machine.framePool().allocateGlobal();
        machine.memory().zeroFrame(frame);
        machine.frames().claim(frame);
        machine.memory().putLong(frame, 0, value);
        machine.memory().putLong(frame, 8, value);
        long slot = pageTable.leafSlotMut(FramePool.NO_CPU, parent.root(), va);
        PhysicalMemory.soLong(slot, Pte.make(frame, Pte.PRESENT | Pte.WRITABLE | Pte.USER | Pte.ACCESSED | Pte.DIRTY));
        return frame;
    }

    @Actor
    public void parentThreadOnCpu0() {
        cpu0.mmu().storeLong(VA_A, NEW_A);
        stored.incrementAndGet();
        while (stored.get() < 2) {
            cpu0.serviceInterrupts();
        }
    }

    @Actor
    public void parentThreadOnCpu1() {
        cpu1.mmu().storeLong(VA_B, NEW_B);
        stored.incrementAndGet();
        while (stored.get() < 2) {
            cpu1.serviceInterrupts();
        }
    }

    @Arbiter
    public void judge(IIIII_Result r) {
        r.r1 = (int) (cpu0.counters().read(CpuCounter.FAULTS_TABLE_COPY) + cpu1.counters().read(CpuCounter.FAULTS_TABLE_COPY));
        r.r2 = (int) (cpu0.counters().read(CpuCounter.FAULTS_TABLE_REUSE) + cpu1.counters().read(CpuCounter.FAULTS_TABLE_REUSE));

        int parentA = frameAt(parent, VA_A);
        int parentB = frameAt(parent, VA_B);
        boolean storesLanded = isPrivateCopy(parentA, NEW_A, ORIGINAL_A) && isPrivateCopy(parentB, NEW_B, ORIGINAL_B);
        boolean childUnchanged = frameAt(child, VA_A) == originalA && holds(originalA, ORIGINAL_A, ORIGINAL_A)
                && frameAt(child, VA_B) == originalB && holds(originalB, ORIGINAL_B, ORIGINAL_B);
        r.r3 = storesLanded && childUnchanged ? 1 : 0;

        long parentLink = PhysicalMemory.laLong(pageTable.slot(parent.root(), VA_A, 1));
        long childLink = PhysicalMemory.laLong(pageTable.slot(child.root(), VA_A, 1));
        boolean linksRight = Pte.isPresent(parentLink) && Pte.isWritable(parentLink) && Pte.frame(parentLink) != sharedTable
                && Pte.isPresent(childLink) && !Pte.isWritable(childLink) && Pte.frame(childLink) == sharedTable;
        long cowCopies = cpu0.counters().read(CpuCounter.FAULTS_COW_COPY) + cpu1.counters().read(CpuCounter.FAULTS_COW_COPY);
        int[] parentPath = FrameAudit.path(pageTable, parent.root(), VA_A);
        int[] childPath = FrameAudit.path(pageTable, child.root(), VA_A);
        int[] held = new int[2 * parentPath.length + 2];
        System.arraycopy(parentPath, 0, held, 0, parentPath.length);
        System.arraycopy(childPath, 0, held, parentPath.length, childPath.length);
        held[held.length - 2] = frameAt(parent, VA_B);
        held[held.length - 1] = frameAt(child, VA_B);
        boolean countsRight = linksRight && cowCopies == 2 && eachReferencedOnce(held);
        FrameAudit audit = FrameAudit.of(machine.framePool(), held);
        r.r4 = countsRight && audit.twice == 0 && audit.missing == 0 ? 1 : 0;
        r.r5 = cpu1.counters().read(CpuCounter.FAULTS_TABLE_COPY) > 0 ? 1 : 0;
        machine.close();
    }

    private int frameAt(AddressSpace space, long va) {
        long pte = pageTable.walk(space.root(), va);
        return Pte.isPresent(pte) ? Pte.frame(pte) : FramePool.NO_FRAME;
    }

    private boolean isPrivateCopy(int frame, long written, long copied) {
        return frame != FramePool.NO_FRAME && frame != originalA && frame != originalB && holds(frame, written, copied);
    }

    private boolean holds(int frame, long word0, long word1) {
        return frame != FramePool.NO_FRAME
                && machine.memory().getLong(frame, 0) == word0 && machine.memory().getLong(frame, 8) == word1;
    }

    private boolean eachReferencedOnce(int[] frames) {
        for (int frame : frames) {
            if (frame == FramePool.NO_FRAME || machine.frames().refCount(frame) != 1) {
                return false;
            }
        }
        return true;
    }
}
