package mmsim.shootdown;

import mmsim.cpu.Cpu;

/** The simple kernels' way: each range of a request is its own local flush and its own IPI round. */
final class PerRange {
    private PerRange() {
    }

    static long flushEachRange(AbstractShootdown strategy, Cpu initiator, FlushRequest request,
                               AbstractShootdown.TargetFilter filter) {
        if (request.isAll() || request.ranges() == 1) {
            return oneRound(strategy, initiator, request, filter);
        }
        FlushRequest one = new FlushRequest();
        long cycles = 0;
        for (int r = 0; r < request.ranges(); r++) {
            one.begin(request.space(), request.reason()).addRange(request.start(r), request.pages(r));
            cycles += oneRound(strategy, initiator, one, filter);
        }
        return cycles;
    }

    private static long oneRound(AbstractShootdown strategy, Cpu initiator, FlushRequest request,
                                 AbstractShootdown.TargetFilter filter) {
        long local = AbstractShootdown.flushLocal(initiator, request, AbstractShootdown.FULL_FLUSH_CEILING);
        strategy.startRound(initiator, request, filter);
        return local + strategy.awaitRound(initiator);
    }
}
