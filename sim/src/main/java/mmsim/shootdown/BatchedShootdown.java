package mmsim.shootdown;

import mmsim.cpu.Cpu;

/**
 * {@code batched}: Linux's arch_tlbbatch for reclaim and unmapping. However many ranges a kernel
 * operation unmaps, it makes one request per target CPU: the CPUs of the space's cpumask are
 * interrupted once, at the end, and each does one full flush of the space; the initiator sends its
 * interrupts first and flushes locally while they work.
 */
public final class BatchedShootdown extends AbstractShootdown {
    public BatchedShootdown(Cpu[] cpus, ShootdownStats stats) {
        super(cpus, stats);
    }

    @Override
    public String name() {
        return "batched";
    }

    @Override
    protected void doFlush(Cpu initiator, FlushRequest request, ReleaseAction release) {
        boolean single = !request.isAll() && request.ranges() == 1 && request.totalPages() <= FULL_FLUSH_CEILING;
        startRound(initiator, request, request.space().cpuMask(), EVERY_CANDIDATE);
        // the local flush overlaps the targets' work: the clock ends at the later of the two
        initiator.charge(flushLocal(initiator, request, single ? FULL_FLUSH_CEILING : 0));
        awaitRound(initiator);
        if (release != null) {
            release.release(initiator);
        }
    }

    @Override
    protected long applyOnTarget(Cpu target, FlushRequest request) {
        boolean single = !request.isAll() && request.ranges() == 1 && request.totalPages() <= FULL_FLUSH_CEILING;
        return flushLocal(target, request, single ? FULL_FLUSH_CEILING : 0);
    }
}
