package mmsim.shootdown;

import mmsim.cpu.Cpu;
import mmsim.mem.PhysicalMemory;
import mmsim.stats.CpuCounter;

/**
 * {@code hw-broadcast}: like AMD's INVLPGB + TLBSYNC or ARM's TLBI ... IS. The initiator invalidates
 * the entries in the other CPUs' TLBs itself, without interrupting them, then waits for completion.
 *
 * <p>Safety against the owners' concurrent lookups: {@link mmsim.cpu.Tlb#remoteInvalidatePage} brackets
 * the invalidation with two increments of the TLB's invalidation epoch (odd while it runs), and an owner
 * that filled an entry (from a walk, or from its L2) re-checks the epoch afterwards and drops the entry if
 * it moved or was odd: the fill may hold what the invalidation meant to remove. TLBSYNC's
 * completion guarantee — accesses through the old translation have finished — is modelled by waiting
 * until each target CPU passes an access boundary (an acknowledgement with no flush work and no
 * modeled interrupt cost); an idle CPU passes one at once.
 *
 * <p>Modeled cost to the initiator: its local flush, one {@code cost.invlpgb} per range, one {@code cost.tlbsync},
 * and when any invalidated CPU is on another socket the extra of one cross-socket line transfer
 * ({@code cost.ipi_ack_remote - cost.ipi_ack}) for the completion that crosses the interconnect.
 */
public final class HardwareBroadcastShootdown extends AbstractShootdown {
    public HardwareBroadcastShootdown(Cpu[] cpus, ShootdownStats stats) {
        super(cpus, stats);
        for (Cpu cpu : cpus) {
            cpu.tlb().enableRemoteInvalidation();
        }
    }

    @Override
    public String name() {
        return "hw-broadcast";
    }

    @Override
    protected void doFlush(Cpu initiator, FlushRequest request, ReleaseAction release) {
        long cycles = flushLocal(initiator, request, FULL_FLUSH_CEILING);
        int invalidated = 0;
        boolean crossesSockets = false;
        mmsim.paging.CpuMask mask = request.space().cpuMask();
        for (int id = mask.nextSetBit(0); id >= 0 && id < cpus.length; id = mask.nextSetBit(id + 1)) {
            Cpu target = cpus[id];
            if (target == initiator) {
                continue;
            }
            invalidated++;
            crossesSockets |= !initiator.sameSocket(target);
            invalidateRemotely(target, request);
        }
        initiator.counters().add(CpuCounter.SHOOTDOWN_REMOTE_INVALIDATIONS, invalidated);
        if (invalidated > 0) {
            reachedOthers(initiator);
            int ranges = request.isAll() ? 1 : request.ranges();
            cycles += ranges * initiator.costs().invlpgb + initiator.costs().tlbsync;
            if (crossesSockets) {
                // TLBSYNC's completion comes back across the interconnect: one cross-socket line transfer more
                cycles += initiator.costs().ipiAckRemote - initiator.costs().ipiAck;
            }
        }
        initiator.charge(cycles);
        // TLBSYNC: every target has passed an access boundary, so no access through an old entry is in flight
        completeWithoutInterrupts(initiator, request, request.space().cpuMask(), EVERY_CANDIDATE, release);
    }

    @Override
    protected long applyOnTarget(Cpu target, FlushRequest request) {
        return unloadOnTeardown(target, request);
    }

    /**
     * Removes {@code request}'s translations from {@code target}'s TLB from another CPU, without interrupting it:
     * page by page up to the ceiling, else the whole ASID. Safe against the target's concurrent fills (see the
     * class comment). Runs on the initiator.
     */
    static void invalidateRemotely(Cpu target, FlushRequest request) {
        if (request.isAll() || request.totalPages() > FULL_FLUSH_CEILING) {
            target.tlb().remoteInvalidateAsid(target.asidTagged() ? request.asid() : 0);
        } else {
            for (int r = 0; r < request.ranges(); r++) {
                long va = request.start(r);
                for (long i = 0; i < request.pages(r); i++, va += PhysicalMemory.PAGE_SIZE) {
                    target.tlb().remoteInvalidatePage(target.asidTagged() ? request.asid() : 0,
                            va >>> PhysicalMemory.PAGE_SHIFT);
                }
            }
        }
    }

    /** A completion handshake's work on {@code target}: at teardown, a CPU that still has the space loaded drops it. Returns 0 cycles. */
    static long unloadOnTeardown(Cpu target, FlushRequest request) {
        if (request.reason() == FlushReason.TEARDOWN && target.loadedSpace() == request.space()) {
            flushLocal(target, request, 0);
        }
        return 0;
    }
}
