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
import org.openjdk.jcstress.infra.results.IIII_Result;

import mmsim.mem.FramePool;

/**
 * The ABA shape on the global Treiber stack of {@link FramePool}: four single-frame chains, 0 on top (the
 * constructor takes the four frames from the pool's frontier of never-used frames and frees them, 3 first).
 * CPU 0 refills its empty cache (one pop) while a thread on no CPU pops two frames and frees the first
 * again, so the stack's top is frame 0 both before and after. A pop that read "top 0, below it 1" before
 * those three steps must not install 1 as the top afterwards (1 is then held): the head's version tag
 * makes that CAS fail. The untagged twin, {@code broken.BrokenFrameStackAba}, lacks the tag.
 *
 * <p>r1: the frame CPU 0 got. r2: the frame the other thread kept. r3: frames found twice (held twice, or
 * held and free). r4: frames lost.
 */
@JCStressTest
@Description("A per-CPU refill racing pop, pop, push-back on the global frame stack: every frame has one owner.")
@Outcome(id = "0, 2, 0, 0", expect = ACCEPTABLE, desc = "CPU 0 popped first and got frame 0.")
@Outcome(id = "1, 2, 0, 0", expect = ACCEPTABLE, desc = "CPU 0 popped between the other thread's two pops.")
@Outcome(id = "2, 1, 0, 0", expect = ACCEPTABLE, desc = "CPU 0 popped after both pops, before frame 0 came back.")
@Outcome(id = "0, 1, 0, 0", expect = ACCEPTABLE_INTERESTING,
        desc = "CPU 0 popped frame 0 after it was freed again: the same top as at the start (the ABA shape), handled.")
@Outcome(expect = FORBIDDEN,
        desc = "FORBIDDEN: a frame was handed to two owners or lost (an ABA corruption of the stack).")
@State
public class FramePoolGlobalAba {
    private final FramePool pool = new FramePool(4, 1, 1);
    private int cpuFrame;
    private int kept;

    public FramePoolGlobalAba() {
        int[] frames = new int[4];
        for (int i = 0; i < frames.length; i++) {
            frames[i] = pool.allocateGlobal();
        }
        for (int i = frames.length - 1; i >= 0; i--) {
            pool.freeGlobal(frames[i]);
        }
    }

    @Actor
    public void refillOnCpu0() {
        cpuFrame = pool.allocate(0);
    }

    @Actor
    public void popPopPushBack() {
        int first = pool.allocateGlobal();
        kept = pool.allocateGlobal();
        pool.freeGlobal(first);
    }

    @Arbiter
    public void census(IIII_Result r) {
        r.r1 = cpuFrame;
        r.r2 = kept;
        FrameAudit audit = FrameAudit.of(pool, cpuFrame, kept);
        r.r3 = audit.twice;
        r.r4 = audit.missing;
    }
}
