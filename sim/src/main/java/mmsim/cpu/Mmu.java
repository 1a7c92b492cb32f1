package mmsim.cpu;

import java.util.Arrays;

import mmsim.mem.PhysicalMemory;
import mmsim.paging.AddressSpace;
import mmsim.paging.PageTable;
import mmsim.paging.Pte;
import mmsim.stats.CostModel;
import mmsim.stats.CpuCounter;
import mmsim.stats.SingleWriterCounters;

/**
 * A CPU's access path: loads and stores of bytes, ints and longs at virtual addresses of the loaded
 * address space, and bulk copies.
 *
 * <p>Each access: poll the interrupt flag (one opaque load) → L1 TLB lookup → on a hit with enough
 * permission, touch physical memory. Otherwise the slow path: the L2 TLB, then a page walk that sets the
 * accessed and dirty bits by CAS and fills the TLB; a missing or insufficient translation calls the
 * {@link PageFaultHandler} and retries. The hit path allocates nothing.
 *
 * <p>Contract: used only by the thread executing on its CPU. int and long accesses must be naturally
 * aligned (so that one never straddles two pages); bulk copies may span pages.
 */
public final class Mmu {
    private static final int LOADS = SingleWriterCounters.slotOf(CpuCounter.LOADS);
    private static final int STORES = SingleWriterCounters.slotOf(CpuCounter.STORES);
    private static final int L1_MISSES = SingleWriterCounters.slotOf(CpuCounter.TLB_L1_MISSES);
    private static final int L2_HITS = SingleWriterCounters.slotOf(CpuCounter.TLB_L2_HITS);
    private static final int L2_MISSES = SingleWriterCounters.slotOf(CpuCounter.TLB_L2_MISSES);
    private static final int DIRTY_ASSISTS = SingleWriterCounters.slotOf(CpuCounter.TLB_DIRTY_ASSISTS);
    private static final int PROTECTION_RECHECKS = SingleWriterCounters.slotOf(CpuCounter.TLB_PROTECTION_RECHECKS);
    private static final int WALKS = SingleWriterCounters.slotOf(CpuCounter.WALKS);
    private static final int WALK_LEVELS = SingleWriterCounters.slotOf(CpuCounter.WALK_LEVELS);
    private static final int AD_CAS_RETRIES = SingleWriterCounters.slotOf(CpuCounter.AD_CAS_RETRIES);
    private static final int FAULTS_NOT_PRESENT = SingleWriterCounters.slotOf(CpuCounter.FAULTS_NOT_PRESENT);
    private static final int FAULTS_PROTECTION = SingleWriterCounters.slotOf(CpuCounter.FAULTS_PROTECTION);
    private static final int TLB_INSERTS = SingleWriterCounters.slotOf(CpuCounter.TLB_INSERTS);
    private static final int TLB_EVICTIONS = SingleWriterCounters.slotOf(CpuCounter.TLB_EVICTIONS);
    private static final int MODELED_CYCLES = SingleWriterCounters.slotOf(CpuCounter.MODELED_CYCLES);

    private static final long WRITE_OK = TlbArray.DATA_WRITABLE | TlbArray.DATA_DIRTY;
    /** Faults in a row for one access after which the handler is taken to be broken. */
    static final int MAX_FAULTS_PER_ACCESS = 10_000;
    /** Entries of the walk memo ({@link #walkMemo}), a power of two: 16 regions of 2 MiB, 32 MiB of address space. */
    static final int WALK_MEMO_ENTRIES = 16;
    private static final long MEMO_VALID = 1L << 63;
    /** A walk memo entry's region: the 2 MiB one last-level table maps. */
    private static final int MEMO_REGION_SHIFT = PhysicalMemory.PAGE_SHIFT + 9;

    private final Cpu cpu;
    private final TlbArray l1;
    private final TlbArray l2;
    private final long[] counters;
    private final PhysicalMemory memory;
    private final PageTable pageTable;
    private final java.util.concurrent.atomic.AtomicLong remoteEpoch;
    private final Tlb tlb;
    /** The cost model's TLB, walk and fault costs, copied into final fields the hit path reads without an indirection. */
    private final long l1HitCycles;
    private final long l2HitCycles;
    private final long walkLevelCycles;
    private final long faultEntryExitCycles;
    private PageFaultHandler faultHandler = PageFaultHandler.UNHANDLED;
    private TranslationChecker checker;
    /** Told of each leaf read by a walk (who may cache which entry), or null: see {@link WalkObserver}. */
    private WalkObserver walkObserver;
    /** The loaded address space, or null. */
    private AddressSpace space;
    /** Root table frame of the loaded address space; -1 when none is loaded. */
    private int root = -1;
    private int asid;
    /** The CPU's modeled clock in cycles ({@link Cpu#clock}); advanced by the owner only, here and through {@link Cpu#charge}. */
    private long clock;
    /** The clock value at which the next modeled-time event (tick, phase end) is due; owner only. */
    private long deadline = Long.MAX_VALUE;
    /** The clock when the fault being handled was taken, before its entry cost; owner only. */
    private long faultEnteredAt;
    /**
     * While the fault handler runs: the leaf slot the faulting walk reached ({@link PageTable#NO_SLOT} if it stopped
     * above the leaves), the page it walked for and the space's {@link AddressSpace#tableUnlinks} read before it
     * began; owner only. See {@link #leafSlotHint}.
     */
    private long hintSlot = PageTable.NO_SLOT;
    private long hintPage;
    private long hintUnlinks;
    /**
     * The walk memo: per 2 MiB region of the loaded space, the last-level table a walk reached through the three
     * levels above, so that the next walk in the region reads the leaf entry without reading them again; null when
     * off ({@link #setWalkMemo}). A host-side shortcut, not a modeled paging-structure cache: a walk through it is
     * charged, counted and observed as the whole walk it stands for. Entry: {@link #MEMO_VALID} | region (va >>> 21)
     * << 32 | table frame; 0 is empty. Kept only for a walk whose links were all writable, and valid while the space's
     * {@link AddressSpace#tableUnlinks} reads what it read when that walk began ({@link #memoUnlinks}): such a link
     * changes only by an unlink or, under on-demand fork, a fork's write-protection, and both are counted; odf's table
     * copies and reuses change only write-protected links, which no entry holds. A walk through an entry is then the
     * walk a CPU that read the links when the counter was read would have made; an uncounted change in flight (an
     * unlink before its count) is one the flush that follows its count removes, as for a walk that read the link just
     * before it. Owner only; emptied by {@link #load} and when the counter moves.
     */
    private long[] walkMemo;
    /** {@link AddressSpace#tableUnlinks} of the loaded space when {@link #walkMemo}'s entries were filled. Owner only. */
    private long memoUnlinks;

    Mmu(Cpu cpu, Tlb tlb, SingleWriterCounters counters, PhysicalMemory memory, PageTable pageTable, CostModel costs) {
        this.cpu = cpu;
        this.l1HitCycles = costs.tlbL1Hit;
        this.l2HitCycles = costs.tlbL2Hit;
        this.walkLevelCycles = costs.walkLevel;
        this.faultEntryExitCycles = costs.faultEntryExit;
        this.l1 = tlb.l1;
        this.l2 = tlb.l2;
        this.remoteEpoch = tlb.remoteEpoch;
        this.tlb = tlb;
        this.counters = counters.ownerSlots();
        this.memory = memory;
        this.pageTable = pageTable;
    }

    void setFaultHandler(PageFaultHandler handler) {
        this.faultHandler = handler;
    }

    /** The machine's page table this MMU walks. */
    public PageTable pageTable() {
        return pageTable;
    }

    /** Installs {@code observer} (null: none). Call before the CPU runs, on any thread; its start publishes it. */
    public void setWalkObserver(WalkObserver observer) {
        this.walkObserver = observer;
    }

    /** The observer told of this MMU's walks, or null. */
    public WalkObserver walkObserver() {
        return walkObserver;
    }

    void setChecker(TranslationChecker checker) {
        this.checker = checker;
    }

    void load(AddressSpace space, int spaceAsid) {
        this.space = space;
        this.root = space == null ? -1 : space.root();
        this.asid = spaceAsid;
        emptyWalkMemo();
    }

    /** Drops every entry of the walk memo, if on. Owner only. */
    private void emptyWalkMemo() {
        if (walkMemo != null) {
            Arrays.fill(walkMemo, 0L);
        }
    }

    /**
     * Turns the walk memo ({@link #walkMemo}) on or off (off by default). On only where every change of a writable link
     * above the leaves is counted ({@link AddressSpace#noteTablesUnlinked}, {@link AddressSpace#noteLinksWriteProtected}),
     * as the kernel's are: {@code Kernel.boot} turns it on. Code that edits links by hand leaves it off. Call before the
     * CPU runs, on any thread; its start publishes it.
     */
    public void setWalkMemo(boolean on) {
        this.walkMemo = on ? new long[WALK_MEMO_ENTRIES] : null;
    }

    long clock() {
        return clock;
    }

    /**
     * The one place modeled work enters a CPU's time: its busy counter and its clock ({@link Cpu#charge}
     * delegates here). Only the L1 hit's cycle is added inline on the hit path, and counted by LOADS/STORES.
     */
    void charge(long cycles) {
        counters[MODELED_CYCLES] += cycles;
        clock += cycles;
    }

    /** Moves the clock without charging work (a wait or an idle stretch; {@link Cpu#advanceTo}). */
    void advance(long cycles) {
        clock += cycles;
    }

    long deadline() {
        return deadline;
    }

    long faultEnteredAt() {
        return faultEnteredAt;
    }

    /**
     * The host address of {@code va}'s leaf entry in {@code space} as the walk that raised the fault being handled
     * found it, or {@link PageTable#NO_SLOT} when that walk stopped above the leaves, was for another page or space,
     * or tables of the space were unlinked since it began ({@link AddressSpace#tableUnlinks}): then the slot may be in
     * a table that is gone. Owner only, from the fault handler, holding the space's mm lock (so no unlink can be under
     * way), and only for a space whose leaf tables no other space shares (their replacement is not counted). The walk
     * that retries the access after the handler returns reaches the same table through the walk memo, if on.
     */
    long leafSlotHint(AddressSpace space, long va) {
        long slot = hintSlot;
        if (slot != PageTable.NO_SLOT && space == this.space && (va & ~PhysicalMemory.PAGE_OFFSET_MASK) == hintPage
                && space.tableUnlinks() == hintUnlinks) {
            return slot;
        }
        return PageTable.NO_SLOT;
    }

    void setDeadline(long deadline) {
        this.deadline = deadline;
    }

    /** The ASID that the loaded space's TLB entries carry. */
    public int asid() {
        return asid;
    }

    // ---- the access API ----

    public byte loadByte(long va) {
        return PhysicalMemory.lpByte(translate(va, false));
    }

    public void storeByte(long va, byte value) {
        PhysicalMemory.spByte(translate(va, true), value);
    }

    public int loadInt(long va) {
        checkAligned(va, 4);
        return PhysicalMemory.lpInt(translate(va, false));
    }

    public void storeInt(long va, int value) {
        checkAligned(va, 4);
        PhysicalMemory.spInt(translate(va, true), value);
    }

    public long loadLong(long va) {
        checkAligned(va, 8);
        return PhysicalMemory.lpLong(translate(va, false));
    }

    public void storeLong(long va, long value) {
        checkAligned(va, 8);
        PhysicalMemory.spLong(translate(va, true), value);
    }

    /** Copies {@code length} bytes at {@code va} into {@code target[offset..]}, one page at a time. */
    public void read(long va, byte[] target, int offset, int length) {
        java.util.Objects.checkFromIndexSize(offset, length, target.length);
        while (length > 0) {
            int chunk = (int) Math.min(length, PhysicalMemory.PAGE_SIZE - (va & PhysicalMemory.PAGE_OFFSET_MASK));
            long address = translate(va, false);
            PhysicalMemory.copy(null, address, target, sun.misc.Unsafe.ARRAY_BYTE_BASE_OFFSET + (long) offset, chunk);
            va += chunk;
            offset += chunk;
            length -= chunk;
        }
    }

    /** Copies {@code source[offset..offset+length)} to {@code va}, one page at a time. */
    public void write(long va, byte[] source, int offset, int length) {
        java.util.Objects.checkFromIndexSize(offset, length, source.length);
        while (length > 0) {
            int chunk = (int) Math.min(length, PhysicalMemory.PAGE_SIZE - (va & PhysicalMemory.PAGE_OFFSET_MASK));
            long address = translate(va, true);
            PhysicalMemory.copy(source, sun.misc.Unsafe.ARRAY_BYTE_BASE_OFFSET + (long) offset, null, address, chunk);
            va += chunk;
            offset += chunk;
            length -= chunk;
        }
    }

    private static void checkAligned(long va, int size) {
        if ((va & (size - 1)) != 0) {
            throw new MisalignedAccessException(va, size);
        }
    }

    /**
     * The host address that {@code va} translates to for a load or a store, faulting as needed. Counts
     * the access. Pending interrupts are handled first: an access is an interrupt boundary.
     */
    public long translate(long va, boolean write) {
        cpu.pollInterrupts();
        counters[write ? STORES : LOADS]++;
        // every access costs one L1 lookup of modeled time; the tick and the phase end fall due here
        if ((clock += l1HitCycles) >= deadline) {
            cpu.deadlineReached();
        }
        long vpn = va >>> PhysicalMemory.PAGE_SHIFT;
        // the current generation's tag (see TlbArray): the L1 and the L2 are always in the same one
        long tag = l1.tag(asid, vpn);
        // a VPN beyond 35 bits is outside user space; it must not alias into the ASID bits of the tag
        if ((vpn & ~(TlbArray.VPN_MASK >>> 1)) == 0) {
            // the hinted way only: the scan of the rest of the set is the slow path's (see translateSlowPath)
            int i = l1.lookupHinted(vpn, tag);
            if (i >= 0) {
                long d = l1.data[i];
                if (!write || (d & WRITE_OK) == WRITE_OK) {
                    if (checker != null) {
                        checker.onHit(cpu, va, write, l1.frames[i]);
                    }
                    return (d & TlbArray.DATA_ADDRESS_MASK) | (va & PhysicalMemory.PAGE_OFFSET_MASK);
                }
                counters[(d & TlbArray.DATA_WRITABLE) != 0 ? DIRTY_ASSISTS : PROTECTION_RECHECKS]++;
                return translateSlowPath(va, vpn, tag, write, false);
            }
        }
        return translateSlowPath(va, vpn, tag, write, true);
    }

    /**
     * Everything but an L1 hit in the hinted way. {@code l1Miss}: the hinted way did not hold the translation (or the
     * VPN is outside user space); the rest of the L1 set is scanned here first, not in {@link #translate}, so that
     * translate stays small enough to be inlined into its callers and an L2 hit or a walk costs one call, not two
     * (translate, with the scan inlined, had grown past C2's inlining limit). Else: an L1 hit without the permission.
     */
    private long translateSlowPath(long va, long vpn, long tag, boolean write, boolean l1Miss) {
        if (l1Miss && (vpn & ~(TlbArray.VPN_MASK >>> 1)) == 0) {
            int i = l1.lookupScan(vpn, tag);
            if (i >= 0) {
                // translate's hit, written out again: one helper for both cost the L2 hit ~1 ns (18.9-19.4 against
                // 17.7-18.9 ns, 3 interleaved pairs; it changed how C2 compiled this method)
                long d = l1.data[i];
                if (!write || (d & WRITE_OK) == WRITE_OK) {
                    if (checker != null) {
                        checker.onHit(cpu, va, write, l1.frames[i]);
                    }
                    return (d & TlbArray.DATA_ADDRESS_MASK) | (va & PhysicalMemory.PAGE_OFFSET_MASK);
                }
                counters[(d & TlbArray.DATA_WRITABLE) != 0 ? DIRTY_ASSISTS : PROTECTION_RECHECKS]++;
                l1Miss = false;
            }
        }
        if (l1Miss) {
            counters[L1_MISSES]++;
            if (l2 != null && PageTable.isUserAddress(va)) {
                // the L1 refill races remote invalidations like a walk's fill does (see Tlb.remoteEpoch)
                long epoch = epochBeforeFill();
                int j = l2.lookup(vpn, tag);
                if (j >= 0 && (!write || (l2.data[j] & WRITE_OK) == WRITE_OK)) {
                    long dataWord = l2.data[j];
                    int frame = l2.frames[j];
                    fillL1(vpn, tag, dataWord, frame);
                    counters[L2_HITS]++;
                    charge(l2HitCycles);
                    if (checker != null) {
                        checker.onHit(cpu, va, write, frame);
                    }
                    if (fillRaced(epoch)) {
                        // the L2 entry may have been read before an invalidation reached it: use it for this
                        // access only (see walkAndFill), keep it in neither level
                        dropFill(vpn, tag);
                    }
                    return (dataWord & TlbArray.DATA_ADDRESS_MASK) | (va & PhysicalMemory.PAGE_OFFSET_MASK);
                }
            }
            if (l2 != null) {
                counters[L2_MISSES]++;
            }
        } else {
            // an L1 hit without the permission: this translation's fills follow no missed lookup of theirs, so any
            // choice a TLB array kept from an earlier miss (one an exception cut short) must not serve them
            forgetMisses();
        }
        for (int faults = 0; ; ) {
            long address = walkAndFill(va, vpn, write);
            if (address != 0) {
                return address;
            }
            if (++faults > MAX_FAULTS_PER_ACCESS) {
                throw new IllegalStateException("cpu " + cpu.id() + ": " + MAX_FAULTS_PER_ACCESS
                        + " faults in a row at 0x" + Long.toHexString(va) + "; the fault handler does not resolve them");
            }
        }
    }

    /**
     * Walks the page table for {@code va}. On success sets A (and D for a store), fills the TLB and
     * returns the host address. On a fault calls the handler and returns 0 (the caller retries).
     */
    private long walkAndFill(long va, long vpn, boolean write) {
        // the tag of the TLB's generation now: a fault's handler may have flushed the TLB (a shootdown it served while
        // it waited), and the retry's fill must then be an entry of the new generation, not of the one translate saw
        long tag = l1.tag(asid, vpn);
        if (root < 0 || !PageTable.isUserAddress(va)) {
            fault(va, write, FaultKind.NOT_PRESENT);
            return 0;
        }
        counters[WALKS]++;
        // read before the walk; re-read after the fill (see Tlb.remoteEpoch)
        long epoch = epochBeforeFill();
        // acquire, before the walk's first read: the walk memo and a fault handler (the leaf slot this walk reaches)
        // use what the walk finds while no table change is counted after it
        long unlinks = space.tableUnlinks();
        int table;
        long writable = Pte.WRITABLE;
        long[] memo = walkMemo;
        long region = va >>> MEMO_REGION_SHIFT;
        int m = (int) region & (WALK_MEMO_ENTRIES - 1);
        long entry = 0;
        if (memo != null) {
            if (unlinks != memoUnlinks) {
                emptyWalkMemo();
                memoUnlinks = unlinks;
            }
            entry = memo[m];
        }
        if ((entry >>> 32) == (region | (MEMO_VALID >>> 32))) {
            // the links above still lead here, all writable (see walkMemo)
            table = (int) entry;
        } else {
            table = root;
            for (int level = PageTable.LEVELS - 1; level > 0; level--) {
                long link = PhysicalMemory.laLong(pageTable.slotAddress(table, PageTable.index(va, level)));
                if (!Pte.isPresent(link)) {
                    chargeWalk(PageTable.LEVELS - level);
                    fault(va, write, FaultKind.NOT_PRESENT);
                    return 0;
                }
                writable &= link;
                table = Pte.frame(link);
            }
            if (memo != null && writable != 0) {
                memo[m] = MEMO_VALID | (region << 32) | table;
            }
        }
        // the levels are charged together: nothing in the walk reads the clock before the fault or the fill
        chargeWalk(PageTable.LEVELS);
        int index = PageTable.index(va, 0);
        long slot = pageTable.slotAddress(table, index);
        // a local: the field would be read again after each acquire load below
        WalkObserver observer = walkObserver;
        if (observer != null) {
            // before the read: a tracker's record of this CPU precedes its reading the entry (see TranslationDirectory)
            observer.beforeLeafRead(cpu.id(), table, index);
        }
        while (true) {
            long pte = PhysicalMemory.laLong(slot);
            if (observer != null && leafLinkMoved(va, table)) {
                // the link now leads to a copy of the table (on-demand fork): walk again, so that the observer records
                // this CPU on the table the space uses now (see TranslationDirectory#leafTableCopied), not through the memo
                emptyWalkMemo();
                return walkAndFill(va, vpn, write);
            }
            if (!Pte.isPresent(pte)) {
                leafFault(va, write, FaultKind.NOT_PRESENT, slot, unlinks);
                return 0;
            }
            boolean effectiveWritable = (pte & writable) != 0;
            if (write && !effectiveWritable) {
                leafFault(va, write, FaultKind.PROTECTION, slot, unlinks);
                return 0;
            }
            long updated = pte | Pte.ACCESSED | (write ? Pte.DIRTY : 0);
            // CAS: the A/D update must not overwrite a concurrent change of the entry (a write-protect, a remap)
            if (updated != pte && !PhysicalMemory.casLong(slot, pte, updated)) {
                counters[AD_CAS_RETRIES]++;
                continue;
            }
            int frame = Pte.frame(updated);
            long dataWord = memory.frameAddress(frame)
                    | (effectiveWritable ? TlbArray.DATA_WRITABLE : 0)
                    | (Pte.isDirty(updated) ? TlbArray.DATA_DIRTY : 0);
            fillL1(vpn, tag, dataWord, frame);
            if (l2 != null) {
                counters[TLB_INSERTS]++;
                if (l2.insert(vpn, tag, dataWord, frame)) {
                    counters[TLB_EVICTIONS]++;
                }
            }
            if (fillRaced(epoch)) {
                // A remote invalidation ran during the walk: what was filled may be what it removed, so it
                // must not stay. This access may still use it: it is in flight, and the invalidator's
                // completion waits for this CPU's next access boundary. (Retrying instead could starve
                // under a stream of invalidations.)
                dropFill(vpn, tag);
            }
            return (dataWord & TlbArray.DATA_ADDRESS_MASK) | (va & PhysicalMemory.PAGE_OFFSET_MASK);
        }
    }

    /**
     * Whether the loaded space's link to the last-level table of {@code va} no longer leads to {@code table}. Its read
     * is volatile, after the observer's record of this walk: the Dekker pair against a copier's link change, then its
     * read of the records. Walks the upper levels again to find the link, so that the common walk (no observer)
     * keeps nothing more live.
     */
    private boolean leafLinkMoved(long va, int table) {
        long linkSlot = pageTable.slot(root, va, 1);
        if (linkSlot == PageTable.NO_SLOT) {
            return true;
        }
        long link = PhysicalMemory.lvLong(linkSlot);
        return !Pte.isPresent(link) || Pte.frame(link) != table;
    }

    /** Counts and charges {@code levels} levels of a page walk. */
    private void chargeWalk(int levels) {
        counters[WALK_LEVELS] += levels;
        charge(levels * walkLevelCycles);
    }

    /**
     * The remote-invalidation epoch before a walk or an L2-to-L1 refill ({@link Tlb#remoteEpoch}), for
     * {@link #fillRaced}; 0 without remote invalidations, whose epoch never moves: the volatile read, a compiler barrier,
     * is then left out of the miss path.
     */
    private long epochBeforeFill() {
        return tlb.remoteInvalidation ? remoteEpoch.get() : 0;
    }

    /**
     * Whether a remote invalidation may have raced the fill that followed {@link #epochBeforeFill}: the epoch moved or
     * was odd. First the StoreLoad fence between the fill's tag stores and the epoch's re-read, the owner's half of the
     * Dekker pair (see {@link Tlb#remoteEpoch}). Always false, without a fence or a read, when no other CPU may
     * invalidate this TLB.
     */
    private boolean fillRaced(long epoch) {
        if (!tlb.remoteInvalidation) {
            return false;
        }
        java.lang.invoke.VarHandle.fullFence();
        return remoteEpoch.get() != epoch || (epoch & 1) != 0;
    }

    private void fillL1(long vpn, long tag, long dataWord, int frame) {
        counters[TLB_INSERTS]++;
        if (l1.insert(vpn, tag, dataWord, frame)) {
            counters[TLB_EVICTIONS]++;
        }
    }

    private void dropFill(long vpn, long tag) {
        int i = l1.find(vpn, tag);
        if (i >= 0) {
            l1.invalidateIndex(i, tag);
        }
        if (l2 != null && (i = l2.find(vpn, tag)) >= 0) {
            l2.invalidateIndex(i, tag);
        }
    }

    /** A fault raised at the leaf entry {@code slot} of {@code table}: the handler may take the slot ({@link #leafSlotHint}). */
    private void leafFault(long va, boolean write, FaultKind kind, long slot, long unlinks) {
        hintSlot = slot;
        hintPage = va & ~PhysicalMemory.PAGE_OFFSET_MASK;
        hintUnlinks = unlinks;
        fault(va, write, kind);
    }

    private void fault(long va, boolean write, FaultKind kind) {
        counters[kind == FaultKind.NOT_PRESENT ? FAULTS_NOT_PRESENT : FAULTS_PROTECTION]++;
        faultEnteredAt = clock;
        charge(faultEntryExitCycles);
        try {
            faultHandler.handlePageFault(cpu, va, write, kind);
        } finally {
            hintSlot = PageTable.NO_SLOT;
            // the fill choices the access's lookups kept stand: the handler's hits reorder sets but leave their valid
            // ways as they were, and anything else it does to this TLB clears them (see TlbArray). A handler that ends
            // the task by throwing leaves them to a later fill of the same tag, which follows a miss of its own that
            // replaces them (or forgets them first: an L1 hit without the permission)
        }
    }

    /** Drops the fill choice each TLB level kept from its last missed lookup ({@link TlbArray#forgetMiss}). */
    private void forgetMisses() {
        l1.forgetMiss();
        if (l2 != null) {
            l2.forgetMiss();
        }
    }
}
