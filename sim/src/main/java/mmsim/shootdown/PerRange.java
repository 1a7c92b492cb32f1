package mmsim.shootdown;

import mmsim.cpu.Cpu;

/** The simple kernels' way: each range of a request is its own local flush and its own IPI round. */
final class PerRange {
    private PerRange() {
    }

    /** {@code candidates}: the CPUs a round may reach (null: every CPU); {@code filter} chooses among them. */
    static void flushEachRange(AbstractShootdown strategy, Cpu initiator, FlushRequest request,
                               mmsim.paging.CpuMask candidates, AbstractShootdown.TargetFilter filter) {
        if (request.isAll() || request.ranges() == 1) {
            oneRound(strategy, initiator, request, candidates, filter);
            return;
        }
        FlushRequest one = strategy.oneRange(initiator);
        for (int r = 0; r < request.ranges(); r++) {
            one.begin(request.space(), request.reason()).addRange(request.start(r), request.pages(r));
            oneRound(strategy, initiator, one, candidates, filter);
        }
    }

    /** Local flush first, then the round: these kernels do not overlap the two. */
    private static void oneRound(AbstractShootdown strategy, Cpu initiator, FlushRequest request,
                                 mmsim.paging.CpuMask candidates, AbstractShootdown.TargetFilter filter) {
        initiator.charge(AbstractShootdown.flushLocal(initiator, request, AbstractShootdown.FULL_FLUSH_CEILING));
        strategy.startRound(initiator, request, candidates, filter, true);
        strategy.awaitRound(initiator);
    }
}
