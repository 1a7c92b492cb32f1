package mmsim.shootdown;

import mmsim.cpu.Cpu;

/**
 * {@code broadcast}: flush locally, then interrupt every other CPU, whatever it runs, one round per
 * range of the request, and wait for all (early SMP kernels).
 */
public final class BroadcastShootdown extends AbstractShootdown {
    public BroadcastShootdown(Cpu[] cpus, ShootdownStats stats) {
        super(cpus, stats);
    }

    @Override
    public String name() {
        return "broadcast";
    }

    /** Every other CPU of the machine is interrupted, whatever the cpumask. */
    @Override
    protected boolean mayReachOthers(Cpu initiator, FlushRequest request) {
        return cpus.length > 1;
    }

    @Override
    protected void doFlush(Cpu initiator, FlushRequest request, ReleaseAction release) {
        PerRange.flushEachRange(this, initiator, request, null, EVERY_CANDIDATE);
        if (release != null) {
            release.release(initiator);
        }
    }
}
