package mmsim.shootdown;

import mmsim.cpu.Cpu;

/**
 * A deliberately broken strategy, kept to prove the oracle can fail: like {@code targeted}, but it never
 * interrupts the lowest-numbered target CPU. Never use it outside tests.
 */
final class SkipsOneTargetShootdown extends AbstractShootdown {
    SkipsOneTargetShootdown(Cpu[] cpus, ShootdownStats stats) {
        super(cpus, stats);
    }

    @Override
    public String name() {
        return "broken-skips-one-target";
    }

    @Override
    protected void doFlush(Cpu initiator, FlushRequest request, ReleaseAction release) {
        int skipped = -1;
        for (Cpu c : cpus) {
            if (c != initiator && request.space().cpuMask().contains(c.id())) {
                skipped = c.id();
                break;
            }
        }
        final int skip = skipped;
        initiator.charge(flushLocal(initiator, request, FULL_FLUSH_CEILING));
        startRound(initiator, request, (from, t, r) -> t.id() != skip && r.space().cpuMask().contains(t.id()));
        awaitRound(initiator);
        if (release != null) {
            release.release(initiator);
        }
    }
}
