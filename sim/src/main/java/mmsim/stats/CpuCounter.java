package mmsim.stats;

/**
 * The fixed set of per-CPU event counters, registered at start-up. Each CPU increments its own
 * counters with plain stores ({@link SingleWriterCounters}); a reporter sums them.
 */
public enum CpuCounter {
    /** User-visible loads (each load of a byte, int or long, or one page of a bulk read). */
    LOADS("loads"),
    /** User-visible stores. */
    STORES("stores"),
    /** Accesses whose first L1 TLB lookup found no entry for the page. L1 hits = loads + stores - this - dirty assists - protection rechecks. */
    TLB_L1_MISSES("tlb.l1.misses"),
    /** L1 misses satisfied by the L2 TLB. */
    TLB_L2_HITS("tlb.l2.hits"),
    /** L1 misses that missed the L2 as well (equal to L1 misses when there is no L2). */
    TLB_L2_MISSES("tlb.l2.misses"),
    /** Stores that hit a writable entry whose dirty bit was not yet set, so the walker had to set it (an x86 microcode assist). */
    TLB_DIRTY_ASSISTS("tlb.dirty_assists"),
    /** Stores that hit a read-only entry and re-walked the page table before faulting (the entry may be stale). */
    TLB_PROTECTION_RECHECKS("tlb.protection_rechecks"),
    /** Page-table walks. */
    WALKS("walks"),
    /** Walk steps (one per level read). */
    WALK_LEVELS("walk.levels"),
    /** Accessed/dirty-bit CAS attempts that lost a race and re-read the entry. */
    AD_CAS_RETRIES("walk.ad_cas_retries"),
    /** Faults on a page with no present translation. */
    FAULTS_NOT_PRESENT("faults.not_present"),
    /** Faults on a write to a present page without write permission. */
    FAULTS_PROTECTION("faults.protection"),
    /** TLB entries inserted. */
    TLB_INSERTS("tlb.inserts"),
    /** Valid TLB entries evicted by an insert. */
    TLB_EVICTIONS("tlb.evictions"),
    /** Single-page invalidations executed on this CPU's TLB. */
    TLB_PAGE_INVALIDATIONS("tlb.page_invalidations"),
    /** Whole-TLB or whole-ASID flushes executed on this CPU's TLB. */
    TLB_FULL_FLUSHES("tlb.full_flushes"),
    /** Interrupts this CPU handled. */
    INTERRUPTS_HANDLED("interrupts.handled"),
    /** Demand-zero faults resolved with a fresh zeroed frame. */
    FAULTS_DEMAND_ZERO("faults.demand_zero"),
    /** Write faults on a shared page resolved by copying it. */
    FAULTS_COW_COPY("faults.cow_copy"),
    /** Write faults on a write-protected page this process alone holds, resolved by making it writable. */
    FAULTS_COW_REUSE("faults.cow_reuse"),
    /** Faults another CPU had already resolved (the entry was fixed by the time this CPU looked). */
    FAULTS_SPURIOUS("faults.spurious"),
    /** Write faults into a leaf page table shared by on-demand fork, resolved by copying the table. */
    FAULTS_TABLE_COPY("faults.table_copy"),
    /** Write faults into a shared leaf table this process alone still holds, resolved by re-enabling writes. */
    FAULTS_TABLE_REUSE("faults.table_reuse"),
    /** Processes killed for an access outside their mappings or a write to a read-only page. */
    SEGFAULTS("kills.segfault"),
    /** Processes killed because no frame was left for them. */
    OOM_KILLS("kills.oom"),
    /** Forks that completed on this CPU. */
    FORKS("forks"),
    /** Pages copied by eager fork. */
    FORK_PAGES_COPIED("fork.pages_copied"),
    /** Page-table entries write-protected by copy-on-write fork. */
    FORK_PTES_PROTECTED("fork.ptes_protected"),
    /** Leaf page tables shared by on-demand fork. */
    FORK_TABLES_SHARED("fork.tables_shared"),
    /** Tasks that took this CPU from another task or the idle thread. */
    CONTEXT_SWITCHES("sched.context_switches"),
    /** Address-space loads (CR3 writes) that changed the loaded space. */
    ADDRESS_SPACE_SWITCHES("sched.mm_switches"),
    /** TLB shootdowns this CPU initiated. */
    SHOOTDOWNS("shootdown.initiated"),
    /** Shootdown interrupts this CPU sent. */
    SHOOTDOWN_IPIS_SENT("shootdown.ipis_sent"),
    /** Shootdown interrupts this CPU received and handled. */
    SHOOTDOWN_IPIS_RECEIVED("shootdown.ipis_received"),
    /** Shootdowns initiated for fork's write-protect or table sharing. */
    SHOOTDOWNS_FORK("shootdown.reason.fork"),
    /** Shootdowns initiated for a copy-on-write replacement. */
    SHOOTDOWNS_COW("shootdown.reason.cow"),
    /** Shootdowns initiated for munmap. */
    SHOOTDOWNS_MUNMAP("shootdown.reason.munmap"),
    /** Shootdowns initiated for mprotect. */
    SHOOTDOWNS_MPROTECT("shootdown.reason.mprotect"),
    /** Shootdowns initiated for madvise(DONTNEED). */
    SHOOTDOWNS_MADVISE("shootdown.reason.madvise"),
    /** Shootdowns initiated for an on-demand-fork table copy. */
    SHOOTDOWNS_TABLE("shootdown.reason.table_copy"),
    /** Shootdowns initiated for an address space's teardown. */
    SHOOTDOWNS_TEARDOWN("shootdown.reason.teardown"),
    /** Remote TLB invalidations done by hardware broadcast, without interrupting the target. */
    SHOOTDOWN_REMOTE_INVALIDATIONS("shootdown.remote_invalidations"),
    /** Invalidations posted to other CPUs' lazy queues (LATR). */
    SHOOTDOWN_LAZY_POSTED("shootdown.lazy_posted"),
    /** Lazy invalidations this CPU applied at a tick, switch or idle point (LATR). */
    SHOOTDOWN_LAZY_APPLIED("shootdown.lazy_applied"),
    /** Flush requests this CPU found already covered by a newer flush (Linux's tlb_gen catch-up). */
    SHOOTDOWN_COALESCED("shootdown.coalesced"),
    /** CPUs skipped because they were in lazy-TLB mode (Linux). */
    SHOOTDOWN_LAZY_SKIPPED("shootdown.lazy_skipped"),
    /** Modeled cycles charged explicitly to this CPU (walks, faults, flushes, interrupts); TLB hits are added at report time. */
    MODELED_CYCLES("modeled.cycles"),
    /** Modeled cycles this CPU lost handling other CPUs' shootdown interrupts. */
    MODELED_CYCLES_INTERRUPTED("modeled.cycles_interrupted"),
    /** Stale-translation oracle: TLB hits through an entry that a completed shootdown should have removed. */
    ORACLE_STALE_HITS("oracle.stale_hits");

    private final String key;

    CpuCounter(String key) {
        this.key = key;
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
