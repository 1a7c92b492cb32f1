package mmsim.check;

import java.util.ArrayList;
import java.util.List;

import mmsim.cpu.Cpu;
import mmsim.cpu.TranslationChecker;
import mmsim.paging.AddressSpace;
import mmsim.paging.PageTable;
import mmsim.paging.Pte;
import mmsim.stats.CpuCounter;

/**
 * Checking mode's stale-translation oracle (invariants 2, 5 and 6). On every TLB hit it re-walks the
 * page table: a hit that disagrees with it (the entry's frame is no longer mapped there, or a store goes
 * through an entry whose page is no longer writable) on a page that no in-flight downgrade covers is a
 * translation that a completed shootdown should have removed: a violation.
 *
 * <p>Why no false alarms: the kernel marks the pages of a downgrade in flight
 * ({@link AddressSpace#beginDowngrade}) before it changes an entry, and ends it only after the shootdown
 * completed and the frames were released. A CPU that sees the new entry therefore sees the mark too,
 * unless the shootdown completed without it — which, since this CPU is mid-access and has not
 * acknowledged anything, means it was skipped. The exemption is per page range, not per address space:
 * a busy process nearly always has some downgrade in flight, and a stale hit on any other page is caught
 * at once.
 *
 * <p>Lazy windows (LATR's deferred munmap) end only when every CPU applied them, so hits inside them are
 * not violations; those that happen after the munmap call already returned are what the strategy relaxes
 * relative to Linux (an access to a range another thread already unmapped), and are counted as
 * {@link CpuCounter#ORACLE_LAZY_HITS}.
 */
public final class StaleTranslationOracle implements TranslationChecker {
    private static final int KEPT = 16;

    private final PageTable pageTable;
    private final boolean failFast;
    private final List<String> firstViolations = new ArrayList<>();

    public StaleTranslationOracle(PageTable pageTable, boolean failFast) {
        this.pageTable = pageTable;
        this.failFast = failFast;
    }

    @Override
    public void onHit(Cpu cpu, long va, boolean write, int frame) {
        AddressSpace space = cpu.loadedSpace();
        if (space == null) {
            return;
        }
        long pte = pageTable.walk(space.root(), va);
        boolean agrees = Pte.isPresent(pte) && Pte.frame(pte) == frame && (!write || Pte.isWritable(pte));
        if (agrees) {
            return;
        }
        AddressSpace.Downgrade inFlight = space.downgradeCovering(va);
        if (inFlight != null) {
            if (inFlight.deferredPastReturn()) {
                cpu.counters().increment(CpuCounter.ORACLE_LAZY_HITS);
            }
            return;
        }
        cpu.counters().increment(CpuCounter.ORACLE_STALE_HITS);
        String what = "stale translation: cpu " + cpu.id() + " " + (write ? "stored to" : "loaded from") + " 0x"
                + Long.toHexString(va) + " through frame " + frame + " of space " + space.id()
                + ", but the page table says " + Pte.toString(pte);
        synchronized (firstViolations) {
            if (firstViolations.size() < KEPT) {
                firstViolations.add(what);
            }
        }
        if (failFast) {
            throw new StaleTranslationError(what);
        }
    }

    /** The first violations seen (at most 16), as readable sentences. */
    public List<String> violations() {
        synchronized (firstViolations) {
            return List.copyOf(firstViolations);
        }
    }

    /** Thrown in fail-fast mode. An Error: it must not be mistaken for a workload's own exception. */
    public static final class StaleTranslationError extends Error {
        public StaleTranslationError(String message) {
            super(message);
        }
    }
}
