package mmsim.shootdown;

import java.util.Arrays;

import mmsim.cpu.Cpu;
import mmsim.paging.PageTable;
import mmsim.stats.CpuCounter;

/**
 * {@code didi}: a shared TLB directory (Villavieja et al., "DiDi: Mitigating the performance impact of TLB
 * shootdowns using a shared TLB directory", PACT'11). Hardware beside the shared cache records, per page-table
 * entry, which cores' TLBs may hold its translation ({@link TranslationDirectory}: every walk that reads the entry
 * registers its CPU). A flush goes to the directory, which sends an invalidation only to those cores' TLBs and
 * collects their completions, in hardware: no core is interrupted, and cores that never cached the translation
 * get no message.
 *
 * <p>Modeled cost to the initiator: its local flush, one {@code cost.directory_lookup} per page, then the
 * slowest sharer's round trip from the directory (two line transfers, {@code cost.ipi_ack} within a socket,
 * {@code cost.ipi_ack_remote} across). Sharers are charged nothing. Beyond the 33-page ceiling, for the whole
 * space, and for requests that free page tables, the directory cannot name the sharers of one entry and the
 * invalidation goes to every CPU of the cpumask (a full flush of the ASID there), costing one lookup and the
 * slowest of those round trips.
 *
 * <p>Safety against sharers' concurrent fills and in-flight accesses is hw-broadcast's
 * ({@link HardwareBroadcastShootdown}): remote invalidations bracket the TLB's invalidation epoch, and completion
 * waits until each invalidated CPU passes an access boundary (a host handshake that models no interrupt).
 * The directory's records only grow (evictions are not reported to it), so a sharer that dropped the translation
 * meanwhile still gets a message.
 */
public final class DidiShootdown extends AbstractShootdown {
    private final TranslationDirectory directory;
    private final PageTable pageTable;
    /** Per initiator: the sharers of its flush in progress, when {@link #usedDirectory} says the directory named them. Owner only. */
    private final long[][] holders;
    /** Per initiator: whether its flush in progress found its sharers in {@link #holders} (else the cpumask). Owner only. */
    private final boolean[] usedDirectory;
    /** The CPUs the flush in progress invalidated remotely: its sharers, or the cpumask's CPUs. */
    private final TargetFilter wereInvalidated = this::wasInvalidated;

    public DidiShootdown(Cpu[] cpus, ShootdownStats stats) {
        super(cpus, stats);
        this.pageTable = cpus[0].mmu().pageTable();
        this.directory = new TranslationDirectory(cpus.length, pageTable.frames());
        directory.attach(cpus);
        for (Cpu cpu : cpus) {
            cpu.tlb().enableRemoteInvalidation();
        }
        this.holders = new long[cpus.length][directory.words()];
        this.usedDirectory = new boolean[cpus.length];
    }

    /** {@link #wereInvalidated}: whether {@code initiator}'s flush in progress invalidated {@code target}'s TLB. */
    private boolean wasInvalidated(Cpu initiator, Cpu target, FlushRequest request) {
        return usedDirectory[initiator.id()]
                ? TranslationDirectory.contains(holders[initiator.id()], target.id())
                : request.space().cpuMask().contains(target.id());
    }

    /** The directory's records only grow: it may name a CPU that has left the cpumask since it cached the entry. */
    @Override
    protected boolean mayReachOthers(Cpu initiator, FlushRequest request) {
        return cpus.length > 1;
    }

    @Override
    public String name() {
        return "didi";
    }

    @Override
    protected void doFlush(Cpu initiator, FlushRequest request, ReleaseAction release) {
        int me = initiator.id();
        long cycles = flushLocal(initiator, request, FULL_FLUSH_CEILING);
        long[] sharers = null;
        int lookups = 1;
        if (!request.isAll() && request.totalPages() <= FULL_FLUSH_CEILING && !request.freesPageTables()) {
            long[] set = holders[me];
            Arrays.fill(set, 0);
            int looked = directory.addHoldersOfRange(pageTable, request, set);
            if (looked >= 0) {
                sharers = set;
                lookups = looked;
                initiator.counters().add(CpuCounter.SHOOTDOWN_DIRECTORY_LOOKUPS, looked);
            }
        }
        usedDirectory[me] = sharers != null;
        long slowest = 0;
        int invalidated = 0;
        for (int id = 0; id < cpus.length; id++) {
            Cpu target = cpus[id];
            if (target == initiator || !wasInvalidated(initiator, target, request)) {
                continue;
            }
            invalidated++;
            HardwareBroadcastShootdown.invalidateRemotely(target, request);
            slowest = Math.max(slowest, 2 * initiator.costs().lineTransfer(initiator.sameSocket(target)));
        }
        initiator.counters().add(CpuCounter.SHOOTDOWN_REMOTE_INVALIDATIONS, invalidated);
        if (invalidated > 0) {
            reachedOthers(initiator);
        }
        initiator.charge(cycles + lookups * initiator.costs().directoryLookup + slowest);
        // completion: every invalidated CPU has passed an access boundary, so no access through an old entry is in flight
        completeWithoutInterrupts(initiator, request, null, wereInvalidated, release);
    }

    @Override
    protected long applyOnTarget(Cpu target, FlushRequest request) {
        return HardwareBroadcastShootdown.unloadOnTeardown(target, request);
    }
}
