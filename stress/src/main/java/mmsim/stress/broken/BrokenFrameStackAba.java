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
import org.openjdk.jcstress.infra.results.IIII_Result;

import mmsim.stress.FrameAudit;
import mmsim.stress.FramePoolGlobalAba;

/**
 * BROKEN twin of {@link FramePoolGlobalAba} on {@link BrokenUntaggedFrameStack}, the frame stack without its
 * version tag. Same actors and outcomes: one pop racing pop, pop, push-back of the first.
 */
@JCStressTest
@Description("BROKEN: an untagged Treiber stack; the pop racing pop-pop-push can hand a frame out twice.")
@Outcome(id = "0, 2, 0, 0", expect = ACCEPTABLE, desc = "The lone pop came first and got frame 0.")
@Outcome(id = "1, 2, 0, 0", expect = ACCEPTABLE, desc = "The lone pop came between the other thread's two pops.")
@Outcome(id = "2, 1, 0, 0", expect = ACCEPTABLE, desc = "The lone pop came after both pops, before frame 0 came back.")
@Outcome(id = "0, 1, 0, 0", expect = ACCEPTABLE_INTERESTING,
        desc = "The lone pop got frame 0 after it was freed again: the same top as at the start (the ABA shape), handled.")
@Outcome(expect = FORBIDDEN,
        desc = "FORBIDDEN: a frame was handed to two owners or lost (an ABA corruption of the stack).")
@State
public class BrokenFrameStackAba {
    private static final int FRAMES = 4;

    private final BrokenUntaggedFrameStack stack = new BrokenUntaggedFrameStack(FRAMES);
    private int lone;
    private int kept;

    @Actor
    public void pop() {
        lone = stack.pop();
    }

    @Actor
    public void popPopPushBack() {
        int first = stack.pop();
        kept = stack.pop();
        stack.push(first);
    }

    @Arbiter
    public void census(IIII_Result r) {
        r.r1 = lone;
        r.r2 = kept;
        FrameAudit audit = FrameAudit.of(FRAMES, stack::pop, lone, kept);
        r.r3 = audit.twice;
        r.r4 = audit.missing;
    }
}
