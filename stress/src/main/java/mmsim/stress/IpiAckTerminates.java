package mmsim.stress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Mode;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.Signal;
import org.openjdk.jcstress.annotations.State;

import mmsim.cpu.Cpu;
import mmsim.cpu.Interrupt;
import mmsim.paging.AddressSpace;
import mmsim.shootdown.FlushReason;
import mmsim.shootdown.FlushRequest;
import mmsim.shootdown.ShootdownStats;
import mmsim.shootdown.ShootdownStrategy;
import mmsim.shootdown.Shootdowns;

/**
 * DESIGN §3 invariant 9 and §2's idle CPUs: a shootdown to a CPU whose thread is asleep in the idle loop
 * completes. The wake-up is the protocol under test: {@link Cpu#post} sets the pending flag, then reads the
 * sleeper and unparks it; the idle loop publishes itself as the sleeper, re-checks the flag, and only then
 * parks. A lost wake-up leaves the idle CPU asleep and the initiator waiting for its acknowledgement.
 *
 * <p>The actor is CPU 1 flushing a page of a space that idle CPU 0 has loaded (the real {@code targeted}
 * strategy, which must interrupt it). The signal is CPU 0's idle loop, shaped as the kernel's
 * ({@code Scheduler.idleLoop}): service interrupts, spin a little, then set the sleeper, re-check, park. It
 * parks with no timeout of its own, so only a post can wake it; it gives up after {@link #IDLE_LIMIT_MS}
 * (so that the signal returns) and then the actor cannot finish: jcstress reports STALE. After its flush
 * the actor wakes the idle CPU once more with a no-op interrupt, through the same protocol, to end the loop.
 *
 * <p>TLBs and interrupts only: the CPUs are built without physical memory or page tables.
 */
@JCStressTest(Mode.Termination)
@Description("A shootdown to a CPU asleep in the idle loop: the post must wake it, and the flush must finish.")
@Outcome(id = "TERMINATED", expect = ACCEPTABLE, desc = "The idle CPU woke, acknowledged, and the initiator's flush returned.")
@Outcome(id = "STALE", expect = FORBIDDEN,
        desc = "FORBIDDEN: the initiator never got the idle CPU's acknowledgement (a lost wake-up or a lost interrupt).")
@State
public class IpiAckTerminates {
    /** How long the idle loop waits for the flush before it stops servicing; far beyond any healthy round trip. */
    static final long IDLE_LIMIT_MS = 1_000;
    private static final int SPINS_BEFORE_PARK = 200;
    private static final ShootdownStats STATS = new ShootdownStats(TinyMachine.CONFIG.cpus());
    private static final Interrupt WAKE = cpu -> { };

    private final Cpu idle = new Cpu(0, TinyMachine.CONFIG, null, null);
    private final Cpu initiator = new Cpu(1, TinyMachine.CONFIG, null, null);
    private final AddressSpace space = new AddressSpace(0, 0, TinyMachine.CONFIG.cpus());
    private final ShootdownStrategy strategy = Shootdowns.create("targeted", new Cpu[] {idle, initiator}, STATS);
    private final FlushRequest request = new FlushRequest();
    private volatile boolean idleRunning;
    private volatile boolean flushed;

    public IpiAckTerminates() {
        idle.switchAddressSpace(space);
        initiator.switchAddressSpace(space);
    }

    @Actor
    public void flushToIdleCpu() {
        while (!idleRunning) {
            Thread.onSpinWait();  // the signal starts right after this actor: not long
        }
        strategy.flush(initiator, request.begin(space, FlushReason.MPROTECT).addRange(TinyMachine.VA, 1), null);
        flushed = true;
        idle.post(WAKE, initiator.interruptServicer());
    }

    @Signal
    public void idleLoopOnCpu0() {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(IDLE_LIMIT_MS);
        idleRunning = true;
        int spins = 0;
        while (!flushed) {
            int work = idle.serviceInterrupts();
            if (work > 0 || ++spins < SPINS_BEFORE_PARK) {
                Thread.onSpinWait();
                continue;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return;  // give up: the actor stays stuck and jcstress reports STALE
            }
            idle.setSleeper(Thread.currentThread());
            if (!idle.interruptPending() && !flushed) {
                LockSupport.parkNanos(this, left);
            }
            idle.setSleeper(null);
        }
        idle.serviceInterrupts();
    }
}
