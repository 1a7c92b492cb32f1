package mmsim.stress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Mode;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.Signal;
import org.openjdk.jcstress.annotations.State;

import mmsim.cpu.Cpu;
import mmsim.cpu.Interrupt;
import mmsim.cpu.Slots;
import mmsim.cpu.WaitCondition;

/**
 * The claim behind {@link Cpu#handleByProxy}: a running CPU runs an interrupt handler on behalf of a CPU that gave
 * its host slot up, instead of waking that CPU's thread. While claimed, the target must not run, and a wake-up that
 * arrives meanwhile must not be lost: the release makes the target READY, as the wake-up would have.
 *
 * <p>The actor is CPU 0's thread: it enters the arbiter and waits for a flag, giving its slot up (it parks). The
 * signal is CPU 1's thread: it claims CPU 0 as soon as CPU 0 waits, and the handler it runs on CPU 0's behalf raises
 * the flag and wakes CPU 0, during the claim. The condition says it is always signalled, so no phase-end poll can
 * rescue a wake-up the claim lost: the actor would stay parked, and jcstress reports STALE. The handler also moves
 * CPU 0's clock (owner-only state): the actor checks it sees that once it runs again, and spins forever if not, which
 * jcstress reports as STALE too.
 *
 * <p>Arbitration only: the CPUs are built without physical memory or page tables.
 */
@JCStressTest(Mode.Termination)
@Description("A CPU claimed for an interrupt handler on its behalf is woken during the claim: it must run after.")
@Outcome(id = "TERMINATED", expect = ACCEPTABLE,
        desc = "The wake-up during the claim made CPU 0 READY at the release; it ran and saw the handler's clock.")
@Outcome(id = "STALE", expect = FORBIDDEN,
        desc = "FORBIDDEN: CPU 0 stayed parked (the claim lost the wake-up) or did not see what the handler wrote.")
@State
public class ProxyHandlingKeepsWakeUp {
    private static final long HANDLER_CYCLES = 777;

    private final Slots slots = new Slots(2, 2, Long.MAX_VALUE / 4);
    private final Cpu target = new Cpu(0, TinyMachine.CONFIG, null, null, slots);
    private final Cpu claimer = new Cpu(1, TinyMachine.CONFIG, null, null, slots);
    private volatile boolean flag;
    private final WaitCondition raised = new WaitCondition() {
        @Override
        public boolean satisfied() {
            return flag;
        }

        @Override
        public boolean signalled() {
            return true;  // only a wake-up ends the wait: the phase end never polls it
        }
    };
    private final Interrupt raiseAndWake = cpu -> {
        cpu.charge(HANDLER_CYCLES);
        flag = true;
        cpu.slots().wake(cpu);
    };

    public ProxyHandlingKeepsWakeUp() {
        slots.attach(new Cpu[] {target, claimer});
        slots.activate();
    }

    @Actor
    public void cpu0Waits() {
        slots.start(target);
        target.await(raised);
        while (target.clock() != HANDLER_CYCLES) {
            Thread.onSpinWait();  // the handler's write is not visible: stuck, reported STALE
        }
        slots.leave(target);
    }

    @Signal
    public void cpu1HandlesOnItsBehalf() {
        slots.start(claimer);
        // CPU 0 can be claimed once it has given its slot up; it cannot get past its wait before the flag
        while (!target.handleByProxy(raiseAndWake, claimer)) {
            Thread.onSpinWait();
        }
        slots.leave(claimer);
    }
}
