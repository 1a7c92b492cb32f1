package mmsim.shootdown;

import mmsim.cpu.Cpu;

/**
 * {@code early-ack}: Linux's algorithm ({@link LinuxShootdown}) with early acknowledgement (Amit, Tai and Wei,
 * "Don't shoot down TLB shootdowns!", EuroSys'20, section 4): a target acknowledges the interrupt on receipt and
 * flushes afterwards, so the initiator waits for delivery and the handler's entry, not for the targets' flushes.
 * It is safe because an interrupted CPU runs nothing through its TLB between the interrupt's entry and its
 * exit, and it flushes before it exits.
 *
 * <p>Where it is not safe, the acknowledgement still follows the flush, as in Linux: requests that free page
 * tables (a munmap or mremap that emptied tables, an on-demand fork's table copy, teardown). A CPU's page
 * walker may run speculatively at any time, also inside the handler, and walk a freed table that was already
 * reused, caching what it finds there; the paper keeps those flushes synchronous for that reason. (mmsim models
 * no speculative walks, so its oracle cannot see that hazard; it does see a target that acknowledged and went on
 * running before it flushed: {@code ShootdownContractTest} plants that bug and the oracle catches it.)
 *
 * <p>Modeled: each acknowledgement is timed at its target's handler entry ({@code IpiRound}); the target is still
 * charged its flush. On the host the target acknowledges after flushing; no simulated program can tell the
 * orders apart (see {@code IpiRound}).
 */
public final class EarlyAckShootdown extends LinuxShootdown {
    public EarlyAckShootdown(Cpu[] cpus, ShootdownStats stats) {
        super(cpus, stats);
    }

    @Override
    public String name() {
        return "early-ack";
    }

    @Override
    protected boolean acknowledgesOnReceipt(FlushRequest request) {
        return !request.freesPageTables();
    }
}
