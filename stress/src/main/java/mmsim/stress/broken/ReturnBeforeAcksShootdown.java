package mmsim.stress.broken;

import mmsim.cpu.Cpu;
import mmsim.shootdown.AbstractShootdown;
import mmsim.shootdown.FlushRequest;
import mmsim.shootdown.ReleaseAction;
import mmsim.shootdown.ShootdownStats;

/**
 * BROKEN: the {@code targeted} strategy without its wait. It flushes locally and interrupts every CPU in the
 * space's cpumask, then returns (and runs the release) before the targets have acknowledged, so a target
 * may still translate through its old entry after flush returned.
 */
public final class ReturnBeforeAcksShootdown extends AbstractShootdown {
    public ReturnBeforeAcksShootdown(Cpu[] cpus, ShootdownStats stats) {
        super(cpus, stats);
    }

    @Override
    public String name() {
        return "broken-return-before-acks";
    }

    @Override
    protected void doFlush(Cpu initiator, FlushRequest request, ReleaseAction release) {
        initiator.charge(flushLocal(initiator, request, FULL_FLUSH_CEILING));
        startRound(initiator, request, (from, target, r) -> r.space().cpuMask().contains(target.id()));
        // BROKEN: no awaitRound: the IPIs are out, none is acknowledged yet
        if (release != null) {
            release.release(initiator);
        }
    }
}
