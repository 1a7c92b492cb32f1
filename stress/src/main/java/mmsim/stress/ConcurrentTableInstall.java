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
import org.openjdk.jcstress.infra.results.IIIII_Result;

import mmsim.Machine;
import mmsim.mem.FramePool;
import mmsim.paging.PageTable;

/**
 * DESIGN §2, page tables: "each table is installed exactly once"; §3 invariant 8, frames are conserved.
 *
 * <p>CPUs 0 and 1 both call the real {@link PageTable#leafSlotMut} for {@link TinyMachine#VA} on an empty
 * tree, so at every level both may find the entry empty, both allocate a table, and one loses the CAS and
 * gives its frame back to its own CPU's cache.
 *
 * <p>r1: 1 when both got the same, non-empty leaf slot. r2: tables in the tree (root + 3 = 4). r3: frames
 * with a reference (the 4 tables). r4: 1 when free + referenced = 16 (FramePool.freeFramesQuiescent +
 * FrameMetadata.framesReferenced). r5: frames sitting in the CPUs' caches afterwards, which only a lost
 * install CAS puts there (batch 1: a refill leaves the cache empty).
 */
@JCStressTest
@Description("Two CPUs creating the same missing tables: one table per level, one leaf slot, no frame leaked.")
@Outcome(id = "1, 4, 4, 1, 0", expect = ACCEPTABLE,
        desc = "No CAS lost: one CPU installed every table, the other found them all in place.")
@Outcome(id = "1, 4, 4, 1, [12]", expect = ACCEPTABLE_INTERESTING,
        desc = "A CPU lost an install CAS, gave its table frame back to its cache and used the winner's table.")
@Outcome(id = "0, .*", expect = FORBIDDEN, desc = "FORBIDDEN: the CPUs got different leaf slots, or none.")
@Outcome(expect = FORBIDDEN,
        desc = "FORBIDDEN: a level has two tables or none, a frame is referenced that should not be, or a frame leaked.")
@State
public class ConcurrentTableInstall {
    private final Machine machine = TinyMachine.boot();
    private final int root = machine.pageTable().allocateTable(FramePool.NO_CPU);
    private long slot0;
    private long slot1;

    @Actor
    public void cpu0() {
        slot0 = machine.pageTable().leafSlotMut(0, root, TinyMachine.VA);
    }

    @Actor
    public void cpu1() {
        slot1 = machine.pageTable().leafSlotMut(1, root, TinyMachine.VA);
    }

    @Arbiter
    public void countAndFree(IIIII_Result r) {
        FramePool pool = machine.framePool();
        r.r1 = slot0 == slot1 && slot0 != PageTable.NO_SLOT ? 1 : 0;
        r.r2 = (int) machine.pageTable().countTables(root);
        r.r3 = (int) machine.frames().framesReferenced();
        r.r4 = pool.freeFramesQuiescent() + machine.frames().framesReferenced() == pool.frames() ? 1 : 0;
        r.r5 = pool.cachedFrames(0) + pool.cachedFrames(1);
        machine.close();
    }
}
