package mmsim.cpu;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;

import mmsim.config.MachineConfig.Replacement;

/**
 * One level of a TLB: {@code sets × ways} entries, set-associative, with a replacement policy.
 *
 * <p>An entry is three words at index {@code set·ways + way}: a tag ({@code VALID | asid << 36 | vpn};
 * 0 is an invalid entry), a data word (the frame's page-aligned host address | {@link #DATA_WRITABLE} |
 * {@link #DATA_DIRTY}) and the frame number. Only the tag decides validity, so invalidating an entry is
 * one store.
 *
 * <p>A way predictor ({@code wayHint}, indexed by low VPN bits) lets a hit read one tag instead of
 * scanning the set. It is only a hint, verified against the tag, so the modelled TLB (its hits, misses
 * and evictions) is exactly that of the set-associative structure.
 *
 * <p>Concurrency: the owning CPU's thread does every lookup and insert. Tags are read with opaque loads
 * (a loop of accesses cannot hoist them) and written with release stores, so a remote invalidation
 * (hardware broadcast) may clear a tag with a volatile store or CAS at any time; ages, data and hints are
 * owner-only plain fields.
 */
final class TlbArray {
    static final long VALID = 1L << 63;
    static final int ASID_SHIFT = 36;
    static final long VPN_MASK = (1L << ASID_SHIFT) - 1;
    static final int MAX_ASIDS = 1 << 12;
    static final long DATA_WRITABLE = 1L;
    static final long DATA_DIRTY = 1L << 1;
    static final long DATA_ADDRESS_MASK = ~0xFFFL;

    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);

    final int sets;
    final int ways;
    final int setMask;
    final long[] tags;
    final long[] data;
    final int[] frames;
    private final long[] ages;
    private final byte[] wayHint;
    private final int hintMask;
    private final Replacement replacement;
    private final boolean ageOnHit;
    /**
     * Sets that may hold a valid entry, one bit each: set by {@link #insert}, cleared by {@link #flushAll}
     * (owner only, plain). A set whose bit is clear holds no valid entry, so a full flush visits only the
     * sets used since the last one: a context switch without ASIDs costs the sets its process touched, not
     * all 1,600 entries of the default geometry. The owner's misses, fills and invalidations skip reading
     * the tags of such a set too: with 64 or more CPUs on 2 host cores a CPU's TLB is cold in the host's
     * caches each time it runs, and most sets are empty (flushed at the last switch).
     */
    private final long[] occupied;
    private long clock;
    private long random;

    TlbArray(int entries, int ways, Replacement replacement, long seed) {
        if (entries % ways != 0 || Integer.bitCount(entries / ways) != 1) {
            throw new IllegalArgumentException("entries/ways must be a power of two: " + entries + "/" + ways);
        }
        if (ways > 127) {
            throw new IllegalArgumentException("at most 127 ways: " + ways);
        }
        this.sets = entries / ways;
        this.ways = ways;
        this.setMask = sets - 1;
        this.tags = new long[entries];
        this.data = new long[entries];
        this.frames = new int[entries];
        this.ages = new long[entries];
        int hints = Integer.highestOneBit(Math.max(entries * 4 - 1, 1)) << 1;
        this.wayHint = new byte[hints];
        this.hintMask = hints - 1;
        this.replacement = replacement;
        this.ageOnHit = replacement == Replacement.LRU;
        this.occupied = new long[(sets + 63) >>> 6];
        this.random = seed == 0 ? 0x9E3779B97F4A7C15L : seed;
    }

    int entries() {
        return tags.length;
    }

    static long tag(int asid, long vpn) {
        return VALID | ((long) asid << ASID_SHIFT) | vpn;
    }

    long tagAt(int index) {
        // opaque: a remote invalidation's store becomes visible here, and a lookup loop cannot hoist the load
        return (long) LONGS.getOpaque(tags, index);
    }

    /** The index of the entry holding {@code tag} for page {@code vpn}, or -1. Ages the entry on a hit under LRU. */
    int lookup(long vpn, long tag) {
        int v = (int) vpn;
        int base = (v & setMask) * ways;
        int hinted = base + wayHint[v & hintMask];
        if (tagAt(hinted) == tag) {
            if (ageOnHit) {
                ages[hinted] = ++clock;
            }
            return hinted;
        }
        return lookupSlowPath(v, base, tag);
    }

    private int lookupSlowPath(int v, int base, long tag) {
        if (!occupied(v & setMask)) {
            return -1;
        }
        for (int way = 0; way < ways; way++) {
            int i = base + way;
            if (tagAt(i) == tag) {
                wayHint[v & hintMask] = (byte) way;
                if (ageOnHit) {
                    ages[i] = ++clock;
                }
                return i;
            }
        }
        return -1;
    }

    /**
     * Inserts or replaces the entry for {@code tag}. Returns true when a different valid entry was
     * evicted to make room.
     */
    boolean insert(long vpn, long tag, long dataWord, int frame) {
        int v = (int) vpn;
        int set = v & setMask;
        int base = set * ways;
        int victim = -1;
        int firstInvalid = -1;
        // one pass over the set: the entry for tag if present, else the first invalid way, else the oldest
        // (the choice separate passes made; valid entries' ages are distinct, so "oldest" is exact)
        int oldest = base;
        long oldestAge = Long.MAX_VALUE;
        if (!occupied(set)) {
            firstInvalid = base;   // an empty set: no way holds the tag, and the first is invalid
        } else {
            for (int way = 0; way < ways; way++) {
                int i = base + way;
                long t = tagAt(i);
                if (t == tag) {
                    victim = i;
                    break;
                }
                if (t == 0) {
                    if (firstInvalid < 0) {
                        firstInvalid = i;
                    }
                } else if (ages[i] < oldestAge) {
                    oldestAge = ages[i];
                    oldest = i;
                }
            }
        }
        boolean evicted = false;
        if (victim < 0) {
            if (firstInvalid >= 0) {
                victim = firstInvalid;
            } else {
                victim = replacement == Replacement.RANDOM ? randomWay(base) : oldest;
                evicted = true;
            }
        }
        data[victim] = dataWord;
        frames[victim] = frame;
        ages[victim] = ++clock;
        occupied[set >>> 6] |= 1L << set;
        wayHint[v & hintMask] = (byte) (victim - base);
        // release: the data word is written before the tag that makes the entry valid; the StoreLoad order
        // against the owner's re-read of the remote-invalidation epoch is the Mmu's fence after the fill (see Tlb)
        LONGS.setRelease(tags, victim, tag);
        return evicted;
    }

    /** A way of the set at {@code base} drawn from this array's seeded xorshift generator. */
    private int randomWay(int base) {
        long x = random;
        x ^= x << 13;
        x ^= x >>> 7;
        x ^= x << 17;
        random = x;
        return base + (int) Long.remainderUnsigned(x, ways);
    }

    /** Whether set {@code set} may hold a valid entry ({@link #occupied}). Owner only. */
    private boolean occupied(int set) {
        return (occupied[set >>> 6] & (1L << set)) != 0;
    }

    /** Invalidates the entry for {@code tag}, if present. Returns whether one was. Owner only. */
    boolean invalidate(long vpn, long tag) {
        return occupied((int) vpn & setMask) && remoteInvalidate(vpn, tag);
    }

    /**
     * {@link #invalidate} from any thread (a hardware-broadcast invalidation racing the owner's fills): reads
     * every way's tag, never the owner's plain {@link #occupied} bits.
     */
    boolean remoteInvalidate(long vpn, long tag) {
        int base = ((int) vpn & setMask) * ways;
        for (int way = 0; way < ways; way++) {
            int i = base + way;
            // CAS: a concurrent insert into this way by the owner must not be wiped by a remote invalidation
            if (tagAt(i) == tag && LONGS.compareAndSet(tags, i, tag, 0L)) {
                return true;
            }
        }
        return false;
    }

    /** Invalidates every entry tagged with {@code asid}. Returns how many were valid. Owner only: visits the occupied sets. */
    int invalidateAsid(int asid) {
        int n = 0;
        for (int w = 0; w < occupied.length; w++) {
            long bits = occupied[w];
            while (bits != 0) {
                int base = ((w << 6) + Long.numberOfTrailingZeros(bits)) * ways;
                bits &= bits - 1;
                n += invalidateAsid(asid, base, base + ways);
            }
        }
        return n;
    }

    /** {@link #invalidateAsid} from any thread (hardware broadcast): visits every entry. */
    int remoteInvalidateAsid(int asid) {
        return invalidateAsid(asid, 0, tags.length);
    }

    private int invalidateAsid(int asid, int from, int to) {
        int n = 0;
        for (int i = from; i < to; i++) {
            long t = tagAt(i);
            if (t != 0 && (int) ((t & ~VALID) >>> ASID_SHIFT) == asid && LONGS.compareAndSet(tags, i, t, 0L)) {
                n++;
            }
        }
        return n;
    }

    /**
     * Invalidates every entry, visiting only the sets used since the last flush. Plain stores, a few vector stores a
     * set ({@code Arrays.fill}): 0.45 µs for a full 1,536-entry array against 1.1 µs with a test and a release store
     * per entry and a count of the valid ones (measured on this project's 2-core host, JDK 25). The one fence at the
     * end orders the whole flush before what follows; a remote invalidator's CAS of a tag zeroed here fails
     * harmlessly. Owner only.
     */
    void flushAll() {
        long[] tags = this.tags;
        for (int w = 0; w < occupied.length; w++) {
            long bits = occupied[w];
            occupied[w] = 0;
            while (bits != 0) {
                int base = ((w << 6) + Long.numberOfTrailingZeros(bits)) * ways;
                bits &= bits - 1;
                Arrays.fill(tags, base, base + ways, 0L);
            }
        }
        VarHandle.fullFence();
    }

    /** Invalidates the entry at {@code index} if it still holds {@code tag}. */
    void invalidateIndex(int index, long tag) {
        LONGS.compareAndSet(tags, index, tag, 0L);
    }

    /** The index holding {@code tag} for {@code vpn}, or -1; no ageing. */
    int find(long vpn, long tag) {
        int base = ((int) vpn & setMask) * ways;
        for (int way = 0; way < ways; way++) {
            if (tagAt(base + way) == tag) {
                return base + way;
            }
        }
        return -1;
    }

    int validEntries() {
        int n = 0;
        for (int i = 0; i < tags.length; i++) {
            if (tagAt(i) != 0) {
                n++;
            }
        }
        return n;
    }
}
