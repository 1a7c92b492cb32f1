package mmsim.shootdown;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.jctools.queues.MpscArrayQueue;

import mmsim.cpu.Cpu;
import mmsim.stats.CpuCounter;

/**
 * {@code latr}: lazy translation coherence (Kumar et al., ASPLOS'18). For munmap no interrupt is sent:
 * the initiator flushes locally and posts the range to a lazy queue of every other CPU in the cpumask;
 * each CPU applies its queue at its next tick, context switch or idle iteration. The frames are
 * released, and the virtual range may be mapped again (the kernel quarantines it), only when the last
 * of those CPUs has applied it, as the paper does: a stale translation may be used during that window
 * but never reaches a reused frame or a new mapping at the same address. Page tables the munmap emptied
 * are freed with its frames: a CPU applies its queue only at an interrupt boundary, never inside a walk.
 * mremap's shrink is a munmap of the tail and is deferred the same way.
 *
 * <p>Under memory pressure the lazy window closes early: an allocation that finds no free frame has
 * every CPU apply its queue at once ({@link #applyDeferred}, the kernel's reclaim) and retries, so the
 * frames a returned munmap freed are there for it rather than behind queues the next ticks would apply.
 *
 * <p>What this relaxes relative to Linux: until every CPU has reconciled, a thread that still accesses
 * a range another thread unmapped (a program bug Linux answers with SIGSEGV) may read or write the old
 * frame. Everything a returned system call promised a correctly synchronised program holds.
 *
 * <p>Synchronous (IPIs, waiting for every acknowledgement): permission downgrades (fork, mprotect,
 * COW), which cannot wait, and madvise(DONTNEED), whose range stays mapped and must read zero at the
 * next touch from any thread, so no deferral can keep its promise; mremap's move and MAP_FIXED's
 * replacement ({@link FlushReason#REMAP}), whose frames (now mapped at the new addresses) or addresses
 * (mapped again at once) are in use again when the call returns, so a stale translation would reach live
 * memory; also any request meeting a full queue.
 */
public final class LatrShootdown extends AbstractShootdown {
    /** Lazy invalidations a CPU's queue holds; a full queue falls back to an IPI. */
    public static final int QUEUE_CAPACITY = 64;

    private final MpscArrayQueue<LazyInvalidation>[] queues;
    private final AtomicLong outstanding = new AtomicLong();

    @SuppressWarnings("unchecked")
    public LatrShootdown(Cpu[] cpus, ShootdownStats stats) {
        super(cpus, stats);
        this.queues = new MpscArrayQueue[cpus.length];
        for (int i = 0; i < cpus.length; i++) {
            queues[i] = new MpscArrayQueue<>(QUEUE_CAPACITY);
        }
    }

    @Override
    public String name() {
        return "latr";
    }

    @Override
    protected void doFlush(Cpu initiator, FlushRequest request, ReleaseAction release) {
        FlushReason reason = request.reason();
        if (reason != FlushReason.MUNMAP) {
            initiator.charge(flushLocal(initiator, request, FULL_FLUSH_CEILING));
            startRound(initiator, request, request.space().cpuMask(), EVERY_CANDIDATE);
            awaitRound(initiator);
            if (release != null) {
                release.release(initiator);
            }
            return;
        }
        initiator.charge(flushLocal(initiator, request, FULL_FLUSH_CEILING));
        LazyInvalidation lazy = new LazyInvalidation(request, release);
        lazy.remaining.set(1);  // held by the initiator until every post is out
        outstanding.incrementAndGet();
        boolean[] fellBack = new boolean[cpus.length];
        int fallbacks = 0;
        mmsim.paging.CpuMask mask = request.space().cpuMask();
        for (int id = mask.nextSetBit(0); id >= 0 && id < cpus.length; id = mask.nextSetBit(id + 1)) {
            Cpu target = cpus[id];
            if (target == initiator) {
                continue;
            }
            lazy.remaining.incrementAndGet();
            if (queues[target.id()].offer(lazy)) {
                initiator.counters().increment(CpuCounter.SHOOTDOWN_LAZY_POSTED);
                reachedOthers(initiator);
                initiator.charge(initiator.sameSocket(target) ? initiator.costs().lazyPost : initiator.costs().lazyPostRemote);
            } else {
                lazy.remaining.decrementAndGet();
                fellBack[target.id()] = true;
                fallbacks++;
            }
        }
        if (fallbacks > 0) {
            startRound(initiator, request, (from, target, posted) -> fellBack[target.id()]);
            awaitRound(initiator);
        }
        lazy.done(initiator, outstanding);
    }

    @Override
    public void onTick(Cpu cpu) {
        applyQueue(cpu);
    }

    @Override
    public void onSwitch(Cpu cpu, mmsim.paging.AddressSpace space) {
        applyQueue(cpu);
    }

    @Override
    public void onIdle(Cpu cpu) {
        applyQueue(cpu);
    }

    @Override
    public boolean hasDeferredWork() {
        return outstanding.get() != 0;
    }

    @Override
    public boolean hasDeferredWork(Cpu cpu) {
        return !queues[cpu.id()].isEmpty();
    }

    @Override
    public void applyDeferred(Cpu cpu) {
        applyQueue(cpu);
    }

    /** Applies every lazy invalidation queued for {@code cpu}. Runs on {@code cpu}, its queue's one consumer. */
    private void applyQueue(Cpu cpu) {
        MpscArrayQueue<LazyInvalidation> q = queues[cpu.id()];
        LazyInvalidation lazy;
        while ((lazy = q.relaxedPoll()) != null) {
            long cycles = flushLocal(cpu, lazy.request, FULL_FLUSH_CEILING);
            cpu.charge(cycles);
            cpu.counters().increment(CpuCounter.SHOOTDOWN_LAZY_APPLIED);
            lazy.done(cpu, outstanding);
        }
    }

    /** One munmap's deferred invalidation: a private copy of the request and the frees waiting on it. */
    private static final class LazyInvalidation {
        final FlushRequest request = new FlushRequest();
        final ReleaseAction release;
        final AtomicInteger remaining = new AtomicInteger();

        LazyInvalidation(FlushRequest source, ReleaseAction release) {
            request.copyFrom(source);
            this.release = release;
        }

        /** One CPU has applied it (or the initiator finished posting); the last runs the release. */
        void done(Cpu cpu, AtomicLong outstanding) {
            // acq_rel: every CPU's flush happens-before the release that frees the frames
            if (remaining.decrementAndGet() == 0) {
                if (release != null) {
                    release.release(cpu);
                }
                outstanding.decrementAndGet();
            }
        }
    }
}
