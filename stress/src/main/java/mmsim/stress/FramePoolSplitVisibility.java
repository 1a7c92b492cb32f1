package mmsim.stress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;

import mmsim.mem.FramePool;

/**
 * Whether {@link FramePool#allocateGlobal()} answers "no frame" only when no free frame is left in the
 * global pool. Two frames, batch 2: the global stack holds one chain [0,1] (the constructor takes both
 * from the frontier of never-used frames into CPU 0's cache and drains them back, so the frontier is
 * exhausted). Two threads on no CPU each allocate one frame.
 *
 * <p>{@code allocateGlobal} pops the whole chain, then pushes its remainder back; between the two CASes
 * the stack is empty although frame 1 is free. A concurrent allocation must not answer {@code NO_FRAME}
 * then: a kernel treats that as out of memory and kills a process while memory is free (DESIGN §2). This
 * test found that defect (17% of samples); the pool now waits out a split in progress before it reports
 * an empty stack.
 *
 * <p>r1, r2: the frames the two threads got (-1: NO_FRAME). r3: free frames left afterwards.
 */
@JCStressTest
@Description("Two allocations from a global pool holding two free frames: both should succeed.")
@Outcome(id = {"0, 1, 0", "1, 0, 0"}, expect = ACCEPTABLE, desc = "Each thread got one of the two frames.")
@Outcome(id = {"0, -1, 1", "-1, 0, 1"}, expect = FORBIDDEN,
        desc = "FORBIDDEN: 'no frame' while frame 1 was free, hidden between the other thread's pop and its push-back.")
@Outcome(expect = FORBIDDEN, desc = "FORBIDDEN: a frame handed out twice, or a frame lost.")
@State
public class FramePoolSplitVisibility {
    private final FramePool pool = new FramePool(2, 1, 2);

    public FramePoolSplitVisibility() {
        int first = pool.allocate(0);
        int second = pool.allocate(0);
        pool.free(0, first);
        pool.free(0, second);
        pool.drainCache(0);
    }

    @Actor
    public void first(III_Result r) {
        r.r1 = pool.allocateGlobal();
    }

    @Actor
    public void second(III_Result r) {
        r.r2 = pool.allocateGlobal();
    }

    @Arbiter
    public void countFree(III_Result r) {
        r.r3 = (int) pool.freeFramesQuiescent();
    }
}
