package mmsim.shootdown;

import java.util.Arrays;

import mmsim.cpu.Cpu;
import mmsim.paging.CpuMask;
import mmsim.paging.PageTable;
import mmsim.stats.CpuCounter;

/**
 * {@code abis}: Linux's algorithm ({@link LinuxShootdown}) with page access tracking (Amit, "Optimizing the TLB
 * shootdown algorithm with page access tracking", USENIX ATC'17). Per last-level entry, the strategy knows which
 * CPUs may have cached its translation, and interrupts only those:
 * <ul>
 *   <li>an entry no CPU walked since its table was set up was never cached (x86 sets the accessed bit before it
 *       caches a translation, and the walk that sets it is what mmsim tracks): no CPU is interrupted for it;</li>
 *   <li>an entry only one CPU walked is private to it: only that CPU may hold it;</li>
 *   <li>otherwise the entry is shared, and the flush falls back to the cpumask, as Linux.</li>
 * </ul>
 * A flush with no other possible holder is a local flush: no shootdown reaches another CPU. The strategy falls back
 * to the cpumask whenever it is unsure: a request beyond the 33-page ceiling or of the whole space, and requests
 * that free page tables (every CPU that may walk them must be reached).
 *
 * <p>How mmsim learns who cached an entry: the {@link TranslationDirectory} records each CPU whose walk read the
 * entry; abis uses only whether that set is empty, one CPU or more (the paper's private/shared detection),
 * where didi uses the whole set. The paper gets the same knowledge in software, from accessed bits it clears and
 * re-reads and from the page-table pages' sharing; mmsim charges each page's check one {@code cost.pte_update}
 * and does not model the accessed-bit clearing the paper pays on other paths. Records only grow, so a CPU that
 * dropped the translation meanwhile is still interrupted: never fewer targets than needed.
 */
public final class AbisShootdown extends LinuxShootdown {
    private final TranslationDirectory directory;
    private final PageTable pageTable;
    /** Per initiator: the possible holders of its flush in progress, and whether they are known. Owner only. */
    private final long[][] holders;
    private final boolean[] known;

    public AbisShootdown(Cpu[] cpus, ShootdownStats stats) {
        super(cpus, stats);
        this.pageTable = cpus[0].mmu().pageTable();
        this.directory = new TranslationDirectory(cpus.length, pageTable.frames());
        directory.attach(cpus);
        this.holders = new long[cpus.length][directory.words()];
        this.known = new boolean[cpus.length];
    }

    @Override
    public String name() {
        return "abis";
    }

    @Override
    protected void prepareTargets(Cpu initiator, FlushRequest request, boolean reachesAll) {
        int me = initiator.id();
        known[me] = false;
        if (reachesAll || request.isAll() || request.totalPages() > FULL_FLUSH_CEILING) {
            return;  // unsure: the cpumask
        }
        long[] set = holders[me];
        Arrays.fill(set, 0);
        int looked = directory.addHoldersOfRange(pageTable, request, set);
        if (looked < 0) {
            return;
        }
        initiator.counters().add(CpuCounter.SHOOTDOWN_DIRECTORY_LOOKUPS, looked);
        initiator.charge(looked * initiator.costs().pteUpdate);
        // private/shared: more than one other possible holder is "shared", and the cpumask decides
        int others = 0;
        for (int w = 0; w < set.length; w++) {
            long bits = w == (me >>> 6) ? set[w] & ~(1L << (me & 63)) : set[w];
            others += Long.bitCount(bits);
        }
        if (others > 1) {
            return;
        }
        known[me] = true;
        CpuMask mask = request.space().cpuMask();
        int skipped = 0;
        for (int id = mask.nextSetBit(0); id >= 0 && id < cpus.length; id = mask.nextSetBit(id + 1)) {
            if (id != me && !cpus[id].isLazy() && !TranslationDirectory.contains(set, id)) {
                skipped++;
            }
        }
        initiator.counters().add(CpuCounter.SHOOTDOWN_TRACKING_SKIPPED, skipped);
    }

    @Override
    protected boolean mayHold(Cpu initiator, Cpu target, FlushRequest request) {
        int me = initiator.id();
        return !known[me] || TranslationDirectory.contains(holders[me], target.id());
    }
}
