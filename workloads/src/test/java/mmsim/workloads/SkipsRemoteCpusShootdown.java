package mmsim.workloads;

import mmsim.cpu.Cpu;
import mmsim.shootdown.AbstractShootdown;
import mmsim.shootdown.FlushRequest;
import mmsim.shootdown.ReleaseAction;
import mmsim.shootdown.ShootdownStats;

/**
 * A deliberately broken strategy, kept to prove the workloads' checks can fail: it flushes the initiating
 * CPU's TLB and frees the released frames at once, but never interrupts another CPU, so their cached
 * translations outlive every munmap, mprotect and madvise. Never use it outside tests.
 */
final class SkipsRemoteCpusShootdown extends AbstractShootdown {
    SkipsRemoteCpusShootdown(Cpu[] cpus, ShootdownStats stats) {
        super(cpus, stats);
    }

    @Override
    public String name() {
        return "broken-skips-remote-cpus";
    }

    @Override
    protected void doFlush(Cpu initiator, FlushRequest request, ReleaseAction release) {
        initiator.charge(flushLocal(initiator, request, FULL_FLUSH_CEILING));
        if (release != null) {
            release.release(initiator);
        }
    }
}
