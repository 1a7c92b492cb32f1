package mmsim.cpu;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;

import mmsim.config.MachineConfig.Replacement;

/**
 * One level of a TLB: {@code sets × ways} entries, set-associative, with a replacement policy.
 *
 * <p>An entry is three words at index {@code set·ways + way}: a tag ({@code VALID | generation << 48 | asid << 36 |
 * vpn}), a data word (the frame's page-aligned host address | {@link #DATA_WRITABLE} | {@link #DATA_DIRTY}) and the
 * frame number. Only the tag decides validity, so invalidating an entry is one store: an entry is valid when its tag's
 * top 16 bits are {@link #live}, {@code VALID} and the array's current generation, and 0 is never valid.
 *
 * <p>A full flush is a flash invalidation, as in hardware: it starts a new generation ({@link #flushAll}), and every
 * entry of the old one stops matching any lookup at once, without a store to it. A lookup's tag carries the current
 * generation ({@link #tag}); scans take a tag of another generation for an invalid way, as they take 0. The old
 * entries stay in the array as garbage until filled over; only when the 15-bit generation wraps (once every 32,768
 * flushes) are the tags zeroed, so that no entry of a generation long gone can match again.
 *
 * <p>A way predictor ({@code wayHint}, indexed by low VPN bits) lets a hit read one tag instead of
 * scanning the set. It is only a hint, verified against the tag, so the modelled TLB (its hits, misses
 * and evictions) is exactly that of the set-associative structure.
 *
 * <p>Replacement order, two representations with the same decisions (the least recently touched valid way, a touch
 * being an insert and, under LRU, a hit; {@code TlbArrayTest} checks both against a reference model):
 * <ul>
 *   <li><em>ages</em>: each entry keeps the array's clock of its last touch. A touch is one store; a full set's
 *       victim is a scan of the set's ages. The L1 uses it: its hit is the hottest path of the simulator, and its
 *       sets are narrow (4 ways: one host cache line of ages).</li>
 *   <li><em>packed recency</em> (sets of up to {@value #PACKED_MAX_WAYS} ways): each set keeps its ways in recency
 *       order in one word, 4 bits a way, the least recent lowest. A full set's victim is one load; a touch is a
 *       dozen register operations on that word. The L2 uses it: it is reached only after an L1 miss, and a scan
 *       of 12 ages read 2 more host cache lines and compared each (see below for what it saved; on the L1's hit
 *       path the touch cost 3.1 → 4.5 ns in {@code AccessPathBenchmark}, so the L1 keeps ages).</li>
 * </ul>
 *
 * <p>A miss chooses its fill: the scan of the set that finds no entry also finds the first invalid way, or that there is
 * none, and keeps that ({@code missTag}, {@code missWay}) for the insert that follows, which then writes without
 * scanning the set again. A full set's victim is chosen by the insert, from the replacement order as it is then (one
 * load of a packed order, four ages), so a hit between the miss and the insert (in a page fault's handler) cannot make
 * the kept choice stale: a hit changes the order, never which ways are valid. Anything that could change that
 * (every owner insert, invalidation and flush) clears it, and so does the MMU before the fills of a translation that
 * missed nothing (an L1 hit without write permission). The retry after a page fault fills with the choice its first
 * lookup kept, as a fresh scan would: it had scanned the sets again, 4 and 12 ways. Together with the packed L2
 * order: L1 miss + L2 miss + 4-level walk 64–66 → 51 ns ({@code AccessPathBenchmark}, 2 host cores).
 *
 * <p>Concurrency: the owning CPU's thread does every lookup and insert. Tags are written with release stores, and a
 * remote invalidation (hardware broadcast) may clear one with a CAS at any time; ages, recency words, the kept miss,
 * data and hints are owner-only plain fields. The scans read tags with opaque loads. The hit path's read of the hinted
 * tag is plain: a remote invalidation's completion waits for the owner to acknowledge it at an access boundary, which
 * it does after the exchange of its pending-interrupt flag (a volatile read-modify-write, ordered after the
 * invalidator's CAS by the post), so every lookup after the acknowledgement reads the cleared tag, however the
 * compiler moved the plain loads before it; until then the owner may still use the entry, as hardware may until
 * TLBSYNC completes. With an opaque load there the hit path re-read every field after it (C2 orders opaque accesses
 * with all others): TLB hit 3.50 to 3.39 ns, store 3.77 to 3.67-3.73 ({@code AccessPathBenchmark}, 3 forks each).
 * A remote invalidation between a miss and its fill does not clear the kept choice: the fill may then evict the least
 * recent valid way where a fresh scan would have taken the way the invalidation just freed. That is one of the orders
 * in which the two could have happened on hardware (the fill before the invalidation), and the fill's entry is kept
 * or dropped by the MMU's epoch check as before.
 */
final class TlbArray {
    static final long VALID = 1L << 63;
    static final int ASID_SHIFT = 36;
    static final long VPN_MASK = (1L << ASID_SHIFT) - 1;
    /** The generation's place in a tag: the 15 bits between the ASID's 12 and {@link #VALID}. */
    static final int GENERATION_SHIFT = 48;
    static final long GENERATION_MASK = 0x7FFFL << GENERATION_SHIFT;
    /** The bits of a tag that say whether it is valid now: {@link #VALID} and the generation. */
    static final long LIVE_MASK = VALID | GENERATION_MASK;
    static final int MAX_ASIDS = 1 << 12;
    static final long DATA_WRITABLE = 1L;
    static final long DATA_DIRTY = 1L << 1;
    static final long DATA_ADDRESS_MASK = ~0xFFFL;
    /** The widest set whose recency order fits in one word, 4 bits a way. */
    static final int PACKED_MAX_WAYS = 16;
    /** 1 in every 4-bit field of a word. */
    private static final long NIBBLE_ONES = 0x1111_1111_1111_1111L;
    /** The top bit of every 4-bit field of a word. */
    private static final long NIBBLE_HIGHS = 0x8888_8888_8888_8888L;

    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);
    private static final VarHandle LIVE;

    static {
        try {
            LIVE = MethodHandles.lookup().findVarHandle(TlbArray.class, "live", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final int sets;
    final int ways;
    final int setMask;
    final long[] tags;
    final long[] data;
    final int[] frames;
    /**
     * Per set, its ways in order of their last touch, 4 bits each, the least recent in bits 0-3 and the most recent
     * in the top used field; null when the array keeps {@link #ages}. Owner-only plain words.
     */
    private final long[] recency;
    /** Bit position of the most recent way's field in a {@link #recency} word: 4 · (ways - 1). */
    private final int mostRecentShift;
    /** Per entry, the {@link #clock} of its last touch; null when the array keeps {@link #recency}. Owner only. */
    private final long[] ages;
    private final byte[] wayHint;
    private final int hintMask;
    private final Replacement replacement;
    /** A hit touches its entry (LRU) and the array keeps {@link #ages}: the hit path's one store. */
    private final boolean ageOnHit;
    /** A hit touches its entry (LRU) and the array keeps {@link #recency}. */
    private final boolean reorderOnHit;
    /**
     * Sets that may hold a valid entry, one bit each: set by {@link #insert}, cleared by {@link #flushAll}
     * (owner only, plain). A set whose bit is clear holds no valid entry, so the owner's misses, fills and
     * invalidations skip reading its tags, and an ASID's invalidation visits only the sets used since the last
     * flush: with 64 or more CPUs on 2 host cores a CPU's TLB is cold in the host's caches each time it runs,
     * and most sets are empty (flushed at the last switch).
     */
    private final long[] occupied;
    /**
     * {@link #VALID} | the current generation: the top bits of every valid tag ({@link #LIVE_MASK}). Written by the
     * owner's {@link #flushAll} only, plain; read by the owner's lookups (through {@link #tag}) and scans, and with an
     * opaque load by a remote invalidation: a page's counts what it cleared (it clears the page's entries of every
     * generation), an ASID's clears the entries of the generation it read (see {@link #remoteInvalidateAsid}).
     */
    long live = VALID;
    private long clock;
    private long random;
    /**
     * The tag of the last lookup that missed, or 0 once anything may have changed the choice below: each insert,
     * owner invalidation, flush and {@link #forgetMiss} clears it. Owner-only plain fields, like the ages.
     */
    private long missTag;
    /**
     * The way an insert of {@link #missTag} fills, the first invalid way found by the miss's own scan of the set; -1: the
     * set was full, and the insert evicts the replacement policy's victim, chosen when it inserts.
     */
    private int missWay;

    /** An array that keeps a packed recency order per set if its sets fit one ({@code ways ≤ 16}), else ages. */
    TlbArray(int entries, int ways, Replacement replacement, long seed) {
        this(entries, ways, replacement, seed, true);
    }

    /**
     * @param packedRecency keep each set's recency order packed in one word (only if {@code ways ≤ 16}; else ages
     *        per entry): cheaper victims, dearer touches (see the class comment)
     */
    TlbArray(int entries, int ways, Replacement replacement, long seed, boolean packedRecency) {
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
        if (packedRecency && ways <= PACKED_MAX_WAYS) {
            long initial = 0;   // way w at rank w: the reference order, way 0 least recent
            for (int w = 0; w < ways; w++) {
                initial |= (long) w << (4 * w);
            }
            this.recency = new long[sets];
            Arrays.fill(recency, initial);
            this.ages = null;
        } else {
            this.recency = null;
            this.ages = new long[entries];
        }
        this.mostRecentShift = 4 * (ways - 1);
        int hints = Integer.highestOneBit(Math.max(entries * 4 - 1, 1)) << 1;
        this.wayHint = new byte[hints];
        this.hintMask = hints - 1;
        this.replacement = replacement;
        this.ageOnHit = replacement == Replacement.LRU && ages != null;
        this.reorderOnHit = replacement == Replacement.LRU && recency != null;
        this.occupied = new long[(sets + 63) >>> 6];
        this.random = seed == 0 ? 0x9E3779B97F4A7C15L : seed;
    }

    int entries() {
        return tags.length;
    }

    /** The tag that page {@code vpn} of address space {@code asid} has in this array now (its current generation). */
    long tag(int asid, long vpn) {
        return live | ((long) asid << ASID_SHIFT) | vpn;
    }

    /** The part of a tag that names the page and the ASID, whatever its generation: {@code VALID | asid << 36 | vpn}. */
    static long key(int asid, long vpn) {
        return VALID | ((long) asid << ASID_SHIFT) | vpn;
    }

    /** Whether tag {@code t} is valid in an array whose {@link #live} bits are {@code live}. */
    private static boolean isLive(long t, long live) {
        return (t & LIVE_MASK) == live;
    }

    long tagAt(int index) {
        return tagAt(tags, index);
    }

    /** {@link #tagAt(int)} of this array's {@link #tags}, passed in by a loop that keeps them in a local. */
    private static long tagAt(long[] tags, int index) {
        // opaque: a remote invalidation's store becomes visible here, and a lookup loop cannot hoist the load
        return (long) LONGS.getOpaque(tags, index);
    }

    /**
     * The index of the entry holding {@code tag} for page {@code vpn}, or -1. Ages the entry on a hit under LRU: the
     * hinted way ({@link #lookupHinted}), then the rest of the set ({@link #lookupScan}).
     */
    int lookup(long vpn, long tag) {
        int i = lookupHinted(vpn, tag);
        return i >= 0 ? i : lookupScan(vpn, tag);
    }

    /**
     * The hinted way only: the index of the entry holding {@code tag} if the way hint names it (aged under LRU),
     * else -1 without looking further; {@link #lookupScan} then looks at the rest of the set. The MMU's hit path
     * calls this alone, so that it stays small enough for C2 to inline into its callers, and leaves the scan to its
     * miss path. Kept to what the hint check needs: passing the set on as well kept one more value live across the
     * inlined hit path and cost the L1 hit 0.4 ns (register spills in the benchmark's loop).
     */
    int lookupHinted(long vpn, long tag) {
        int v = (int) vpn;
        int base = (v & setMask) * ways;
        int hinted = base + wayHint[v & hintMask];
        // a plain load (see the class comment): an opaque one is a compiler barrier that made C2 re-read every field
        // the rest of the hit path uses, on each access
        if (tags[hinted] == tag) {
            if (ageOnHit) {
                ages[hinted] = ++clock;
            } else if (reorderOnHit) {
                reorder(v & setMask, hinted - base);
            }
            return hinted;
        }
        return -1;
    }

    /**
     * {@link #lookup} after {@link #lookupHinted} missed: the scan of the set ({@link #lookupSlowPath}). A direct-mapped
     * array has nothing left to scan: -1 at once, keeping no fill choice, so its {@link #insert} looks at its one way
     * itself and makes the same choice (and, under RANDOM, the same one draw).
     */
    int lookupScan(long vpn, long tag) {
        if (ways == 1) {
            return -1;
        }
        int v = (int) vpn;
        return lookupSlowPath(v, (v & setMask) * ways, tag);
    }

    /**
     * The scan of the set after the way hint missed. On a miss the same pass finds the first invalid way, or that the
     * set is full, and keeps that for {@link #insert}, which then need not scan the set again: a miss is followed by the
     * fill of what it missed (after the page fault's handler, when the walk faults), and the MMU calls
     * {@link #forgetMiss} before the fills of a translation that missed nothing (an L1 hit without the permission).
     */
    private int lookupSlowPath(int v, int base, long tag) {
        int set = v & setMask;
        if (!occupied(set)) {
            keepMiss(tag, 0);   // an empty set: the first way is invalid
            return -1;
        }
        if (ways == 4) {
            return lookupSlowPath4(v, set, base, tag);
        }
        // locals: an opaque load keeps C2 from reusing a field read across it, so a bound or array read from a field
        // would be re-read each way and the loop would not be a counted one (a safepoint poll per way)
        long[] tags = this.tags;
        int ways = this.ways;
        long live = this.live;
        int firstInvalid = -1;
        for (int way = 0; way < ways; way++) {
            long t = tagAt(tags, base + way);
            if (t == tag) {
                return scanHit(v, set, base, way);
            }
            if (!isLive(t, live) && firstInvalid < 0) {
                firstInvalid = way;
            }
        }
        return scanMiss(tag, firstInvalid);
    }

    /** A scan found {@code tag} in {@code way}: hint it, touch it (LRU) and return its index. */
    private int scanHit(int v, int set, int base, int way) {
        wayHint[v & hintMask] = (byte) way;
        if (ageOnHit || reorderOnHit) {
            touch(set, way);
        }
        return base + way;
    }

    /**
     * A scan missed: keeps the way the insert will fill, the first invalid one, or -1 for a full set (the insert chooses
     * the victim: a hit before it may reorder the set, and under RANDOM a miss without a fill draws nothing); returns -1.
     */
    private int scanMiss(long tag, int firstInvalid) {
        keepMiss(tag, firstInvalid);
        return -1;
    }

    /**
     * {@link #lookupSlowPath} of a 4-way array (the default L1), without a loop: for a handful of ways a counted loop's
     * set-up (C2's pre-, main and post-loops) costs more than the scan.
     */
    private int lookupSlowPath4(int v, int set, int base, long tag) {
        long[] tags = this.tags;
        long t0 = tagAt(tags, base);
        long t1 = tagAt(tags, base + 1);
        long t2 = tagAt(tags, base + 2);
        long t3 = tagAt(tags, base + 3);
        int way = t0 == tag ? 0 : t1 == tag ? 1 : t2 == tag ? 2 : t3 == tag ? 3 : -1;
        if (way >= 0) {
            return scanHit(v, set, base, way);
        }
        long live = this.live;
        return scanMiss(tag, !isLive(t0, live) ? 0 : !isLive(t1, live) ? 1 : !isLive(t2, live) ? 2 : !isLive(t3, live) ? 3 : -1);
    }

    private void keepMiss(long tag, int way) {
        missTag = tag;
        missWay = way;
    }

    /**
     * Forgets the choice the last missed lookup made for its fill ({@link #lookupSlowPath}): the MMU calls it before
     * fills that follow no miss of their own. Owner only.
     */
    void forgetMiss() {
        missTag = 0;
    }

    /** Makes {@code way} the most recently touched of {@code set}. Owner only. */
    private void touch(int set, int way) {
        if (recency == null) {
            ages[set * ways + way] = ++clock;
        } else {
            reorder(set, way);
        }
    }

    /**
     * {@link #touch} of an array that keeps {@link #recency}: find the way's 4-bit field (the lowest field of
     * {@code order ^ way·0x1111…} that is zero, by the zero-field test, exact for the lowest), drop it, shift the
     * more recent fields down one and put the way on top.
     */
    private void reorder(int set, int way) {
        long[] r = recency;
        long order = r[set];
        long x = order ^ (way * NIBBLE_ONES);
        int shift = Long.numberOfTrailingZeros((x - NIBBLE_ONES) & ~x & NIBBLE_HIGHS) - 3;
        long lessRecent = order & ((1L << shift) - 1);
        long moreRecent = (order >>> 4) & (-1L << shift);
        r[set] = lessRecent | moreRecent | ((long) way << mostRecentShift);
    }

    /**
     * The least recently touched way of a full {@code set} (its entries start at {@code base}); every way is valid, and
     * valid entries' ages are distinct, so the oldest is exact. Owner only.
     */
    private int leastRecentWay(int set, int base) {
        if (recency != null) {
            return (int) (recency[set] & 0xF);
        }
        long[] ages = this.ages;
        int ways = this.ways;
        if (ways == 4) {
            // without a loop, as in lookupSlowPath4; the ages of a full set are distinct, so the order of the tests
            // does not matter
            long a0 = ages[base];
            long a1 = ages[base + 1];
            long a2 = ages[base + 2];
            long a3 = ages[base + 3];
            int w01 = a1 < a0 ? 1 : 0;
            int w23 = a3 < a2 ? 3 : 2;
            return Math.min(a0, a1) <= Math.min(a2, a3) ? w01 : w23;
        }
        int oldest = 0;
        long oldestAge = Long.MAX_VALUE;
        for (int way = 0; way < ways; way++) {
            if (ages[base + way] < oldestAge) {
                oldestAge = ages[base + way];
                oldest = way;
            }
        }
        return oldest;
    }

    /**
     * Inserts or replaces the entry for {@code tag}. Returns true when a different valid entry was
     * evicted to make room.
     */
    boolean insert(long vpn, long tag, long dataWord, int frame) {
        int v = (int) vpn;
        int set = v & setMask;
        int base = set * ways;
        int way = -1;
        boolean evicted = false;
        if (tag == missTag) {
            way = missWay;   // the choice the miss's scan made (lookupSlowPath)
            if (way < 0) {
                way = replacement == Replacement.RANDOM ? randomWay() : leastRecentWay(set, base);
                evicted = true;
            }
        } else if (!occupied(set)) {
            way = 0;   // an empty set: no way holds the tag, and the first is invalid
        } else {
            // one pass over the set: the way holding tag if any, else the first invalid way
            long[] tags = this.tags;
            int ways = this.ways;
            long live = this.live;
            int firstInvalid = -1;
            for (int w = 0; w < ways; w++) {
                long t = tagAt(tags, base + w);
                if (t == tag) {
                    way = w;
                    break;
                }
                if (!isLive(t, live) && firstInvalid < 0) {
                    firstInvalid = w;
                }
            }
            if (way < 0) {
                if (firstInvalid >= 0) {
                    way = firstInvalid;
                } else {
                    way = replacement == Replacement.RANDOM ? randomWay() : leastRecentWay(set, base);
                    evicted = true;
                }
            }
        }
        missTag = 0;
        int victim = base + way;
        data[victim] = dataWord;
        frames[victim] = frame;
        touch(set, way);
        occupied[set >>> 6] |= 1L << set;
        wayHint[v & hintMask] = (byte) way;
        // release: the data word is written before the tag that makes the entry valid; the StoreLoad order
        // against the owner's re-read of the remote-invalidation epoch is the Mmu's fence after the fill (see Tlb)
        LONGS.setRelease(tags, victim, tag);
        return evicted;
    }

    /** A way drawn from this array's seeded xorshift generator. */
    private int randomWay() {
        long x = random;
        x ^= x << 13;
        x ^= x >>> 7;
        x ^= x << 17;
        random = x;
        return (int) Long.remainderUnsigned(x, ways);
    }

    /** Whether set {@code set} may hold a valid entry ({@link #occupied}). Owner only. */
    private boolean occupied(int set) {
        return (occupied[set >>> 6] & (1L << set)) != 0;
    }

    /**
     * Invalidates the entry for {@code tag} (of the current generation: {@link #tag}), if present. Returns whether one
     * was. Owner only.
     */
    boolean invalidate(long vpn, long tag) {
        missTag = 0;
        if (!occupied((int) vpn & setMask)) {
            return false;
        }
        // a valid tag is in one way at most; CAS: a remote invalidation may clear it meanwhile
        int i = find(vpn, tag);
        return i >= 0 && LONGS.compareAndSet(tags, i, tag, 0L);
    }

    /**
     * {@link #invalidate} from any thread (a hardware-broadcast invalidation racing the owner's fills and flushes), of
     * the page {@code key} names ({@link #key}): clears every entry of that page and ASID in the set, of any
     * generation, so that which generation the owner is in does not matter (a set holds at most a few, one valid).
     * Returns whether one of them was valid. Reads every way's tag, never the owner's plain {@link #occupied} bits.
     */
    boolean remoteInvalidate(long vpn, long key) {
        long[] tags = this.tags;
        int ways = this.ways;
        int base = ((int) vpn & setMask) * ways;
        long live = (long) LIVE.getOpaque(this);
        boolean cleared = false;
        for (int way = 0; way < ways; way++) {
            int i = base + way;
            long t = tagAt(tags, i);
            // CAS: a concurrent insert into this way by the owner must not be wiped by a remote invalidation
            if ((t & ~GENERATION_MASK) == key && LONGS.compareAndSet(tags, i, t, 0L)) {
                cleared |= isLive(t, live);
            }
        }
        return cleared;
    }

    /** Invalidates every valid entry tagged with {@code asid}. Returns how many. Owner only: visits the occupied sets. */
    int invalidateAsid(int asid) {
        missTag = 0;
        int n = 0;
        long live = this.live;
        for (int w = 0; w < occupied.length; w++) {
            long bits = occupied[w];
            while (bits != 0) {
                int base = ((w << 6) + Long.numberOfTrailingZeros(bits)) * ways;
                bits &= bits - 1;
                for (int i = base; i < base + ways; i++) {
                    long t = tagAt(tags, i);
                    if (isLive(t, live) && asidOf(t) == asid && LONGS.compareAndSet(tags, i, t, 0L)) {
                        n++;
                    }
                }
            }
        }
        return n;
    }

    /**
     * {@link #invalidateAsid} from any thread (hardware broadcast): visits every entry and clears the valid ones of
     * {@code asid}. Returns how many. Valid means of the generation this reads first: an entry of an older one is dead,
     * and one of a newer one was filled after a flush that came after that read, so the fill overlapped this
     * invalidation and the owner drops it ({@link Tlb#remoteEpoch}). Old generations' entries are left alone, as zeroed
     * tags were before generations: without ASIDs every entry a context switch left behind has ASID 0, and a CAS each
     * would have made a broadcast full invalidation cost up to 1,600 locked instructions.
     */
    int remoteInvalidateAsid(int asid) {
        long live = (long) LIVE.getOpaque(this);
        int n = 0;
        for (int i = 0; i < tags.length; i++) {
            long t = tagAt(i);
            if (isLive(t, live) && asidOf(t) == asid && LONGS.compareAndSet(tags, i, t, 0L)) {
                n++;
            }
        }
        return n;
    }

    /** The ASID in tag {@code t}: its bits 36 to 47. */
    private static int asidOf(long t) {
        return (int) (t >>> ASID_SHIFT) & (MAX_ASIDS - 1);
    }

    /**
     * Invalidates every entry at once: a new generation ({@link #live}), so that no lookup's tag matches an entry of
     * the old one, and the occupied sets' bits cleared. No store to an entry: a context switch without ASIDs zeroed the
     * tags of every set its process had used, about 1.2 µs of host time at 256 simulated CPUs, where a CPU's TLB is
     * cold in the host's caches (4 % of a deterministic 256-CPU chaos run). When the generation wraps, the tags are
     * zeroed (plain stores; a remote invalidator's CAS of a tag zeroed here fails harmlessly) and the generation starts
     * again at 0. Owner only.
     */
    void flushAll() {
        missTag = 0;
        Arrays.fill(occupied, 0L);
        long next = (live & GENERATION_MASK) + (1L << GENERATION_SHIFT);
        if ((next & ~GENERATION_MASK) != 0) {
            Arrays.fill(tags, 0L);
            next = 0;
        }
        live = VALID | next;
    }

    /** Invalidates the entry at {@code index} if it still holds {@code tag}. Owner only. */
    void invalidateIndex(int index, long tag) {
        missTag = 0;
        LONGS.compareAndSet(tags, index, tag, 0L);
    }

    /** The index holding {@code tag} for {@code vpn}, or -1; no ageing. */
    int find(long vpn, long tag) {
        long[] tags = this.tags;
        int ways = this.ways;
        int base = ((int) vpn & setMask) * ways;
        for (int way = 0; way < ways; way++) {
            if (tagAt(tags, base + way) == tag) {
                return base + way;
            }
        }
        return -1;
    }

    /** Valid entries: those of the current generation. Owner only. */
    int validEntries() {
        int n = 0;
        for (int i = 0; i < tags.length; i++) {
            if (isLive(tagAt(i), live)) {
                n++;
            }
        }
        return n;
    }
}
