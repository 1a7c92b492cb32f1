package mmsim.shootdown;

import mmsim.cpu.Cpu;

/**
 * {@code targeted}: flush locally, then interrupt only the CPUs in the space's cpumask, one round per
 * range, and wait (KeOS v1.1, OS161).
 */
public final class TargetedShootdown extends AbstractShootdown {
    public TargetedShootdown(Cpu[] cpus, ShootdownStats stats) {
        super(cpus, stats);
    }

    @Override
    public String name() {
        return "targeted";
    }

    @Override
    protected void doFlush(Cpu initiator, FlushRequest request, ReleaseAction release) {
        PerRange.flushEachRange(this, initiator, request, request.space().cpuMask(), EVERY_CANDIDATE);
        if (release != null) {
            release.release(initiator);
        }
    }
}
