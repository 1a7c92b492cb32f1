package mmsim.shootdown;

import mmsim.cpu.Cpu;

/** The simple kernels' way: each range of a request is its own local flush and its own IPI round. */
final class PerRange {
    private PerRange() {
    }

    static void flushEachRange(AbstractShootdown strategy, Cpu initiator, FlushRequest request,
                               AbstractShootdown.TargetFilter filter) {
        if (request.isAll() || request.ranges() == 1) {
            oneRound(strategy, initiator, request, filter);
            return;
        }
        FlushRequest one = new FlushRequest();
        for (int r = 0; r < request.ranges(); r++) {
            one.begin(request.space(), request.reason()).addRange(request.start(r), request.pages(r));
            oneRound(strategy, initiator, one, filter);
        }
    }

    /** Local flush first, then the round: these kernels do not overlap the two. */
    private static void oneRound(AbstractShootdown strategy, Cpu initiator, FlushRequest request,
                                 AbstractShootdown.TargetFilter filter) {
        initiator.charge(AbstractShootdown.flushLocal(initiator, request, AbstractShootdown.FULL_FLUSH_CEILING));
        strategy.startRound(initiator, request, filter);
        strategy.awaitRound(initiator);
    }
}
