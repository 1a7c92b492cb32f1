package mmsim.shootdown;

import mmsim.paging.AddressSpace;

/**
 * What a shootdown removes: some pages of one address space, or all of it. Mutable and reused by its
 * initiator (so that a shootdown allocates nothing); a target reads it only between receiving the
 * interrupt and acknowledging it, while the initiator waits.
 */
public final class FlushRange {
    /** {@link #pages} value meaning every translation of the space. */
    public static final long ALL = -1;

    AddressSpace space;
    int asid;
    long start;
    long pages;
    FlushReason reason;

    public FlushRange set(AddressSpace space, long start, long pages, FlushReason reason) {
        this.space = space;
        this.asid = space.asid();
        this.start = start;
        this.pages = pages;
        this.reason = reason;
        return this;
    }

    public AddressSpace space() {
        return space;
    }

    public int asid() {
        return asid;
    }

    public long start() {
        return start;
    }

    public long pages() {
        return pages;
    }

    public FlushReason reason() {
        return reason;
    }

    public boolean isAll() {
        return pages == ALL;
    }
}
