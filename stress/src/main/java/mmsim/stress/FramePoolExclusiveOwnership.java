package mmsim.stress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIIII_Result;

import mmsim.mem.FramePool;

/**
 * DESIGN §3 invariant 8 and the {@link FramePool} contract: a frame has one owner at a time; free + in use =
 * total.
 *
 * <p>Eight frames, batch 2 (a CPU cache holds at most 4). The constructor, as CPU 0's previous owner,
 * takes all eight from the pool's frontier of never-used frames and gives them back so that the frontier is
 * exhausted, CPU 0's cache holds frames 0-3, frame 4 is held, and the global stack is [5] then [6,7] (a
 * chain of two that CPU 0 drained). Then:
 * <ul>
 *   <li>CPU 0 frees frame 4 into its full cache, which drains [2,3] to the global stack (a push), then
 *       allocates four times: three from its cache, the fourth refills (a pop of a whole chain).</li>
 *   <li>A thread on no CPU allocates, allocates, frees the first, allocates again, on the global stack
 *       (pops that split chains and push their remainders, and a push).</li>
 * </ul>
 * So drains, refills, splits and global pushes interleave on one stack. The arbiter counts where every
 * frame is: held by an actor, in CPU 0's cache or on the stack.
 *
 * <p>r1: the frame CPU 0's refill got. r2, r3: the frames the other thread kept (-1: the pool looked empty
 * then). r4: frames found twice. r5: frames lost.
 */
@JCStressTest
@Description("Per-CPU drain/refill racing global allocate/free/split: no frame twice, none lost.")
@Outcome(id = "-?\\d+, -?\\d+, -?\\d+, 0, 0", expect = ACCEPTABLE,
        desc = "Every frame is held by exactly one actor or free exactly once (r1-r3: frames the pops got).")
@Outcome(expect = FORBIDDEN, desc = "FORBIDDEN: a frame was handed to two owners, or a frame was lost.")
@State
public class FramePoolExclusiveOwnership {
    private static final int FRAMES = 8;
    private static final int BATCH = 2;

    private final FramePool pool = new FramePool(FRAMES, 1, BATCH);
    private final int[] cpuHeld = new int[4];
    private final int heldForFree;
    private int kept1;
    private int kept2;

    public FramePoolExclusiveOwnership() {
        int[] toCache = new int[2 * BATCH];
        for (int i = 0; i < toCache.length; i++) {
            toCache[i] = pool.allocate(0);
        }
        heldForFree = pool.allocate(0);
        int fifth = pool.allocate(0);
        int sixth = pool.allocate(0);
        int seventh = pool.allocate(0);
        pool.free(0, sixth);
        pool.free(0, seventh);
        pool.drainCache(0);
        pool.freeGlobal(fifth);
        for (int frame : toCache) {
            pool.free(0, frame);
        }
    }

    @Actor
    public void cpu0DrainThenRefill() {
        pool.free(0, heldForFree);
        for (int i = 0; i < cpuHeld.length; i++) {
            cpuHeld[i] = pool.allocate(0);
        }
    }

    @Actor
    public void globalAllocateFreeAllocate() {
        int first = pool.allocateGlobal();
        kept1 = pool.allocateGlobal();
        if (first != FramePool.NO_FRAME) {
            pool.freeGlobal(first);
        }
        kept2 = pool.allocateGlobal();
    }

    @Arbiter
    public void census(IIIII_Result r) {
        r.r1 = cpuHeld[3];
        r.r2 = kept1;
        r.r3 = kept2;
        FrameAudit audit = FrameAudit.of(pool, cpuHeld[0], cpuHeld[1], cpuHeld[2], cpuHeld[3], kept1, kept2);
        r.r4 = audit.twice;
        r.r5 = audit.missing;
    }
}
