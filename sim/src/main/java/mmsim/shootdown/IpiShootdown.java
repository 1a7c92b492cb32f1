package mmsim.shootdown;

import java.util.concurrent.atomic.AtomicInteger;

import org.agrona.concurrent.BackoffIdleStrategy;

import mmsim.cpu.Cpu;
import mmsim.cpu.Interrupt;
import mmsim.paging.AddressSpace;
import mmsim.paging.CpuMask;
import mmsim.stats.CpuCounter;

/**
 * The synchronous IPI shootdown both {@code broadcast} and {@code targeted} use: flush locally, interrupt
 * the chosen CPUs, wait for every acknowledgement while servicing this CPU's own inbox.
 *
 * <p>Each initiating CPU owns one preallocated request (range + pending-ack counter); a CPU has at most
 * one shootdown in flight, since it waits for its acks before returning, so reuse is safe. Targets read
 * the range, flush, then acknowledge with a decrement (a release: their flush happens-before the
 * initiator sees the count reach zero).
 */
public abstract class IpiShootdown implements ShootdownStrategy {
    /** Partial flushes up to this many pages; beyond it a full flush is cheaper (Linux's tlb_single_page_flush_ceiling). */
    public static final int FULL_FLUSH_CEILING = 33;

    private final Request[] requests;
    private final Cpu[] cpus;

    protected IpiShootdown(Cpu[] cpus) {
        this.cpus = cpus.clone();
        this.requests = new Request[cpus.length];
        for (int i = 0; i < cpus.length; i++) {
            requests[i] = new Request();
        }
    }

    /** Whether {@code target} (not the initiator) must be interrupted for a flush of {@code space}. */
    protected abstract boolean mustInterrupt(Cpu target, AddressSpace space, CpuMask mask);

    @Override
    public final void flush(Cpu initiator, FlushRange range) {
        initiator.counters().increment(CpuCounter.SHOOTDOWNS);
        Request request = requests[initiator.id()];
        request.range.set(range.space, range.start, range.pages, range.reason);
        request.range.asid = range.asid;
        AddressSpace space = range.space;
        CpuMask mask = space.cpuMask();
        int sent = 0;
        request.pending.set(1);  // held by the initiator until every post is out, so no target sees zero early
        for (Cpu target : cpus) {
            if (target != initiator && mustInterrupt(target, space, mask)) {
                request.pending.incrementAndGet();
                target.post(request, initiator::serviceInterrupts);
                sent++;
            }
        }
        flushLocal(initiator, request.range);
        request.pending.decrementAndGet();
        if (sent > 0) {
            initiator.counters().add(CpuCounter.SHOOTDOWN_IPIS_SENT, sent);
            BackoffIdleStrategy idle = request.idle;
            idle.reset();
            // acquire (volatile read): the targets' flushes happen-before the initiator continues
            while (request.pending.get() != 0) {
                idle.idle(initiator.serviceInterrupts());
            }
        }
    }

    /** Applies {@code range} to {@code cpu}'s own TLB. Runs on {@code cpu}'s thread. */
    static void flushLocal(Cpu cpu, FlushRange range) {
        AddressSpace space = range.space;
        boolean loaded = cpu.loadedSpace() == space;
        if (!loaded && !cpu.asidTagged()) {
            return;  // untagged entries of a space that is not loaded were flushed when it was switched out
        }
        if (range.isAll() || range.pages > FULL_FLUSH_CEILING) {
            cpu.flushAsid(range.asid);
        } else {
            long va = range.start;
            for (long i = 0; i < range.pages; i++, va += 4096) {
                cpu.invalidatePage(range.asid, va);
            }
        }
        if (range.reason == FlushReason.TEARDOWN && loaded) {
            cpu.switchAddressSpace(null);
        }
        if (range.reason == FlushReason.TEARDOWN) {
            space.cpuMask().clear(cpu.id());
        }
    }

    private static final class Request implements Interrupt {
        final FlushRange range = new FlushRange();
        final AtomicInteger pending = new AtomicInteger();
        final BackoffIdleStrategy idle = new BackoffIdleStrategy(100, 10, 1_000, 50_000);

        @Override
        public void handle(Cpu cpu) {
            cpu.counters().increment(CpuCounter.SHOOTDOWN_IPIS_RECEIVED);
            flushLocal(cpu, range);
            pending.decrementAndGet();
        }
    }
}
