package mmsim.stress;

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

/**
 * DESIGN §2, page tables: "intermediate tables are installed with a CAS, so concurrent walkers see either
 * nothing or a fully zeroed table".
 *
 * <p>CPU 0 builds the path to {@link TinyMachine#VA} with the real {@link PageTable#leafSlotMut} (three
 * new tables) and then maps a page with a CAS on the leaf entry. Concurrently a walker reads the path
 * level by level with acquire loads ({@link PathObserver}). Every frame was filled with 0xFF before the
 * machine handed any out, so a table that became reachable before it was zeroed, or before it was
 * claimed, is seen as garbage.
 *
 * <p>r1: what the walker saw (0-3 links, 4 = links and the leaf entry; -1 = garbage). r2: 1 when, after
 * both actors, the tree holds exactly root + 3 tables, the walk yields the mapped entry and frames are
 * conserved (free + referenced = 16).
 */
@JCStressTest
@Description("A walker racing the creation of intermediate page tables sees nothing or zeroed, claimed tables.")
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
public class PteInstallPublication {
    private final Machine machine = TinyMachine.boot();
    private final int root;
    private final long leaf;
    private boolean installed;

    public PteInstallPublication() {
        TinyMachine.fillWithGarbage(machine);
        root = machine.pageTable().allocateTable(FramePool.NO_CPU);
        int data = machine.framePool().allocateGlobal();
        machine.frames().claim(data);
        leaf = Pte.make(data, Pte.PRESENT | Pte.WRITABLE | Pte.USER);
    }

    @Actor
    public void buildPathOnCpu0() {
        long slot = machine.pageTable().leafSlotMut(0, root, TinyMachine.VA);
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
}
