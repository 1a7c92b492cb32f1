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
import org.openjdk.jcstress.infra.results.III_Result;

import mmsim.cpu.Cpu;
import mmsim.cpu.Interrupt;

/**
 * The interrupt-delivery protocol of {@link Cpu}: a poster offers to the inbox, then sets the pending
 * flag; the owner clears the flag, then drains. Whatever the interleaving, a posted interrupt is either
 * run by the owner's poll or left with the flag set, so the next access boundary runs it.
 *
 * <p>Interrupt delivery touches neither physical memory nor page tables, so the CPU is built without them
 * (no native memory per state).
 *
 * <p>r1: interrupts the owner's poll ran. r2: 1 when the pending flag is set afterwards. r3: interrupts run
 * in all, once the arbiter has drained the inbox whatever the flag says.
 */
@JCStressTest
@Description("An IPI posted while its target polls: run now, or flagged for the next boundary, never stranded.")
@Outcome(id = "1, 0, 1", expect = ACCEPTABLE, desc = "The owner's poll ran the interrupt.")
@Outcome(id = "1, 1, 1", expect = ACCEPTABLE_INTERESTING,
        desc = "The poll ran it, and the poster's flag landed after the owner's clear: one harmless extra poll.")
@Outcome(id = "0, 1, 1", expect = ACCEPTABLE, desc = "The poll came first; the flag is set, the next boundary runs it.")
@Outcome(id = "0, 0, 1", expect = FORBIDDEN,
        desc = "FORBIDDEN: the interrupt sits in the inbox with the flag clear: lost until another one arrives.")
@Outcome(expect = FORBIDDEN, desc = "FORBIDDEN: the interrupt ran twice or vanished.")
@State
public class InterruptNotLost {
    private static final Runnable SPIN = Thread::onSpinWait;

    private final Cpu cpu = new Cpu(0, TinyMachine.CONFIG, null, null);
    private int handled;
    private final Interrupt count = c -> handled++;

    @Actor
    public void post() {
        cpu.post(count, SPIN);
    }

    @Actor
    public void pollOnCpu0(III_Result r) {
        cpu.pollInterrupts();
        r.r1 = handled;
    }

    @Arbiter
    public void nextBoundary(III_Result r) {
        r.r2 = cpu.interruptPending() ? 1 : 0;
        cpu.serviceInterrupts();
        r.r3 = handled;
    }
}
