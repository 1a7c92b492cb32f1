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
import org.openjdk.jcstress.infra.results.IIIIIII_Result;

import mmsim.mem.FramePool;

/**
 * DESIGN §3 invariant 8 where the {@link FramePool}'s two sources of free frames meet: the frontier of
 * never-used frames (taken a batch at a time by a CAS on one counter) and the global stack of freed ones,
 * which goes first.
 *
 * <p>Four frames, batch 2. The constructor takes frame 0 from the frontier, so frames 1-3 are never used
 * and the stack is empty. Then:
 * <ul>
 *   <li>CPU 0 allocates twice: a refill, from the stack if frame 0 is back on it, else a batch from the
 *       frontier; and, when the first refill left its cache empty, a second one.</li>
 *   <li>A thread on no CPU frees frame 0, then allocates twice, each from the stack or the frontier.</li>
 * </ul>
 * Four allocations, four frames: all succeed, except that the last one may find none while CPU 0's cache
 * holds the last free frame (caches are not stolen). The arbiter counts where every frame is.
 *
 * <p>r1, r2: CPU 0's frames. r3, r4: the other thread's (-1: none). r5: frames found twice. r6: frames lost.
 * r7: frames left in CPU 0's cache.
 */
@JCStressTest
@Description("Refills from the frontier of never-used frames racing frees and allocations on the global stack.")
@Outcome(id = "\\d+, \\d+, \\d+, \\d+, 0, 0, 0", expect = ACCEPTABLE,
        desc = "Every allocation got a frame; each frame has one owner.")
@Outcome(id = "\\d+, \\d+, \\d+, -1, 0, 0, 1", expect = ACCEPTABLE_INTERESTING,
        desc = "The last allocation found none: the last free frame sat in CPU 0's cache, from a refill's batch.")
@Outcome(expect = FORBIDDEN,
        desc = "FORBIDDEN: a frame handed to two owners or lost, or an allocation failed while free frames were in the global pool.")
@State
public class FramePoolFrontierMeetsStack {
    private final FramePool pool = new FramePool(4, 1, 2);
    private final int freed = pool.allocateGlobal();
    private int cpu1;
    private int cpu2;
    private int global1;
    private int global2;

    @Actor
    public void cpu0AllocatesTwice() {
        cpu1 = pool.allocate(0);
        cpu2 = pool.allocate(0);
    }

    @Actor
    public void freeThenAllocateTwice() {
        pool.freeGlobal(freed);
        global1 = pool.allocateGlobal();
        global2 = pool.allocateGlobal();
    }

    @Arbiter
    public void census(IIIIIII_Result r) {
        r.r1 = cpu1;
        r.r2 = cpu2;
        r.r3 = global1;
        r.r4 = global2;
        r.r7 = pool.cachedFrames(0);
        FrameAudit audit = FrameAudit.of(pool, cpu1, cpu2, global1, global2);
        r.r5 = audit.twice;
        r.r6 = audit.missing;
    }
}
