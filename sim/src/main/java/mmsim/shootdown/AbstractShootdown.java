package mmsim.shootdown;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import mmsim.cpu.Cpu;
import mmsim.cpu.Interrupt;
import mmsim.mem.PhysicalMemory;
import mmsim.paging.AddressSpace;
import mmsim.stats.CostModel;
import mmsim.stats.CpuCounter;

/**
 * What every strategy shares: the per-reason counters, host and modeled latency recording, the local
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

    protected AbstractShootdown(Cpu[] cpus, ShootdownStats stats) {
        this.cpus = cpus.clone();
        this.stats = stats;
        this.rounds = new Round[cpus.length];
        for (int i = 0; i < cpus.length; i++) {
            rounds[i] = new Round(this);
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
        long start = System.nanoTime();
        long cycles = doFlush(initiator, request, release);
        initiator.counters().add(CpuCounter.MODELED_CYCLES, cycles);
        stats.record(initiator.id(), cycles, System.nanoTime() - start);
    }

    /**
     * The strategy itself. Runs {@code release} (if not null) when safe, now or later. Returns the
     * modeled cycles the initiator spends.
     */
    protected abstract long doFlush(Cpu initiator, FlushRequest request, ReleaseAction release);

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
                cycles += CostModel.FULL_FLUSH;
            } else {
                for (int r = 0; r < request.ranges(); r++) {
                    long va = request.start(r);
                    for (long i = 0; i < request.pages(r); i++, va += PhysicalMemory.PAGE_SIZE) {
                        cpu.invalidatePage(request.asid(), va);
                        cycles += CostModel.INVLPG;
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

    /** Chooses the targets of an IPI round. */
    @FunctionalInterface
    protected interface TargetFilter {
        boolean interrupt(Cpu target);
    }

    /**
     * Posts {@code request} to every other CPU that {@code filter} chooses. Follow with
     * {@link #awaitRound}. Returns the number of targets.
     */
    protected final int startRound(Cpu initiator, FlushRequest request, TargetFilter filter) {
        return startRound(initiator, request, filter, true);
    }

    /**
     * {@link #startRound(Cpu, FlushRequest, TargetFilter)}, where {@code interrupt} false makes the round a
     * host-level handshake that models no interrupt (no IPI counted, no cycles charged to the targets).
     */
    protected final int startRound(Cpu initiator, FlushRequest request, TargetFilter filter, boolean interrupt) {
        Round round = rounds[initiator.id()];
        int sent = 0;
        for (Cpu target : cpus) {
            if (target == initiator || !filter.interrupt(target)) {
                continue;
            }
            if (sent == 0) {
                // set up lazily: a flush that reaches no other CPU (a single-threaded process) costs nothing more
                round.request.copyFrom(request);
                round.modeled = interrupt;
                round.initiatorThread = Thread.currentThread();
                round.slowestTarget.set(0);
                round.pending.set(1);  // held until every post is out, so the count cannot reach zero early
            }
            round.pending.incrementAndGet();
            target.post(round, initiator.interruptServicer());
            sent++;
        }
        if (sent > 0) {
            round.pending.decrementAndGet();
            if (interrupt) {
                initiator.counters().add(CpuCounter.SHOOTDOWN_IPIS_SENT, sent);
            }
        }
        round.sent = sent;
        return sent;
    }

    /**
     * Waits for every acknowledgement of the round, servicing this CPU's inbox. Returns the modeled
     * cycles from the first send to the last ack (0 without targets).
     */
    protected final long awaitRound(Cpu initiator) {
        Round round = rounds[initiator.id()];
        if (round.sent == 0) {
            return 0;
        }
        int spins = 0;
        // acquire (volatile read): the targets' flushes happen-before the initiator continues
        while (round.pending.get() != 0) {
            int work = initiator.serviceInterrupts();
            if (work > 0 || ++spins < 200) {
                Thread.onSpinWait();
            } else {
                initiator.setSleeper(Thread.currentThread());
                if (round.pending.get() != 0 && !initiator.interruptPending()) {
                    LockSupport.parkNanos(this, 50_000);
                }
                initiator.setSleeper(null);
            }
        }
        if (!round.modeled) {
            return 0;
        }
        return round.sent * CostModel.IPI_SEND + CostModel.IPI_DELIVERY + CostModel.IPI_HANDLER
                + round.slowestTarget.get() + CostModel.IPI_ACK;
    }

    /** One initiator's reusable interrupt: the request, the pending-ack count, the slowest target's cost. */
    private static final class Round implements Interrupt {
        final AbstractShootdown strategy;
        final FlushRequest request = new FlushRequest();
        final AtomicInteger pending = new AtomicInteger();
        final AtomicLong slowestTarget = new AtomicLong();
        volatile Thread initiatorThread;
        int sent;
        /** Written before the posts that publish it. */
        boolean modeled;

        Round(AbstractShootdown strategy) {
            this.strategy = strategy;
        }

        @Override
        public void handle(Cpu cpu) {
            long cycles = strategy.applyOnTarget(cpu, request);
            if (modeled) {
                cpu.counters().increment(CpuCounter.SHOOTDOWN_IPIS_RECEIVED);
                long lost = CostModel.IPI_HANDLER + cycles + CostModel.IPI_ACK;
                cpu.counters().add(CpuCounter.MODELED_CYCLES, lost);
                cpu.counters().add(CpuCounter.MODELED_CYCLES_INTERRUPTED, lost);
            }
            slowestTarget.accumulateAndGet(cycles, Math::max);
            Thread waiter = initiatorThread;
            // release: this CPU's flush happens-before the initiator sees the count drop
            if (pending.decrementAndGet() == 0 && waiter != null) {
                LockSupport.unpark(waiter);
            }
        }
    }
}
