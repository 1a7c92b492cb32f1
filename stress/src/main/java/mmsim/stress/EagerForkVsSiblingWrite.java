package mmsim.stress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
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
import org.openjdk.jcstress.infra.results.III_Result;

import mmsim.cpu.Cpu;
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

/**
 * {@code EagerFork}'s contract against a sibling thread's writes: each page of the child holds what the
 * page held at some moment during its copy (a store landing during the copy may be seen in part), and
 * after fork returns nothing the parent writes reaches the child. Eager fork write-protects nothing, so
 * the sibling's writes, during fork and after, all land in the parent's page.
 *
 * <p>{@link ForkVsSiblingWrite}'s scenario with fork strategy {@code eager}: CPU 1 runs the real fork
 * ({@code Mappings.fork} and {@code EagerFork} through {@link ForkProbe}) of a process with one written
 * page; CPU 0, a sibling thread of the parent with the page cached writable in its TLB, keeps writing 16
 * bytes (the value k twice, one access) through the real {@link mmsim.cpu.Mmu} until it learns that fork
 * returned, then writes {@code AFTER} once more. When fork returns, CPU 1 reads the child's page through
 * the child's page table; the arbiter reads it again. PhysicalMemory copies aligned memory in whole 8-byte
 * words (Unsafe.copyMemory's unit), so each word of the child holds one value the sibling wrote; a
 * 16-byte write may be seen in part, one word old and one new.
 *
 * <p>r1, the child's page: 0 the initial value; 1 the sibling's last write before fork returned; 2 an
 * earlier write, whole (the sibling wrote again after the page's copy, before it learnt that fork had
 * returned); 3 torn: its two words hold two different writes; 4 a word holds a value the sibling never
 * wrote before fork returned; 5 the child changed after fork returned. r2, the parent's page: 0 every
 * write went through and the page holds the last one, {@code AFTER}; 1 a write faulted; 2 the page lost a
 * write. r3: 1 when the parent's entry is unchanged (writable, no COW, its frame), the child maps a copy
 * of its own writable, every frame on either path has one reference and every frame is either held once
 * or free ({@link FrameAudit}).
 */
@JCStressTest
@Description("A sibling thread writes a page while an eager fork copies it.")
@Outcome(id = "0, 0, 1", expect = ACCEPTABLE,
        desc = "The page was copied before the sibling's first write in the race landed: the child has the initial value.")
@Outcome(id = "1, 0, 1", expect = ACCEPTABLE,
        desc = "The child has the sibling's last write before fork returned, whole.")
@Outcome(id = "2, 0, 1", expect = ACCEPTABLE,
        desc = "The child has an earlier write, whole: the sibling wrote again after the page's copy, before it learnt that fork had returned.")
@Outcome(id = "3, 0, 1", expect = ACCEPTABLE_INTERESTING,
        desc = "Torn: the copy read the page while a 16-byte write was landing, one word of one write, one of another; EagerFork's contract allows it, as a real kernel's copy of a page another thread is writing does.")
@Outcome(id = "[45], .*", expect = FORBIDDEN,
        desc = "FORBIDDEN: the child holds a value the sibling never wrote before fork returned, or it changed after fork returned.")
@Outcome(id = "[0-3], 1, .*", expect = FORBIDDEN, desc = "FORBIDDEN: a sibling write faulted: eager fork must not write-protect the parent.")
@Outcome(id = "[0-3], 2, .*", expect = FORBIDDEN, desc = "FORBIDDEN: the parent's page lost a sibling write.")
@Outcome(expect = FORBIDDEN, desc = "FORBIDDEN: wrong entries or reference counts, a frame held twice, or a leak.")
@State
public class EagerForkVsSiblingWrite {
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
    private boolean faulted;
    private volatile boolean forked;

    public EagerForkVsSiblingWrite() {
        parent.mapFixed(TinyMachine.VA, PhysicalMemory.PAGE_SIZE, Vma.READ_WRITE);
        ShootdownStrategy strategy = Shootdowns.create(TinyMachine.CONFIG.shootdownStrategy().toString(),
                m.machine.cpus().toArray(new Cpu[0]), STATS);
        probe = new ForkProbe(m.machine, strategy, "eager", parent);
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
    public void siblingWritesOnCpu0() {
        long k = 0;
        while (!forked) {
            try {
                write(++k);
                lastLanded = k;
            } catch (OnePageMachine.AbandonedAccess e) {
                faulted = true;
            }
        }
        try {
            write(AFTER);
        } catch (OnePageMachine.AbandonedAccess e) {
            faulted = true;
        }
    }

    @Actor
    public void forkOnCpu1() {
        probe.fork(forker, child);
        int frame = frameAt(child);
        if (frame >= 0) {
            childAtReturn0 = m.machine.memory().getLong(frame, 0);
            childAtReturn1 = m.machine.memory().getLong(frame, 8);
        }
        forked = true;
    }

    private int frameAt(AddressSpace space) {
        long pte = m.machine.pageTable().walk(space.root(), TinyMachine.VA);
        return Pte.isPresent(pte) ? Pte.frame(pte) : -1;
    }

    @Arbiter
    public void judge(III_Result r) {
        PhysicalMemory memory = m.machine.memory();
        int childFrame = frameAt(child);
        long now0 = childFrame >= 0 ? memory.getLong(childFrame, 0) : -1;
        long now1 = childFrame >= 0 ? memory.getLong(childFrame, 8) : -1;
        if (now0 != childAtReturn0 || now1 != childAtReturn1) {
            r.r1 = 5;
        } else if (!writtenBeforeReturn(now0) || !writtenBeforeReturn(now1)) {
            r.r1 = 4;
        } else if (now0 != now1) {
            r.r1 = 3;
        } else if (now0 == 0) {
            r.r1 = 0;
        } else {
            r.r1 = now0 == lastLanded ? 1 : 2;
        }

        if (faulted) {
            r.r2 = 1;
        } else {
            r.r2 = memory.getLong(m.frame, 0) == AFTER && memory.getLong(m.frame, 8) == AFTER ? 0 : 2;
        }

        PageTable pageTable = m.machine.pageTable();
        long parentPte = m.leaf();
        long childPte = pageTable.walk(child.root(), TinyMachine.VA);
        boolean entriesRight = Pte.isPresent(parentPte) && Pte.isWritable(parentPte) && !Pte.isCow(parentPte)
                && Pte.frame(parentPte) == m.frame
                && Pte.isPresent(childPte) && Pte.isWritable(childPte) && !Pte.isCow(childPte) && childFrame != m.frame;
        int[] parentPath = FrameAudit.path(pageTable, parent.root(), TinyMachine.VA);
        int[] childPath = FrameAudit.path(pageTable, child.root(), TinyMachine.VA);
        boolean countsRight = entriesRight && eachReferencedOnce(parentPath) && eachReferencedOnce(childPath);
        int[] held = new int[parentPath.length + childPath.length];
        System.arraycopy(parentPath, 0, held, 0, parentPath.length);
        System.arraycopy(childPath, 0, held, parentPath.length, childPath.length);
        FrameAudit audit = FrameAudit.of(m.machine.framePool(), held);
        r.r3 = countsRight && audit.twice == 0 && audit.missing == 0 ? 1 : 0;
        m.close();
    }

    private boolean writtenBeforeReturn(long word) {
        return word >= 0 && word <= lastLanded;
    }

    private boolean eachReferencedOnce(int[] frames) {
        for (int frame : frames) {
            if (frame == FramePool.NO_FRAME || m.machine.frames().refCount(frame) != 1) {
                return false;
            }
        }
        return true;
    }
}
