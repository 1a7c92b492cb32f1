package mmsim.stress.broken;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;

import mmsim.Machine;
import mmsim.mem.FramePool;
import mmsim.mem.PhysicalMemory;
import mmsim.paging.PageTable;
import mmsim.paging.Pte;
import mmsim.stress.PathObserver;
import mmsim.stress.PteInstallPublication;
import mmsim.stress.TinyMachine;

/**
 * BROKEN twin of {@link PteInstallPublication}: the path is built by a copy of
 * {@link PageTable#leafSlotMut} that links each new table with a plain store before zeroing and claiming
 * it. The walker and the outcomes are the original's; the walker must meet the 0xFF fill (garbage).
 */
@JCStressTest
@Description("BROKEN: tables linked before they are zeroed; the walker must see garbage.")
@Outcome(id = "0, 1", expect = ACCEPTABLE, desc = "The walker looked before the first link: the root entry was empty.")
@Outcome(id = "[1-3], 1", expect = ACCEPTABLE_INTERESTING,
        desc = "The walker saw the path partly built: each link led to a claimed, fully zeroed table.")
@Outcome(id = "4, 1", expect = ACCEPTABLE, desc = "The walker saw the whole path and the mapped leaf entry.")
@Outcome(id = "-1, [01]", expect = FORBIDDEN,
        desc = "FORBIDDEN: the walker met garbage: a link to a table that was not yet zeroed or claimed, or a torn entry.")
@Outcome(id = "[0-4], 0", expect = FORBIDDEN,
        desc = "FORBIDDEN: the final tree is wrong (missing or extra tables, wrong leaf) or frames were not conserved.")
@Outcome(expect = FORBIDDEN, desc = "FORBIDDEN: any other outcome.")
@State
public class BrokenPteInstallPublication {
    private final Machine machine = TinyMachine.boot();
    private final int root;
    private final long leaf;
    private boolean installed;

    public BrokenPteInstallPublication() {
        TinyMachine.fillWithGarbage(machine);
        root = machine.pageTable().allocateTable(FramePool.NO_CPU);
        int data = machine.framePool().allocateGlobal();
        machine.frames().claim(data);
        leaf = Pte.make(data, Pte.PRESENT | Pte.WRITABLE | Pte.USER);
    }

    @Actor
    public void buildPathOnCpu0() {
        long slot = leafSlotMutPublishingFirst(0, TinyMachine.VA);
        installed = slot != PageTable.NO_SLOT && PhysicalMemory.casLong(slot, 0L, leaf);
    }

    @Actor
    public void walk(II_Result r) {
        r.r1 = PathObserver.observe(machine, root, TinyMachine.VA, leaf);
    }

    @Arbiter
    public void checkTreeAndFree(II_Result r) {
        PageTable pageTable = machine.pageTable();
        boolean ok = installed
                && pageTable.walk(root, TinyMachine.VA) == leaf
                && pageTable.countTables(root) == PageTable.LEVELS
                && machine.framesAccountedQuiescent() == machine.memory().frames();
        r.r2 = ok ? 1 : 0;
        machine.close();
    }

    /** {@link PageTable#leafSlotMut} for a single builder, with the publication moved before the zeroing. */
    private long leafSlotMutPublishingFirst(int cpu, long va) {
        PageTable pageTable = machine.pageTable();
        int table = root;
        for (int level = PageTable.LEVELS - 1; level > 0; level--) {
            long slot = pageTable.slotAddress(table, PageTable.index(va, level));
            long link = PhysicalMemory.laLong(slot);
            if (!Pte.isPresent(link)) {
                int fresh = machine.framePool().allocate(cpu);
                if (fresh == FramePool.NO_FRAME) {
                    return PageTable.NO_SLOT;
                }
                link = Pte.make(fresh, PageTable.TABLE_LINK_FLAGS);
                PhysicalMemory.spLong(slot, link); // BROKEN: the link is reachable before the table is zeroed
                machine.memory().zeroFrame(fresh);
                machine.frames().claim(fresh);
            }
            table = Pte.frame(link);
        }
        return pageTable.slotAddress(table, PageTable.index(va, 0));
    }
}
