package mmsim.shootdown;

import java.util.Objects;

import mmsim.paging.AddressSpace;

/**
 * What one kernel operation asks to remove from TLBs: some page ranges of one address space, or all of
 * it, and why. Mutable and reused by its initiating CPU, so that asking allocates nothing; a target
 * reads it only between receiving an interrupt and acknowledging it, while the initiator waits.
 */
public final class FlushRequest {
    /** Beyond this many ranges an operation's request becomes a full flush. */
    static final int MAX_RANGES = 64;

    AddressSpace space;
    int asid;
    FlushReason reason;
    boolean all;
    boolean freesTables;
    /**
     * The first range, in the request itself: most requests have one, and a target then reads it from the line it
     * reads the request from, not from two arrays the initiator just wrote (one dependent host cache miss fewer per
     * shootdown; see benchmarks/README).
     */
    long start0;
    long pages0;
    /** Ranges 1 to {@link #ranges} - 1 (index 0 unused: {@link #start0}, {@link #pages0}). */
    final long[] starts = new long[MAX_RANGES];
    final long[] pageCounts = new long[MAX_RANGES];
    int ranges;
    /** The TLB generation this request brings its space to (strategies that track generations). */
    long generation;

    /** Starts a request for {@code space}; add ranges next. */
    public FlushRequest begin(AddressSpace space, FlushReason reason) {
        this.space = space;
        this.asid = space.asid();
        this.reason = reason;
        this.all = false;
        this.freesTables = false;
        this.ranges = 0;
        return this;
    }

    /** Adds {@code pages} pages from {@code start}; a request with too many ranges becomes a full flush. */
    public FlushRequest addRange(long start, long pages) {
        if (pages <= 0) {
            return this;
        }
        if (ranges == MAX_RANGES) {
            all = true;
            return this;
        }
        if (ranges == 0) {
            start0 = start;
            pages0 = pages;
        } else {
            starts[ranges] = start;
            pageCounts[ranges] = pages;
        }
        ranges++;
        return this;
    }

    /** Asks for every translation of the space. */
    public FlushRequest addAll() {
        all = true;
        return this;
    }

    /**
     * Marks that the change also unlinked page tables, freed once the flush completes (Linux's
     * {@code flush_tlb_info.freed_tables}): a strategy must then reach every CPU that may be walking the
     * space, lazy ones included, not only those whose TLB may hold the ranges.
     */
    public FlushRequest freesTables() {
        freesTables = true;
        return this;
    }

    /**
     * Whether completing this request frees page tables: the change unlinked some ({@link #unlinksTables()}), an
     * on-demand fork replaced a shared table ({@link FlushReason#TABLE_COPY}), or the space is torn down. Every CPU
     * that may walk the space must then be reached, and acknowledge only once flushed.
     */
    public boolean freesPageTables() {
        return freesTables || reason == FlushReason.TEARDOWN || reason == FlushReason.TABLE_COPY;
    }

    /** Whether the change unlinked page tables (see {@link #freesTables()}). */
    public boolean unlinksTables() {
        return freesTables;
    }

    public AddressSpace space() {
        return space;
    }

    public int asid() {
        return asid;
    }

    public FlushReason reason() {
        return reason;
    }

    public boolean isAll() {
        return all;
    }

    public int ranges() {
        return ranges;
    }

    public long start(int i) {
        Objects.checkIndex(i, ranges);
        return i == 0 ? start0 : starts[i];
    }

    public long pages(int i) {
        Objects.checkIndex(i, ranges);
        return i == 0 ? pages0 : pageCounts[i];
    }

    /** Pages named by all ranges together (meaningless when {@link #isAll()}). */
    public long totalPages() {
        long n = ranges > 0 ? pages0 : 0;
        for (int i = 1; i < ranges; i++) {
            n += pageCounts[i];
        }
        return n;
    }

    /** Whether the request names nothing. */
    public boolean isEmpty() {
        return !all && ranges == 0;
    }

    /** Copies {@code other} into this request. */
    void copyFrom(FlushRequest other) {
        space = other.space;
        asid = other.asid;
        reason = other.reason;
        all = other.all;
        freesTables = other.freesTables;
        ranges = other.ranges;
        generation = other.generation;
        start0 = other.start0;
        pages0 = other.pages0;
        if (ranges > 1) {
            System.arraycopy(other.starts, 1, starts, 1, ranges - 1);
            System.arraycopy(other.pageCounts, 1, pageCounts, 1, ranges - 1);
        }
    }
}
