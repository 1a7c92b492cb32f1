package mmsim.cpu;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

import mmsim.stats.CostModel;


/**
 * One initiator's reusable round of inter-processor interrupts, and the condition the initiator waits on:
 * the modeled timing of an IPI (DESIGN.md §4) in one place, for shootdown rounds and cross-calls alike.
 *
 * <p>Modeled timing: a target takes the interrupt {@code cost.ipi_delivery} cycles after it was sent (the
 * initiator's clock when the round was armed, or the send time the arming gave), {@code cost.ipi_delivery_remote}
 * when the target sits on another socket ({@code topology.sockets}). A target that was idle or itself waiting
 * moves its clock to that arrival first and acknowledges from its own clock. A busy target's clock is not moved
 * (its skew against the initiator is the bound phase's, an artefact of simulation): it is charged the
 * interruption where it stands, and its acknowledgement arrives at send + delivery + handler + work + ack, the
 * zero-load latency, as zsim's bound phase times interactions. The acknowledgement is one cache-line transfer,
 * {@code cost.ipi_ack} within a socket and {@code cost.ipi_ack_remote} across. {@link #awaitAcks} moves the
 * initiator's clock to the latest acknowledgement plus, unless the round aggregates its acknowledgements, one
 * line transfer for each other target (the dearest taken as the latest): the initiator reads the
 * acknowledgements' lines one at a time (Linux's smp_call_function_many_cond waits on each target's csd lock in
 * turn, kernel/smp.c), so a round's cost grows with its targets even when they all answer at once. A round that
 * aggregates (a multicast tree's, where one counter line collects a socket's acknowledgements) pays only the
 * latest's transfer. A round that {@linkplain #acknowledgesOnReceipt acknowledges on receipt} times each
 * acknowledgement at the handler's entry, before the work; the work is still charged to the target. A round armed
 * as not modeled is a host-level handshake: no clock moves and nothing is charged.
 *
 * <p>Host order: a target always does its work before its acknowledgement (the decrement), also when the
 * acknowledgement is timed at receipt. A simulated CPU runs nothing of its own between an interrupt's entry and
 * its exit, so no simulated program can tell the two orders apart; keeping the host order fixed keeps every
 * target's work visible to the initiator once it returns.
 *
 * <p>Thread-safety: armed by the initiator before the posts that publish it (the inbox offer is a
 * release); each target's acknowledgement is a decrement (release) that the initiator's volatile read of
 * the count pairs with, after which the target's work is visible. One round in flight per instance.
 */
public abstract class IpiRound implements Interrupt, WaitCondition {
    private static final VarHandle PENDING;
    private static final VarHandle LATEST_ACK;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            PENDING = lookup.findVarHandle(IpiRound.class, "pending", int.class);
            LATEST_ACK = lookup.findVarHandle(IpiRound.class, "latestAck", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Bits of {@link #pending} that count the acknowledgements still to come; the bits above count the remote ones. */
    private static final int OUTSTANDING_MASK = 0xFFFF;
    /** Where the count of remote acknowledgements starts in {@link #pending}, above {@link #OUTSTANDING_MASK}. */
    private static final int REMOTE_SHIFT = 16;
    /** What a modeled acknowledgement from another socket adds to {@link #pending} besides its decrement. */
    private static final int REMOTE_ACK = 1 << REMOTE_SHIFT;

    /**
     * Acknowledgements still to come (the low 16 bits; machines have at most 1,024 CPUs) and, above them, how many of
     * those that came crossed a socket: the line transfers of reading them one by one follow from that count, so an
     * acknowledgement is one atomic add here and one compare-and-exchange of {@link #latestAck}, two locked operations
     * on one object's fields where four atomics on two or three lines were ({@code ShootdownBenchmark}, see
     * benchmarks/README). Accessed through {@link #PENDING}.
     */
    private volatile int pending;
    /** The latest acknowledgement's modeled arrival (the maximum over targets). Accessed through {@link #LATEST_ACK}. */
    private volatile long latestAck;
    /** Written before the posts that publish them. */
    private long sentAt;
    private int targets;
    private boolean modeled;
    private boolean aggregated;
    private Cpu initiator;

    /**
     * Arms the round for {@code targets} acknowledgements, sent now: at {@code initiator}'s clock (charge the
     * sends first). Call before posting it to the targets.
     */
    public final void arm(Cpu initiator, int targets, boolean modeled) {
        arm(initiator, targets, modeled, initiator.clock(), false);
    }

    /**
     * Arms the round for {@code targets} acknowledgements to {@code initiator}, sent at modeled cycle
     * {@code sentAt} (a forwarding CPU sends at the time its own handler reached the sends, in the original
     * initiator's frame); {@code aggregated}: the acknowledgements are collected in one line, so the initiator
     * pays one transfer, not one per target.
     */
    public final void arm(Cpu initiator, int targets, boolean modeled, long sentAt, boolean aggregated) {
        this.initiator = initiator;
        this.modeled = modeled;
        this.aggregated = aggregated;
        this.sentAt = sentAt;
        this.targets = targets;
        if (targets > OUTSTANDING_MASK) {
            throw new IllegalArgumentException("at most " + OUTSTANDING_MASK + " targets a round: " + targets);
        }
        // plain: the claim's monitor or the post's offer that follows publishes them to the targets
        LATEST_ACK.set(this, 0L);
        PENDING.set(this, targets);
    }

    /**
     * Waits for every acknowledgement ({@link Cpu#await}: servicing the initiator's inbox, giving its host
     * slot up if the wait is long); a modeled round then moves the initiator's clock to the latest one, plus
     * the line transfers of reading the others' one by one (none when aggregated).
     */
    public final void awaitAcks(Cpu initiator) {
        awaitAcks(initiator, true);
    }

    /**
     * {@link #awaitAcks(Cpu)}; with {@code advance} false the initiator's clock is left alone (a forwarder that
     * accounts its wait in its own handler's timing reads {@link #acknowledgedAt()} instead).
     */
    public final void awaitAcks(Cpu initiator, boolean advance) {
        // acquire (volatile read of the count): the targets' work happens-before the initiator continues
        initiator.await(this);
        if (advance && modeled && targets > 0) {
            initiator.advanceTo(acknowledgedAt());
        }
    }

    /**
     * When the initiator has read every acknowledgement, in modeled cycles: the latest's arrival, plus one line
     * transfer per other target unless aggregated. Meaningful once {@link #satisfied()}.
     */
    public final long acknowledgedAt() {
        long latest = (long) LATEST_ACK.getVolatile(this);
        if (aggregated || !modeled || targets == 0) {
            return latest;
        }
        // every target's line transfer, but the dearest's, which the latest acknowledgement already includes (all CPUs
        // share one cost model: a transfer costs cost.ipi_ack within a socket, cost.ipi_ack_remote across)
        CostModel costs = initiator.costs();
        int remote = (int) PENDING.getVolatile(this) >>> REMOTE_SHIFT;
        int local = targets - remote;
        long transfers = local * costs.lineTransfer(true) + remote * costs.lineTransfer(false);
        long dearest = Math.max(remote > 0 ? costs.lineTransfer(false) : 0, local > 0 ? costs.lineTransfer(true) : 0);
        return latest + transfers - dearest;
    }

    @Override
    public final boolean satisfied() {
        return ((int) PENDING.getVolatile(this) & OUTSTANDING_MASK) == 0;
    }

    /**
     * What the target does; runs on it. {@code startsAt}: the modeled cycle (in the sender's frame) its work
     * starts, after the handler's entry. Returns the modeled cycles its work takes beyond what it charged itself
     * (the handler's entry and the acknowledgement are added by the round).
     */
    protected abstract long work(Cpu target, long startsAt);

    /**
     * When the target's work of {@code cycles}, started at {@code startsAt}, is done, in the sender's frame.
     * Default: {@code startsAt + cycles}; a forwarder that waited for its own targets returns the later of that
     * and their acknowledgement.
     */
    protected long finishedAt(Cpu target, long startsAt, long cycles) {
        return startsAt + cycles;
    }

    /** Whether the acknowledgement is timed at the handler's entry, before the work (see the class comment). Default: no. */
    protected boolean acknowledgesOnReceipt() {
        return false;
    }

    /** A modeled round was handled on {@code target}, costing it {@code lost} cycles in all. Default: nothing. */
    protected void handled(Cpu target, long lost) {
    }

    @Override
    public final void handle(Cpu cpu) {
        CostModel costs = cpu.costs();
        boolean sameSocket = cpu.sameSocket(initiator);
        long arrival = sentAt + costs.ipiDelivery(sameSocket);
        boolean free = cpu.idleOrWaiting();
        if (modeled && free) {
            cpu.advanceTo(arrival);
        }
        long before = cpu.clock();
        long start = free ? before : arrival;
        long workStart = start + costs.ipiHandler;
        long cycles = work(cpu, workStart);
        if (modeled) {
            long ack = costs.lineTransfer(sameSocket);
            long busy = finishedAt(cpu, workStart, cycles) - workStart;
            cpu.charge(costs.ipiHandler + busy + ack);
            long lost = cpu.clock() - before;
            handled(cpu, lost);
            long acknowledged = acknowledgesOnReceipt() ? workStart + ack : free ? cpu.clock() : arrival + lost;
            raiseLatestAck(acknowledged);
        }
        Cpu waiter = initiator;
        int delta = modeled && !sameSocket ? REMOTE_ACK - 1 : -1;
        // volatile add (a release): this CPU's work and its latest acknowledgement happen-before the initiator sees
        // the count drop
        if ((((int) PENDING.getAndAdd(this, delta) + delta) & OUTSTANDING_MASK) == 0) {
            waiter.slots().wake(waiter);
        }
    }

    /**
     * {@link #latestAck} = max(itself, {@code acknowledged}). The first exchange expects the armed 0, so a round's
     * first acknowledgement takes the line once, without a read first.
     */
    private void raiseLatestAck(long acknowledged) {
        long seen = 0;
        while (seen < acknowledged) {
            long witness = (long) LATEST_ACK.compareAndExchange(this, seen, acknowledged);
            if (witness == seen) {
                return;
            }
            seen = witness;
        }
    }
}
