package mmsim.cpu;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;


/**
 * One initiator's reusable round of inter-processor interrupts, and the condition the initiator waits on:
 * the modeled timing of an IPI (DESIGN.md §4) in one place, for shootdown rounds and cross-calls alike.
 *
 * <p>Modeled timing: a target takes the interrupt {@code cost.ipi_delivery} cycles after it was sent
 * (the initiator's clock when the round was armed). A target that was idle or itself waiting moves its
 * clock to that arrival first and acknowledges from its own clock. A busy target's clock is not moved (its
 * skew against the initiator is the bound phase's, an artefact of simulation): it is charged the
 * interruption where it stands, and its acknowledgement arrives at send + delivery + handler + work + ack,
 * the zero-load latency, as zsim's bound phase times interactions. {@link #awaitAcks} moves the initiator's
 * clock to the latest acknowledgement plus one {@code cost.ipi_ack} line transfer for each other target: the
 * initiator reads the acknowledgements' lines one at a time (Linux's smp_call_function_many_cond waits on
 * each target's csd lock in turn, kernel/smp.c), so a round's cost grows with its targets even when they all
 * answer at once. A round armed as not modeled is a host-level handshake: no clock moves and nothing is charged.
 *
 * <p>Thread-safety: armed by the initiator before the posts that publish it (the inbox offer is a
 * release); each target's acknowledgement is a decrement (release) that the initiator's volatile read of
 * the count pairs with, after which the target's work is visible. One round in flight per instance.
 */
public abstract class IpiRound implements Interrupt, WaitCondition {
    private final AtomicInteger pending = new AtomicInteger();
    private final AtomicLong latestAck = new AtomicLong();
    /** Written before the posts that publish them. */
    private long sentAt;
    private int targets;
    private boolean modeled;
    private Cpu initiator;

    /**
     * Arms the round for {@code targets} acknowledgements, sent now: at {@code initiator}'s clock (charge the
     * sends first). Call before posting it to the targets.
     */
    public final void arm(Cpu initiator, int targets, boolean modeled) {
        this.initiator = initiator;
        this.modeled = modeled;
        this.sentAt = initiator.clock();
        this.targets = targets;
        latestAck.set(0);
        pending.set(targets);
    }

    /**
     * Waits for every acknowledgement ({@link Cpu#await}: servicing the initiator's inbox, giving its host
     * slot up if the wait is long); a modeled round then moves the initiator's clock to the latest one, plus
     * the line transfers of reading the others' one by one.
     */
    public final void awaitAcks(Cpu initiator) {
        // acquire (volatile read of the count): the targets' work happens-before the initiator continues
        initiator.await(this);
        if (modeled && targets > 0) {
            initiator.advanceTo(latestAck.get() + (targets - 1) * initiator.costs().ipiAck);
        }
    }

    @Override
    public final boolean satisfied() {
        return pending.get() == 0;
    }

    /**
     * What the target does; runs on it. Returns the modeled cycles its work takes beyond what it charged
     * itself (the handler's entry and the acknowledgement are added by the round).
     */
    protected abstract long work(Cpu target);

    /** A modeled round was handled on {@code target}, costing it {@code lost} cycles in all. Default: nothing. */
    protected void handled(Cpu target, long lost) {
    }

    @Override
    public final void handle(Cpu cpu) {
        long arrival = sentAt + cpu.costs().ipiDelivery;
        boolean free = cpu.idleOrWaiting();
        if (modeled && free) {
            cpu.advanceTo(arrival);
        }
        long before = cpu.clock();
        long cycles = work(cpu);
        if (modeled) {
            cpu.charge(cpu.costs().ipiHandler + cycles + cpu.costs().ipiAck);
            long lost = cpu.clock() - before;
            handled(cpu, lost);
            latestAck.accumulateAndGet(free ? cpu.clock() : arrival + lost, Math::max);
        }
        Cpu waiter = initiator;
        // release: this CPU's work happens-before the initiator sees the count drop
        if (pending.decrementAndGet() == 0) {
            waiter.slots().wake(waiter);
        }
    }
}
