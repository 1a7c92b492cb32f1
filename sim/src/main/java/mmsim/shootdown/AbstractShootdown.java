package mmsim.shootdown;

import java.util.concurrent.atomic.AtomicLong;

import mmsim.cpu.Cpu;
import mmsim.cpu.IpiRound;
import mmsim.mem.PhysicalMemory;
import mmsim.paging.AddressSpace;
import mmsim.paging.CpuMask;
import mmsim.stats.CpuCounter;

/**
 * What every strategy shares: the per-reason counters, host and modeled latency recording (the initiator's,
 * and what each shootdown cost the CPUs it interrupted), the local
 * flush, and a synchronous IPI round (post to chosen CPUs, wait for every acknowledgement while
 * servicing this CPU's own inbox).
 *
 * <p>Each initiating CPU owns one preallocated {@link Round}; a CPU has at most one round in flight
 * (it waits for its acks before starting another), so reuse is safe and posting allocates nothing.
 * A target copies nothing: it reads the round's request, flushes, records its cost, then acknowledges
 * with a decrement (release), which the initiator's volatile read of the count pairs with.
 */
public abstract class AbstractShootdown implements ShootdownStrategy {
    /** Partial flushes up to this many pages; beyond, a full flush (Linux's tlb_single_page_flush_ceiling). */
    public static final int FULL_FLUSH_CEILING = 33;

    protected final Cpu[] cpus;
    protected final ShootdownStats stats;
    private final Round[] rounds;
    /** Per initiator, the one-range request {@link PerRange} sends each range of a request in; made at its first use. */
    private final FlushRequest[] oneRange;

    protected AbstractShootdown(Cpu[] cpus, ShootdownStats stats) {
        this.cpus = cpus.clone();
        this.stats = stats;
        this.rounds = new Round[cpus.length];
        this.oneRange = new FlushRequest[cpus.length];
        for (int i = 0; i < cpus.length; i++) {
            rounds[i] = new Round(this, this.cpus);
        }
    }

    @Override
    public final void flush(Cpu initiator, FlushRequest request, ReleaseAction release) {
        if (request.isEmpty()) {
            if (release != null) {
                release.release(initiator);
            }
            return;
        }
        countReason(initiator, request.reason());
        Round round = rounds[initiator.id()];
        round.interrupted.set(0);
        round.reachedOthers = false;
        // host time only where another CPU may take part: a local flush's would be two nanoTime calls for ~50 ns
        boolean timed = mayReachOthers(initiator, request);
        long start = timed ? System.nanoTime() : 0;
        long startClock = initiator.clock();
        doFlush(initiator, request, release);
        long cycles = initiator.clock() - startClock;
        if (timed) {
            stats.record(initiator.id(), cycles, System.nanoTime() - start);
        } else {
            // a CPU that loaded the space after the check, and that this flush then reached, goes untimed (not a fault)
            stats.recordLocal(initiator.id(), cycles);
        }
        // every round of this flush was acknowledged: each target added what it lost before its acknowledgement
        stats.recordInterrupted(initiator.id(), round.interrupted.get());
        if (round.reachedOthers) {
            initiator.counters().increment(CpuCounter.SHOOTDOWNS_REMOTE);
        }
    }

    /**
     * Whether a flush of {@code request} by {@code initiator} may interrupt, invalidate or wait for any other CPU; only
     * those flushes are host-timed ({@code shootdown.initiator_ns}). Must not be false where the strategy's own choice
     * of targets could reach another CPU (HostTimingTest checks every strategy); a CPU that joins the cpumask after
     * this check, racing the flush, may be reached untimed. Default: the machine has another CPU and the request
     * frees page tables or the space's cpumask holds a CPU other than the initiator; a strategy whose targets are not
     * drawn from the cpumask overrides it. Runs on the initiator.
     */
    protected boolean mayReachOthers(Cpu initiator, FlushRequest request) {
        if (cpus.length < 2) {
            return false;
        }
        if (request.freesPageTables()) {
            return true;
        }
        CpuMask mask = request.space().cpuMask();
        int me = initiator.id();
        int first = mask.nextSetBit(0);
        return first >= 0 && (first != me || mask.nextSetBit(me + 1) >= 0);
    }

    /**
     * {@code initiator}'s scratch request for one range of a multi-range flush ({@link PerRange}): a CPU has one flush
     * in flight, as with its {@link Round}, so one per CPU is enough, and a flush allocates none (a new request, two
     * arrays, per multi-range flush was 141 MB of a 22 s chaos run on 64 CPUs under targeted, JFR's samples).
     */
    final FlushRequest oneRange(Cpu initiator) {
        FlushRequest r = oneRange[initiator.id()];
        if (r == null) {
            r = oneRange[initiator.id()] = new FlushRequest();
        }
        return r;
    }

    /** Records that the flush in progress on {@code initiator} reached another CPU (an invalidation or post not sent through a round). */
    protected final void reachedOthers(Cpu initiator) {
        rounds[initiator.id()].reachedOthers = true;
    }

    /**
     * Whether targets acknowledge {@code request} on receipt, before their flush (early-ack); the round then
     * times each acknowledgement at the handler's entry. Default: no, they acknowledge once flushed.
     */
    protected boolean acknowledgesOnReceipt(FlushRequest request) {
        return false;
    }

    /**
     * The strategy itself. Runs {@code release} (if not null) when safe, now or later. Charges the
     * initiator's own work ({@link Cpu#charge}) as it happens, and waits for acknowledgements with
     * {@link #awaitRound}, which moves the initiator's clock to the latest one; the initiator latency
     * recorded is the clock's advance across this call.
     */
    protected abstract void doFlush(Cpu initiator, FlushRequest request, ReleaseAction release);

    /**
     * What a target does on receiving {@code request} (runs on the target); returns its modeled flush
     * cycles (interrupt entry and the ack are added by the round). Default: {@link #flushLocal}.
     */
    protected long applyOnTarget(Cpu target, FlushRequest request) {
        return flushLocal(target, request, FULL_FLUSH_CEILING);
    }

    private static void countReason(Cpu cpu, FlushReason reason) {
        cpu.counters().increment(CpuCounter.SHOOTDOWNS);
        cpu.counters().increment(switch (reason) {
            case FORK -> CpuCounter.SHOOTDOWNS_FORK;
            case COW_REPLACE -> CpuCounter.SHOOTDOWNS_COW;
            case MUNMAP -> CpuCounter.SHOOTDOWNS_MUNMAP;
            case REMAP -> CpuCounter.SHOOTDOWNS_REMAP;
            case MPROTECT -> CpuCounter.SHOOTDOWNS_MPROTECT;
            case MADVISE -> CpuCounter.SHOOTDOWNS_MADVISE;
            case TABLE_COPY -> CpuCounter.SHOOTDOWNS_TABLE;
            case TEARDOWN -> CpuCounter.SHOOTDOWNS_TEARDOWN;
        });
    }

    /**
     * Applies {@code request} to {@code cpu}'s own TLB (runs on {@code cpu}): one INVLPG per page up to
     * {@code ceiling} pages, else a full flush of the space's ASID. A CPU without ASIDs that does not have
     * the space loaded holds none of its entries (the switch flushed them). Teardown also unloads the
     * space (a lazy CPU may still have it loaded) and leaves its cpumask. Returns modeled cycles.
     */
    protected static long flushLocal(Cpu cpu, FlushRequest request, int ceiling) {
        AddressSpace space = request.space();
        boolean loaded = cpu.loadedSpace() == space;
        long cycles = 0;
        if (loaded || cpu.asidTagged()) {
            if (request.isAll() || request.totalPages() > ceiling) {
                cpu.flushAsid(request.asid());
                cycles += cpu.costs().fullFlush;
            } else {
                for (int r = 0; r < request.ranges(); r++) {
                    long va = request.start(r);
                    for (long i = 0; i < request.pages(r); i++, va += PhysicalMemory.PAGE_SIZE) {
                        cpu.invalidatePage(request.asid(), va);
                        cycles += cpu.costs().invlpg;
                    }
                }
            }
        }
        if (request.reason() == FlushReason.TEARDOWN) {
            if (loaded) {
                cpu.switchAddressSpace(null);
            }
            space.cpuMask().clear(cpu.id());
        }
        return cycles;
    }

    /**
     * Chooses the targets of an IPI round: whether {@code initiator}'s round for {@code request} reaches {@code target}.
     * Given all three, a filter needs no captured state, so a strategy keeps its filters in constants or fields: a
     * lambda capturing the initiator and the request was an allocation per shootdown (32 bytes under linux, abis and
     * multicast, 24 under didi, {@code ShootdownBenchmark -prof gc}).
     */
    @FunctionalInterface
    protected interface TargetFilter {
        boolean interrupt(Cpu initiator, Cpu target, FlushRequest request);
    }

    /** Every candidate. */
    protected static final TargetFilter EVERY_CANDIDATE = (initiator, target, request) -> true;

    /** The CPUs that have the request's space loaded (a teardown's last round: they must drop it). */
    protected static final TargetFilter SPACE_LOADED = (initiator, target, request) -> target.loadedSpace() == request.space();

    /**
     * Posts {@code request} to every other CPU that {@code filter} chooses. Follow with
     * {@link #awaitRound}. Returns the number of targets.
     */
    protected final int startRound(Cpu initiator, FlushRequest request, TargetFilter filter) {
        return startRound(initiator, request, null, filter, true);
    }

    /**
     * {@link #startRound(Cpu, FlushRequest, TargetFilter)} among the CPUs of {@code candidates} only (the
     * space's cpumask, usually): the round then costs the mask's CPUs, not the machine's.
     */
    protected final int startRound(Cpu initiator, FlushRequest request, CpuMask candidates, TargetFilter filter) {
        return startRound(initiator, request, candidates, filter, true);
    }

    /**
     * {@link #startRound(Cpu, FlushRequest, CpuMask, TargetFilter)}, where {@code candidates} null means every
     * CPU, and {@code interrupt} false makes the round a host-level handshake that models no interrupt (no IPI
     * counted, no cycles charged, no clock moved). With {@code interrupt}, the initiator is charged
     * {@code cost.ipi_send} per target, and every interrupt carries the initiator's clock after the sends
     * (its send time). Targets are chosen in ascending CPU order either way.
     */
    protected final int startRound(Cpu initiator, FlushRequest request, CpuMask candidates, TargetFilter filter,
                                   boolean interrupt) {
        Round round = rounds[initiator.id()];
        int sent = 0;
        if (candidates == null) {
            for (Cpu target : cpus) {
                if (target != initiator && filter.interrupt(initiator, target, request)) {
                    round.targets[sent++] = target.id();
                }
            }
        } else {
            for (int id = candidates.nextSetBit(0); id >= 0 && id < cpus.length; id = candidates.nextSetBit(id + 1)) {
                Cpu target = cpus[id];
                if (target != initiator && filter.interrupt(initiator, target, request)) {
                    round.targets[sent++] = id;
                }
            }
        }
        round.sent = sent;
        if (sent == 0) {
            return 0;  // a flush that reaches no other CPU (a single-threaded process) costs nothing more
        }
        round.request.copyFrom(request);
        round.multicast = false;
        if (interrupt) {
            initiator.charge(sent * initiator.costs().ipiSend);
            initiator.counters().add(CpuCounter.SHOOTDOWN_IPIS_SENT, sent);
            round.reachedOthers = true;
        }
        round.arm(initiator, sent, interrupt);
        for (int i = 0; i < sent; i++) {
            // the round's fields above are written before the claim (a monitor) or the post (the offer is a release)
            // that publishes them
            cpus[round.targets[i]].deliver(round, initiator);
        }
        return sent;
    }

    /**
     * {@link #startRound(Cpu, FlushRequest, CpuMask, TargetFilter)} along the topology (Barrelfish's NUMA-aware
     * multicast, Baumann et al., SOSP'09, section 5): the initiator sends one IPI to the targets on its own socket
     * (a multicast, logical-destination IPI: one {@code cost.ipi_send}) and one to a forwarder on each other socket
     * that has targets (its lowest-numbered target there); a forwarder flushes, sends one IPI to the rest of its
     * socket's targets, collects their acknowledgements and acknowledges once for them all. Acknowledgements are
     * aggregated in one line per socket: the initiator and each forwarder pay one transfer for a group, not one per
     * target. Follow with {@link #awaitRound}. Returns the number of CPUs interrupted.
     */
    protected final int startMulticastRound(Cpu initiator, FlushRequest request, CpuMask candidates, TargetFilter filter) {
        Round round = rounds[initiator.id()];
        int selected = 0;
        for (int id = candidates.nextSetBit(0); id >= 0 && id < cpus.length; id = candidates.nextSetBit(id + 1)) {
            Cpu target = cpus[id];
            if (target != initiator && filter.interrupt(initiator, target, request)) {
                round.targets[selected++] = id;
            }
        }
        if (selected == 0) {
            round.sent = 0;
            return 0;
        }
        round.request.copyFrom(request);
        round.multicast = true;
        // group by socket: direct targets on the initiator's socket, one forwarder per other socket, its children after it
        int direct = 0;
        int forwarders = 0;
        boolean localGroup = false;
        SocketRound[] groups = round.sockets();
        for (SocketRound g : groups) {
            g.children = 0;
            g.forwarder = -1;
        }
        for (int i = 0; i < selected; i++) {
            Cpu target = cpus[round.targets[i]];
            if (target.sameSocket(initiator)) {
                round.direct[direct++] = target.id();
                localGroup = true;
            } else {
                SocketRound g = groups[target.socket()];
                if (g.forwarder < 0) {
                    g.forwarder = target.id();
                    round.direct[direct++] = target.id();
                    forwarders++;
                } else {
                    g.targets[g.children++] = target.id();
                }
            }
        }
        round.sent = direct;
        initiator.charge((forwarders + (localGroup ? 1 : 0)) * initiator.costs().ipiSend);
        initiator.counters().add(CpuCounter.SHOOTDOWN_IPIS_SENT, selected);
        round.reachedOthers = true;
        round.arm(initiator, direct, true, initiator.clock(), true);
        for (int i = 0; i < direct; i++) {
            Cpu target = cpus[round.direct[i]];
            SocketRound group = target.sameSocket(initiator) ? null : groups[target.socket()];
            // a forwarder waits for its own targets inside its handler: only its own thread may run that
            boolean forwards = group != null && group.children > 0;
            // the round's fields above are written before the claim or the post that publishes them
            if (forwards) {
                target.post(round, initiator.interruptServicer());
            } else {
                target.deliver(round, initiator);
            }
        }
        return selected;
    }

    /**
     * Waits for every acknowledgement of the round ({@link IpiRound#awaitAcks}), then the initiator's clock
     * is at the latest acknowledgement's arrival (DESIGN.md §4).
     */
    protected final void awaitRound(Cpu initiator) {
        Round round = rounds[initiator.id()];
        if (round.sent != 0) {
            round.awaitAcks(initiator);
        }
    }

    /**
     * Ends a flush whose remote invalidations the initiator made itself, without interrupts (hw-broadcast's
     * TLBSYNC, didi): waits until every other CPU that {@code filter} chooses among {@code candidates} (null: every
     * CPU) has passed an access boundary, so that no access through an old entry is still in flight; on a
     * {@link FlushReason#TEARDOWN} also until every CPU that still has the space loaded has dropped it (only the CPU
     * itself can change what it has loaded); then runs {@code release} (null: nothing to release). Both rounds are
     * host-level handshakes: no IPI counted, no cycles charged.
     */
    protected final void completeWithoutInterrupts(Cpu initiator, FlushRequest request, CpuMask candidates,
                                                   TargetFilter filter, ReleaseAction release) {
        startRound(initiator, request, candidates, filter, false);
        awaitRound(initiator);
        if (request.reason() == FlushReason.TEARDOWN) {
            startRound(initiator, request, null, SPACE_LOADED, false);
            awaitRound(initiator);
        }
        if (release != null) {
            release.release(initiator);
        }
    }

    /**
     * One initiator's reusable shootdown round: the request and its targets; the timing is {@link IpiRound}'s.
     * {@code interrupted} sums the cycles the rounds of the current flush cost their targets. A multicast round
     * also holds one {@link SocketRound} per socket, the forwarder's round to the rest of that socket.
     */
    private static final class Round extends IpiRound {
        final AbstractShootdown strategy;
        final FlushRequest request = new FlushRequest();
        final int[] targets;
        final int[] direct;
        /** Null until the first multicast round (see {@link #sockets()}). */
        SocketRound[] sockets;
        final AtomicLong interrupted = new AtomicLong();
        int sent;
        boolean multicast;
        /** Owner only: whether the flush in progress reached another CPU. */
        boolean reachedOthers;

        Round(AbstractShootdown strategy, Cpu[] cpus) {
            this.strategy = strategy;
            this.targets = new int[cpus.length];
            this.direct = new int[cpus.length];
        }

        /**
         * The per-socket rounds, made on the first multicast (most strategies never need them); each holds at most
         * its socket's cores. Initiator only; the posts that follow publish them to the forwarders.
         */
        SocketRound[] sockets() {
            if (sockets == null) {
                int socketCount = 0;
                for (Cpu c : strategy.cpus) {
                    socketCount = Math.max(socketCount, c.socket() + 1);
                }
                int[] cores = new int[socketCount];
                for (Cpu c : strategy.cpus) {
                    cores[c.socket()]++;
                }
                SocketRound[] made = new SocketRound[socketCount];
                for (int s = 0; s < socketCount; s++) {
                    made[s] = new SocketRound(this, cores[s]);
                }
                sockets = made;
            }
            return sockets;
        }

        @Override
        protected long work(Cpu target, long startsAt) {
            long cycles = strategy.applyOnTarget(target, request);
            if (!multicast) {
                return cycles;
            }
            SocketRound group = sockets[target.socket()];
            if (group.forwarder != target.id() || group.children == 0) {
                return cycles;
            }
            // a forwarder: after its own flush, one IPI to the rest of its socket, then their aggregated acknowledgement
            cycles += target.costs().ipiSend;
            target.counters().increment(CpuCounter.SHOOTDOWN_FORWARDED);
            group.arm(target, group.children, true, startsAt + cycles, true);
            for (int i = 0; i < group.children; i++) {
                strategy.cpus[group.targets[i]].deliver(group, target);
            }
            // the wait is this handler's: its time is accounted by finishedAt, not by moving the clock here
            group.awaitAcks(target, false);
            return cycles;
        }

        @Override
        protected long finishedAt(Cpu target, long startsAt, long cycles) {
            long own = startsAt + cycles;
            if (!multicast) {
                return own;
            }
            SocketRound group = sockets[target.socket()];
            return group.forwarder == target.id() && group.children > 0 ? Math.max(own, group.acknowledgedAt()) : own;
        }

        @Override
        protected boolean acknowledgesOnReceipt() {
            return strategy.acknowledgesOnReceipt(request);
        }

        @Override
        protected void handled(Cpu target, long lost) {
            target.counters().increment(CpuCounter.SHOOTDOWN_IPIS_RECEIVED);
            target.counters().add(CpuCounter.MODELED_CYCLES_INTERRUPTED, lost);
            if (acknowledgesOnReceipt()) {
                target.counters().increment(CpuCounter.SHOOTDOWN_EARLY_ACKS);
            }
            // before the acknowledgement (IpiRound.handle decrements after this): the initiator reads it after its wait
            interrupted.addAndGet(lost);
        }
    }

    /** A multicast forwarder's round to the other targets on its socket; they flush what the parent round asks. */
    private static final class SocketRound extends IpiRound {
        final Round parent;
        final int[] targets;
        /** Written by the initiator before it posts the parent round. */
        int forwarder;
        int children;

        SocketRound(Round parent, int cpus) {
            this.parent = parent;
            this.targets = new int[cpus];
        }

        @Override
        protected long work(Cpu target, long startsAt) {
            return parent.strategy.applyOnTarget(target, parent.request);
        }

        @Override
        protected boolean acknowledgesOnReceipt() {
            return parent.acknowledgesOnReceipt();
        }

        @Override
        protected void handled(Cpu target, long lost) {
            parent.handled(target, lost);
        }
    }
}
