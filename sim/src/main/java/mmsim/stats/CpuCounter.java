package mmsim.stats;

/**
 * The fixed set of per-CPU event counters, registered at start-up. Each CPU increments its own
 * counters with plain stores ({@link SingleWriterCounters}); a reporter sums them.
 */
public enum CpuCounter {
    /** User-visible loads (each load of a byte, int or long, or one page of a bulk read). */
    LOADS("loads", "events",
            "User-visible loads (each load of a byte, int or long, or one page of a bulk read)."),
    /** User-visible stores. */
    STORES("stores", "events",
            "User-visible stores."),
    /** Accesses whose first L1 TLB lookup found no entry for the page. L1 hits = loads + stores - this - dirty assists - protection rechecks. */
    TLB_L1_MISSES("tlb.l1.misses", "events",
            "Accesses whose first L1 TLB lookup found no entry for the page. L1 hits = loads + stores - this - dirty assists - protection rechecks."),
    /** L1 misses satisfied by the L2 TLB. */
    TLB_L2_HITS("tlb.l2.hits", "events",
            "L1 misses satisfied by the L2 TLB."),
    /** L1 misses that missed the L2 as well (equal to L1 misses when there is no L2). */
    TLB_L2_MISSES("tlb.l2.misses", "events",
            "L1 misses that missed the L2 as well (equal to L1 misses when there is no L2)."),
    /** Stores that hit a writable entry whose dirty bit was not yet set, so the walker had to set it (an x86 microcode assist). */
    TLB_DIRTY_ASSISTS("tlb.dirty_assists", "events",
            "Stores that hit a writable entry whose dirty bit was not yet set, so the walker had to set it (an x86 microcode assist)."),
    /** Stores that hit a read-only entry and re-walked the page table before faulting (the entry may be stale). */
    TLB_PROTECTION_RECHECKS("tlb.protection_rechecks", "events",
            "Stores that hit a read-only entry and re-walked the page table before faulting (the entry may be stale)."),
    /** Page-table walks. */
    WALKS("walks", "events",
            "Page-table walks."),
    /** Walk steps (one per level read). */
    WALK_LEVELS("walk.levels", "events",
            "Walk steps (one per level read)."),
    /** Accessed/dirty-bit CAS attempts that lost a race and re-read the entry. */
    AD_CAS_RETRIES("walk.ad_cas_retries", "events",
            "Accessed/dirty-bit CAS attempts that lost a race and re-read the entry."),
    /** Faults on a page with no present translation. */
    FAULTS_NOT_PRESENT("faults.not_present", "events",
            "Faults on a page with no present translation."),
    /** Faults on a write to a present page without write permission. */
    FAULTS_PROTECTION("faults.protection", "events",
            "Faults on a write to a present page without write permission."),
    /** TLB entries inserted. */
    TLB_INSERTS("tlb.inserts", "events",
            "TLB entries inserted."),
    /** Valid TLB entries evicted by an insert. */
    TLB_EVICTIONS("tlb.evictions", "events",
            "Valid TLB entries evicted by an insert."),
    /** Single-page invalidations executed on this CPU's TLB. */
    TLB_PAGE_INVALIDATIONS("tlb.page_invalidations", "events",
            "Single-page invalidations executed on this CPU's TLB."),
    /** Whole-TLB or whole-ASID flushes executed on this CPU's TLB. */
    TLB_FULL_FLUSHES("tlb.full_flushes", "events",
            "Whole-TLB or whole-ASID flushes executed on this CPU's TLB."),
    /** Interrupts this CPU handled. */
    INTERRUPTS_HANDLED("interrupts.handled", "events",
            "Interrupts this CPU handled."),
    /** Demand-zero faults resolved with a fresh zeroed frame. */
    FAULTS_DEMAND_ZERO("faults.demand_zero", "events",
            "Demand-zero faults resolved with a fresh zeroed frame."),
    /** Write faults on a shared page resolved by copying it. */
    FAULTS_COW_COPY("faults.cow_copy", "events",
            "Write faults on a shared page resolved by copying it."),
    /** Write faults on a write-protected page this process alone holds, resolved by making it writable. */
    FAULTS_COW_REUSE("faults.cow_reuse", "events",
            "Write faults on a write-protected page this process alone holds, resolved by making it writable."),
    /** Faults another CPU had already resolved (the entry was fixed by the time this CPU looked). */
    FAULTS_SPURIOUS("faults.spurious", "events",
            "Faults another CPU had already resolved (the entry was fixed by the time this CPU looked)."),
    /** Write faults into a leaf page table shared by on-demand fork, resolved by copying the table. */
    FAULTS_TABLE_COPY("faults.table_copy", "events",
            "Write faults into a leaf page table shared by on-demand fork, resolved by copying the table."),
    /** Write faults into a shared leaf table this process alone still holds, resolved by re-enabling writes. */
    FAULTS_TABLE_REUSE("faults.table_reuse", "events",
            "Write faults into a shared leaf table this process alone still holds, resolved by re-enabling writes."),
    /** Read faults on an untouched private page resolved by mapping the shared, read-only zero frame (mm.zero_page): no allocation, no zeroing. */
    FAULTS_ZERO_PAGE("faults.zero_page", "events",
            "Read faults on an untouched private page resolved by mapping the shared, read-only zero frame (mm.zero_page): no allocation, no zeroing."),
    /** Write faults on a page mapped to the zero frame, resolved by a fresh zeroed frame that replaces it (the read-only translation shot down). */
    FAULTS_ZERO_PAGE_WRITE("faults.zero_page_write", "events",
            "Write faults on a page mapped to the zero frame, resolved by a fresh zeroed frame that replaces it (the read-only translation shot down)."),
    /** Faults on a page of a shared mapping (mmapShared) resolved by mapping the shared object's page (allocated and zeroed by the first touch of any process) or by re-enabling writes to it (its entry's, or under odf the shared leaf table's); never a copy. */
    FAULTS_SHARED("faults.shared", "events",
            "Faults on a page of a shared mapping (mmapShared) resolved by mapping the shared object's page (allocated and zeroed by the first touch of any process) or by re-enabling writes to it (its entry's, or under odf the shared leaf table's); never a copy."),
    /** Processes killed for an access outside their mappings or a write to a read-only page. */
    SEGFAULTS("kills.segfault", "events",
            "Processes killed for an access outside their mappings or a write to a read-only page."),
    /** Processes killed because no frame was left for them. */
    OOM_KILLS("kills.oom", "events",
            "Processes killed because no frame was left for them."),
    /** Forks that completed on this CPU. */
    FORKS("forks", "events",
            "Forks that completed on this CPU."),
    /** Pages copied by eager fork. */
    FORK_PAGES_COPIED("fork.pages_copied", "events",
            "Pages copied by eager fork."),
    /** Page-table entries write-protected by copy-on-write fork. */
    FORK_PTES_PROTECTED("fork.ptes_protected", "events",
            "Page-table entries write-protected by copy-on-write fork."),
    /** Leaf page tables shared by on-demand fork. */
    FORK_TABLES_SHARED("fork.tables_shared", "events",
            "Leaf page tables shared by on-demand fork."),
    /** Page-table frames that munmap or mremap left unneeded, unlinked and freed after a shootdown (teardown's are not counted). */
    TABLES_FREED("tables.freed", "events",
            "Page-table frames that munmap or mremap left unneeded, unlinked and freed after a shootdown (teardown's are not counted)."),
    /** Pages whose entries mremap moved to the new range (frame and reference moved, nothing copied). */
    MREMAP_PAGES_MOVED("mremap.pages_moved", "events",
            "Pages whose entries mremap moved to the new range (frame and reference moved, nothing copied)."),
    /** Tasks that took this CPU from another task or the idle thread. */
    CONTEXT_SWITCHES("sched.context_switches", "events",
            "Tasks that took this CPU from another task or the idle thread."),
    /** Address-space loads (CR3 writes) that changed the loaded space. */
    ADDRESS_SPACE_SWITCHES("sched.mm_switches", "events",
            "Address-space loads (CR3 writes) that changed the loaded space."),
    /** TLB shootdowns this CPU initiated. */
    SHOOTDOWNS("shootdown.initiated", "events",
            "TLB shootdowns this CPU initiated."),
    /** TLB shootdowns this CPU initiated that reached at least one other CPU. */
    SHOOTDOWNS_REMOTE("shootdown.remote", "events",
            "TLB shootdowns this CPU initiated that reached at least one other CPU (an IPI, a hardware invalidation or a lazy post); the others flushed this CPU's TLB only."),
    /** Shootdown interrupts this CPU sent. */
    SHOOTDOWN_IPIS_SENT("shootdown.ipis_sent", "events",
            "Shootdown interrupts this CPU sent."),
    /** Shootdown interrupts this CPU received and handled. */
    SHOOTDOWN_IPIS_RECEIVED("shootdown.ipis_received", "events",
            "Shootdown interrupts this CPU received and handled."),
    /** Shootdowns initiated for fork's write-protect or table sharing. */
    SHOOTDOWNS_FORK("shootdown.reason.fork", "events",
            "Shootdowns initiated for fork's write-protect or table sharing."),
    /** Shootdowns initiated for a copy-on-write replacement (a first write replacing the zero frame included). */
    SHOOTDOWNS_COW("shootdown.reason.cow", "events",
            "Shootdowns initiated for a copy-on-write replacement (a first write replacing the zero frame included)."),
    /** Shootdowns initiated for munmap. */
    SHOOTDOWNS_MUNMAP("shootdown.reason.munmap", "events",
            "Shootdowns initiated for munmap."),
    /** Shootdowns initiated for mremap's move or a MAP_FIXED replacement (never deferred). */
    SHOOTDOWNS_REMAP("shootdown.reason.remap", "events",
            "Shootdowns initiated for mremap's move or a MAP_FIXED replacement (never deferred)."),
    /** Shootdowns initiated for mprotect. */
    SHOOTDOWNS_MPROTECT("shootdown.reason.mprotect", "events",
            "Shootdowns initiated for mprotect."),
    /** Shootdowns initiated for madvise(DONTNEED). */
    SHOOTDOWNS_MADVISE("shootdown.reason.madvise", "events",
            "Shootdowns initiated for madvise(DONTNEED)."),
    /** Shootdowns initiated for an on-demand-fork table copy. */
    SHOOTDOWNS_TABLE("shootdown.reason.table_copy", "events",
            "Shootdowns initiated for an on-demand-fork table copy."),
    /** Shootdowns initiated for an address space's teardown. */
    SHOOTDOWNS_TEARDOWN("shootdown.reason.teardown", "events",
            "Shootdowns initiated for an address space's teardown."),
    /** Remote TLB invalidations done by hardware broadcast, without interrupting the target. */
    SHOOTDOWN_REMOTE_INVALIDATIONS("shootdown.remote_invalidations", "events",
            "Remote TLB invalidations done by hardware broadcast, without interrupting the target."),
    /** Invalidations posted to other CPUs' lazy queues (LATR). */
    SHOOTDOWN_LAZY_POSTED("shootdown.lazy_posted", "events",
            "Invalidations posted to other CPUs' lazy queues (LATR)."),
    /** Lazy invalidations this CPU applied at a tick, switch or idle point, or when an allocation reclaimed them (LATR). */
    SHOOTDOWN_LAZY_APPLIED("shootdown.lazy_applied", "events",
            "Lazy invalidations this CPU applied at a tick, switch or idle point, or when an allocation reclaimed them (LATR)."),
    /** Allocations on this CPU that found no free frame while invalidations were deferred, and had every CPU apply them at once (freeing the frames behind them) before retrying (LATR). */
    SHOOTDOWN_LAZY_RECLAIMS("shootdown.lazy_reclaims", "events",
            "Allocations on this CPU that found no free frame while invalidations were deferred, and had every CPU apply them at once (freeing the frames behind them) before retrying (LATR)."),
    /** MAP_FIXED mappings and in-place mremap growths over a range a lazy strategy still held: every CPU applied its deferred invalidations first (LATR). */
    SHOOTDOWN_LAZY_FORCED("shootdown.lazy_forced", "events",
            "MAP_FIXED mappings and in-place mremap growths over a range a lazy strategy still held: every CPU applied its deferred invalidations first (LATR)."),
    /** Flush requests this CPU found already covered by a newer flush (Linux's tlb_gen catch-up). */
    SHOOTDOWN_COALESCED("shootdown.coalesced", "events",
            "Flush requests this CPU found already covered by a newer flush (Linux's tlb_gen catch-up)."),
    /** CPUs skipped because they were in lazy-TLB mode (Linux). */
    SHOOTDOWN_LAZY_SKIPPED("shootdown.lazy_skipped", "events",
            "CPUs skipped because they were in lazy-TLB mode (Linux)."),
    /** CPUs of the cpumask skipped because access tracking showed they cannot hold the translations (abis). */
    SHOOTDOWN_TRACKING_SKIPPED("shootdown.tracking_skipped", "events",
            "CPUs of the cpumask a shootdown skipped because access tracking showed they cannot hold the translations (abis)."),
    /** Shootdown interrupts this CPU acknowledged on receipt, before its flush (early-ack). */
    SHOOTDOWN_EARLY_ACKS("shootdown.early_acks", "events",
            "Shootdown interrupts this CPU acknowledged on receipt, before its flush (early-ack)."),
    /** Shootdown interrupts this CPU forwarded to the other targets on its socket (multicast). */
    SHOOTDOWN_FORWARDED("shootdown.forwarded", "events",
            "Shootdown interrupts this CPU forwarded to the other targets on its socket (multicast)."),
    /** Pages whose possible holders a shootdown looked up in the translation directory (abis, didi). */
    SHOOTDOWN_DIRECTORY_LOOKUPS("shootdown.directory_lookups", "events",
            "Pages whose possible holders a shootdown looked up in the translation directory (abis, didi)."),
    /** Modeled cycles charged explicitly to this CPU (walks, faults, flushes, interrupts); TLB hits are added at report time. */
    MODELED_CYCLES("modeled.cycles", "cycles",
            "Modeled cycles charged explicitly to this CPU (walks, faults, flushes, interrupts); TLB hits are added at report time."),
    /** Modeled cycles this CPU's clock moved forward while it waited: for acknowledgements, a lock, a task it hands on to. */
    MODELED_WAIT_CYCLES("modeled.wait_cycles", "cycles",
            "Modeled cycles this CPU's clock moved forward while it waited: for acknowledgements, a lock, a woken task's wake-up time."),
    /** Modeled cycles this CPU's clock skipped while idle (no task to run), up to the next interrupt or task. */
    MODELED_IDLE_CYCLES("modeled.idle_cycles", "cycles",
            "Modeled cycles this CPU's clock skipped while idle (no task to run), up to the next interrupt or task it took."),
    /** Modeled cycles this CPU lost handling other CPUs' shootdown interrupts. */
    MODELED_CYCLES_INTERRUPTED("modeled.cycles_interrupted", "cycles",
            "Modeled cycles this CPU lost handling other CPUs' shootdown interrupts."),
    /** Stale-translation oracle: TLB hits through an entry that a completed shootdown should have removed. */
    ORACLE_STALE_HITS("oracle.stale_hits", "events",
            "Stale-translation oracle: TLB hits through an entry that a completed shootdown should have removed."),
    /** Stale-translation oracle: TLB hits through an entry whose removal a returned munmap deferred (latr's relaxation of Linux). */
    ORACLE_LAZY_HITS("oracle.lazy_hits", "events",
            "Stale-translation oracle: TLB hits through an entry whose removal a returned munmap deferred (latr's relaxation of Linux).");

    private final String key;
    private final String unit;
    private final String doc;

    CpuCounter(String key, String unit, String doc) {
        this.key = key;
        this.unit = unit;
        this.doc = doc;
    }

    /** What one count is: {@code events}, or {@code cycles} for modeled time. */
    public String unit() {
        return unit;
    }

    /** One sentence on what is counted, as listed by {@code mmsim list} and written beside summaries. */
    public String doc() {
        return doc;
    }

    /** The stable name used in reports and summary files. */
    public String key() {
        return key;
    }

    private static final CpuCounter[] VALUES = values();

    /** All counters, without allocating a new array per call. */
    public static CpuCounter[] all() {
        return VALUES.clone();
    }

    static int count() {
        return VALUES.length;
    }
}
