package mmsim.cpu;

import mmsim.config.MachineConfig;

/**
 * A CPU's TLB: an L1 array, optionally backed by a larger L2 (non-inclusive: a walk fills both, an L2 hit
 * refills the L1), tagged with an ASID when the machine has them (else every entry carries ASID 0).
 *
 * <p>Contract: owned by one CPU. Lookups, inserts, {@link #flushAll}, {@link #invalidatePage} and
 * {@link #invalidateAsid} happen only on the thread executing on that CPU; another thread invalidates with
 * {@link #remoteInvalidatePage} and {@link #remoteInvalidateAsid} (a hardware-broadcast invalidation), racing
 * the owner's lookups.
 */
public final class Tlb {
    /** Largest ASID a TLB can tag. */
    public static final int MAX_ASID = TlbArray.MAX_ASIDS - 1;

    final TlbArray l1;
    final TlbArray l2;
    /**
     * A sequence count of remote invalidations: odd while one runs (incremented before and after it).
     * The owner reads it before a walk or an L2-to-L1 refill and again after the fill; if it moved or
     * was odd, the fill may hold what an invalidation meant to remove (the walk read the old entry, or
     * the L2 had not been reached yet): the owner uses it for the access in flight only (the invalidator
     * waits for this CPU's next access boundary) and drops it. Dekker-style: the owner's tag
     * store and {@code Mmu}'s fence after the fill, then epoch load, against the invalidator's epoch increment then
     * tag load.
     */
    final java.util.concurrent.atomic.AtomicLong remoteEpoch = new java.util.concurrent.atomic.AtomicLong();
    /**
     * Whether other CPUs may invalidate this TLB ({@link #enableRemoteInvalidation}). Only then does the owner's
     * fill need the StoreLoad fence between its tag store and its epoch re-read (the Dekker pair above); a
     * machine whose strategy only interrupts CPUs never pays it. Written before the CPUs run (their start
     * publishes it), read by the owner on every fill.
     */
    boolean remoteInvalidation;

    public Tlb(MachineConfig config, long seed) {
        // the L1 keeps ages (the cheapest touch, on the hit path), the L2 a packed recency order (the cheapest
        // victim, on the miss path): see TlbArray
        this.l1 = new TlbArray(config.tlbL1Entries(), config.tlbL1Ways(), config.tlbReplacement(), seed, false);
        this.l2 = config.tlbLevels() == 2
                ? new TlbArray(config.tlbL2Entries(), config.tlbL2Ways(), config.tlbReplacement(), seed * 31 + 7, true)
                : null;
    }

    /** The modelled tag of page {@code vpn} in address space {@code asid}: what a valid entry for it holds now. Owner only. */
    public long tag(int asid, long vpn) {
        return l1.tag(asid, vpn);
    }

    public int levels() {
        return l2 == null ? 1 : 2;
    }

    /** Whether the L1 holds a translation for ({@code asid}, {@code vpn}); does not age the entry. */
    public boolean l1Contains(int asid, long vpn) {
        return probe(l1, l1.tag(asid, vpn), vpn) >= 0;
    }

    /** Whether the L2 holds a translation for ({@code asid}, {@code vpn}); false without an L2. */
    public boolean l2Contains(int asid, long vpn) {
        return l2 != null && probe(l2, l2.tag(asid, vpn), vpn) >= 0;
    }

    /** Whether any level holds a translation for ({@code asid}, {@code vpn}). */
    public boolean contains(int asid, long vpn) {
        return l1Contains(asid, vpn) || l2Contains(asid, vpn);
    }

    /** The frame that the L1 or L2 maps ({@code asid}, {@code vpn}) to, or -1. */
    public int cachedFrame(int asid, long vpn) {
        long tag = tag(asid, vpn);   // both levels are in the same generation (flushAll)
        int i = probe(l1, tag, vpn);
        if (i >= 0) {
            return l1.frames[i];
        }
        if (l2 != null && (i = probe(l2, tag, vpn)) >= 0) {
            return l2.frames[i];
        }
        return -1;
    }

    /** Whether a cached translation of ({@code asid}, {@code vpn}) in the L1 or L2 permits writes. */
    public boolean isWritable(int asid, long vpn) {
        long tag = tag(asid, vpn);   // both levels are in the same generation (flushAll)
        int i = probe(l1, tag, vpn);
        if (i >= 0 && (l1.data[i] & TlbArray.DATA_WRITABLE) != 0) {
            return true;
        }
        return l2 != null && (i = probe(l2, tag, vpn)) >= 0 && (l2.data[i] & TlbArray.DATA_WRITABLE) != 0;
    }

    private static int probe(TlbArray a, long tag, long vpn) {
        int base = ((int) vpn & a.setMask) * a.ways;
        for (int way = 0; way < a.ways; way++) {
            if (a.tagAt(base + way) == tag) {
                return base + way;
            }
        }
        return -1;
    }

    /** Drops the translation of one page from every level. Returns whether any level held it. Owner only. */
    public boolean invalidatePage(int asid, long vpn) {
        long tag = tag(asid, vpn);
        boolean hit = l1.invalidate(vpn, tag);
        if (l2 != null) {
            hit |= l2.invalidate(vpn, tag);
        }
        return hit;
    }

    /** Drops every translation tagged {@code asid}. Returns the number of entries dropped. Owner only. */
    public int invalidateAsid(int asid) {
        return l1.invalidateAsid(asid) + (l2 == null ? 0 : l2.invalidateAsid(asid));
    }

    /**
     * Lets other CPUs invalidate this TLB ({@link #remoteInvalidatePage}, {@link #remoteInvalidateAsid}): from now
     * on the owner fences each fill against them. A strategy that invalidates remotely calls it for every CPU when
     * it is built, before the CPUs run.
     */
    public void enableRemoteInvalidation() {
        remoteInvalidation = true;
    }

    private void checkRemoteInvalidation() {
        if (!remoteInvalidation) {
            throw new IllegalStateException("a remote TLB invalidation on a TLB whose owner does not fence its fills: "
                    + "call enableRemoteInvalidation() before the CPUs run");
        }
    }

    /**
     * {@link #invalidatePage} from another CPU's thread (hardware broadcast), racing the owner's lookups and fills.
     *
     * @throws IllegalStateException unless {@link #enableRemoteInvalidation} was called
     */
    public boolean remoteInvalidatePage(int asid, long vpn) {
        checkRemoteInvalidation();
        remoteEpoch.incrementAndGet();
        try {
            // the page's key, whatever the owner's generation: every entry of the page goes (see TlbArray)
            long key = TlbArray.key(asid, vpn);
            boolean hit = l1.remoteInvalidate(vpn, key);
            if (l2 != null) {
                hit |= l2.remoteInvalidate(vpn, key);
            }
            return hit;
        } finally {
            remoteEpoch.incrementAndGet();
        }
    }

    /**
     * {@link #invalidateAsid} from another CPU's thread (hardware broadcast).
     *
     * @throws IllegalStateException unless {@link #enableRemoteInvalidation} was called
     */
    public int remoteInvalidateAsid(int asid) {
        checkRemoteInvalidation();
        remoteEpoch.incrementAndGet();
        try {
            return l1.remoteInvalidateAsid(asid) + (l2 == null ? 0 : l2.remoteInvalidateAsid(asid));
        } finally {
            remoteEpoch.incrementAndGet();
        }
    }

    /**
     * Drops every translation (both levels, {@link TlbArray#flushAll}): a new generation in each, so that they stay in
     * the same one and one tag serves a lookup in both. Owner only.
     */
    public void flushAll() {
        l1.flushAll();
        if (l2 != null) {
            l2.flushAll();
            assert l2.live == l1.live : "the TLB's levels left the same generation";
        }
    }

    /** Valid entries in the L1 and L2 together. */
    public int validEntries() {
        return l1.validEntries() + (l2 == null ? 0 : l2.validEntries());
    }
}
