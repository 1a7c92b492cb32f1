package mmsim.shootdown;

import java.util.concurrent.ConcurrentLinkedQueue;

import mmsim.cpu.Cpu;
import mmsim.paging.AddressSpace;

/**
 * A deliberately broken early acknowledgement, kept to prove the oracle draws early-ack's line: a target
 * acknowledges on receipt and leaves its flush for later (its next tick, switch or idle iteration), so it goes
 * back to the code it interrupted with the stale entries still in its TLB. {@code early-ack} acknowledges early
 * too, but flushes before the handler returns. Never use it outside tests.
 */
final class AcksBeforeFlushingShootdown extends AbstractShootdown {
    private final ConcurrentLinkedQueue<FlushRequest>[] later;

    @SuppressWarnings("unchecked")
    AcksBeforeFlushingShootdown(Cpu[] cpus, ShootdownStats stats) {
        super(cpus, stats);
        later = new ConcurrentLinkedQueue[cpus.length];
        for (int i = 0; i < cpus.length; i++) {
            later[i] = new ConcurrentLinkedQueue<>();
        }
    }

    @Override
    public String name() {
        return "broken-acks-before-flushing";
    }

    @Override
    protected void doFlush(Cpu initiator, FlushRequest request, ReleaseAction release) {
        initiator.charge(flushLocal(initiator, request, FULL_FLUSH_CEILING));
        startRound(initiator, request, request.space().cpuMask(), EVERY_CANDIDATE);
        awaitRound(initiator);
        if (release != null) {
            release.release(initiator);
        }
    }

    @Override
    protected long applyOnTarget(Cpu target, FlushRequest request) {
        if (request.freesPageTables()) {
            return flushLocal(target, request, FULL_FLUSH_CEILING);
        }
        FlushRequest copy = new FlushRequest();
        copy.copyFrom(request);
        later[target.id()].add(copy);   // acknowledged now, flushed "before returning to user mode" -- too late
        return 0;
    }

    private void applyLater(Cpu cpu) {
        FlushRequest r;
        while ((r = later[cpu.id()].poll()) != null) {
            cpu.charge(flushLocal(cpu, r, FULL_FLUSH_CEILING));
        }
    }

    @Override
    public void onTick(Cpu cpu) {
        applyLater(cpu);
    }

    @Override
    public void onSwitch(Cpu cpu, AddressSpace space) {
        applyLater(cpu);
    }

    @Override
    public void onIdle(Cpu cpu) {
        applyLater(cpu);
    }
}
