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

import mmsim.cpu.Cpu;
import mmsim.cpu.Interrupt;

/**
 * {@link Cpu}'s two ways in for an interrupt, racing: the mailbox (the pending field itself, taken when nothing is
 * pending) and the inbox queue behind it (when something is). One poster posts A, B and C while the owner polls:
 * A takes the mailbox, B (and C) queue behind it, or, when the poll took A in between, B or C takes the mailbox
 * again while what was queued before it may still be draining. Every interrupt must run exactly once by the time
 * the arbiter has serviced the CPU (none stranded in the queue with nothing marked pending), in the order posted:
 * what a poster queued is never overtaken by what it put in the mailbox after. (Two actors: jcstress runs no more on
 * a 2-core host.)
 *
 * <p>r1: interrupts run in all after the arbiter's service (3). r2: 1 when they ran A, B, C in that order. r3: how
 * many the owner's poll ran (any of 0 to 3).
 */
@JCStressTest
@Description("Interrupts through the mailbox and the inbox queue at once: none lost, one poster's in order.")
@Outcome(id = {"3, 1, 0", "3, 1, 1", "3, 1, 2", "3, 1, 3"}, expect = ACCEPTABLE,
        desc = "All three ran once, in the order posted; the poll ran some of them, the arbiter's service the rest.")
@Outcome(expect = FORBIDDEN, desc = "FORBIDDEN: an interrupt lost, run twice, or run out of the order posted.")
@State
public class InterruptsKeepPosterOrder {
    private static final Runnable SPIN = Thread::onSpinWait;

    private final Cpu cpu = new Cpu(0, TinyMachine.CONFIG, null, null);
    private int handled;
    private int ranA;
    private int ranB;
    private int ranC;
    private final Interrupt a = c -> ranA = ++handled;
    private final Interrupt b = c -> ranB = ++handled;
    private final Interrupt cc = c -> ranC = ++handled;

    @Actor
    public void postABC() {
        cpu.post(a, SPIN);
        cpu.post(b, SPIN);
        cpu.post(cc, SPIN);
    }

    @Actor
    public void pollOnCpu0(III_Result r) {
        cpu.pollInterrupts();
        r.r3 = handled;
    }

    @Arbiter
    public void service(III_Result r) {
        cpu.serviceInterrupts();
        boolean once = ranA > 0 && ranB > 0 && ranC > 0 && handled == 3;
        r.r1 = once ? handled : -handled;
        r.r2 = ranA < ranB && ranB < ranC ? 1 : 0;
    }
}
