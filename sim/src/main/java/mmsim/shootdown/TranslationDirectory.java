package mmsim.shootdown;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

import mmsim.cpu.Cpu;
import mmsim.cpu.WalkObserver;
import mmsim.mem.PhysicalMemory;
import mmsim.paging.PageTable;

/**
 * Which CPUs may hold the translation of each last-level page-table entry: per entry, the set of CPUs whose
 * page walks read it since its table frame was first walked. What a shared TLB directory keeps in hardware
 * (didi) and what abis learns from page access tracking, kept by one mechanism so that the two differ only in
 * what they do with it.
 *
 * <p>Sets only grow: a CPU whose TLB later evicted or invalidated the translation stays recorded, so a set is a
 * superset of the CPUs that hold the translation now, never a subset. (A hardware directory would also learn of
 * evictions; not modelling that makes mmsim's didi and abis send at most as many messages as an evicting
 * directory would, plus those to CPUs that already dropped the entry.)
 *
 * <p>Why no holder is missed: a walking CPU records itself (a volatile read-modify-write, unless its bit is already
 * set) before it reads the entry, and an initiator reads the set after its page-table change and a full fence. Of
 * the two, the later sees the other: either the initiator sees the walker's bit, or the walker reads the changed
 * entry. An entry the walker read before the change is the first case. (The jcstress twins of abis and didi
 * check this race.)
 *
 * <p>A leaf table copied by on-demand fork (a space's shared table made private) inherits the records of the table it
 * copies ({@link #leafTableCopied}): the space's later changes are made in the copy, and the CPUs that cached its
 * translations through the shared table must be found there. Modelled at no cost, as if the kernel told the
 * directory the entries moved; a directory indexed by entry address in hardware (DiDi's) could not follow a copy by
 * itself, and its kernel would have to flush the copied range instead.
 *
 * <p>Storage: one {@code long[512 * words]} per table frame walked, words = ceil(cpus / 64), allocated on its
 * first walk (4 KiB per table up to 64 CPUs); table frames are indexed through chunks of 1024, so a large
 * machine pays for the tables it uses only. Thread-safe; lock-free; the steady path allocates nothing.
 */
public final class TranslationDirectory implements WalkObserver {
    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);
    private static final VarHandle TABLES = MethodHandles.arrayElementVarHandle(long[][].class);
    private static final VarHandle CHUNKS = MethodHandles.arrayElementVarHandle(long[][][].class);
    private static final int CHUNK_SHIFT = 10;
    private static final int CHUNK_MASK = (1 << CHUNK_SHIFT) - 1;

    private final int words;
    private final long[][][] chunks;

    /** A directory for {@code cpus} CPUs over {@code frames} physical frames. */
    public TranslationDirectory(int cpus, int frames) {
        this.words = (cpus + 63) >>> 6;
        this.chunks = new long[(int) (((long) frames + CHUNK_MASK) >>> CHUNK_SHIFT)][][];
    }

    /** Installs this directory on every CPU's MMU: from now on each walk records its CPU. */
    public void attach(Cpu[] machine) {
        for (Cpu cpu : machine) {
            cpu.mmu().setWalkObserver(this);
        }
    }

    @Override
    public void beforeLeafRead(int cpu, int table, int index) {
        long[] sets = tableSets(table);
        int word = index * words + (cpu >>> 6);
        long bit = 1L << (cpu & 63);
        // volatile read, then a volatile RMW only if not yet recorded: a set bit is never cleared
        if (((long) LONGS.getVolatile(sets, word) & bit) == 0) {
            LONGS.getAndBitwiseOr(sets, word, bit);
        }
    }

    /**
     * The copy {@code to} inherits {@code from}'s records: every CPU that walked an entry of {@code from} is recorded
     * on the same entry of {@code to}. Without it a flush of the space that switched to the copy looked up only the
     * copy's records and missed the CPUs that had cached its translations through the shared table (stale TLB hits
     * under didi and abis with on-demand fork; {@code TableCopyHoldersTest}).
     *
     * <p>Why no walker is missed: the copier changed the link before this call, and reads {@code from}'s records after
     * a full fence; a walker records itself on the table its link led to, reads the entry, then re-reads the link
     * ({@code Mmu}) and walks again if it changed. Of the copier's link change and the walker's record, the later sees
     * the other: either this call sees the walker's bit, or the walker sees the new link and records itself on the
     * copy.
     */
    @Override
    public void leafTableCopied(int from, int to) {
        // StoreLoad: the link's change above precedes reading the walkers' records
        VarHandle.fullFence();
        long[] old = walkedSets(from);
        if (old == null) {
            return;   // no walk ever reached the old table
        }
        long[] copy = tableSets(to);
        for (int w = 0; w < old.length; w++) {
            long bits = (long) LONGS.getVolatile(old, w);
            if (bits != 0) {
                // an RMW: walkers of the copy record themselves in the same words meanwhile
                LONGS.getAndBitwiseOr(copy, w, bits);
            }
        }
    }

    /** Table frame {@code table}'s records, or null if no walk has reached it (volatile reads; allocates nothing). */
    private long[] walkedSets(int table) {
        long[][] chunk = (long[][]) CHUNKS.getVolatile(chunks, table >>> CHUNK_SHIFT);
        return chunk == null ? null : (long[]) TABLES.getVolatile(chunk, table & CHUNK_MASK);
    }

    private long[] tableSets(int table) {
        long[][] chunk = (long[][]) CHUNKS.getAcquire(chunks, table >>> CHUNK_SHIFT);
        if (chunk == null) {
            long[][] fresh = new long[1 << CHUNK_SHIFT][];
            // CAS: two first walkers of tables in one chunk keep one chunk
            chunk = (long[][]) CHUNKS.compareAndExchange(chunks, table >>> CHUNK_SHIFT, null, fresh);
            if (chunk == null) {
                chunk = fresh;
            }
        }
        long[] sets = (long[]) TABLES.getAcquire(chunk, table & CHUNK_MASK);
        if (sets == null) {
            long[] fresh = new long[PageTable.ENTRIES * words];
            sets = (long[]) TABLES.compareAndExchange(chunk, table & CHUNK_MASK, null, fresh);
            if (sets == null) {
                sets = fresh;
            }
        }
        return sets;
    }

    /**
     * Adds to {@code into} (one bit per CPU, {@code words()} longs) the CPUs that may hold the translation of
     * entry {@code index} of table frame {@code table}. Call after the page-table change and a full fence
     * ({@link #addHoldersOfRange} does both).
     */
    public void addHolders(int table, int index, long[] into) {
        long[] sets = walkedSets(table);
        if (sets == null) {
            return;
        }
        int base = index * words;
        for (int w = 0; w < words; w++) {
            into[w] |= (long) LONGS.getVolatile(sets, base + w);
        }
    }

    /**
     * Adds to {@code into} the CPUs that may hold a translation of any page of {@code request} (a range request
     * whose tables still exist). Returns the pages looked up, or -1 when a table on the way is gone (the
     * caller must then treat every CPU as a possible holder). Runs after the request's page-table changes.
     */
    public int addHoldersOfRange(PageTable pageTable, FlushRequest request, long[] into) {
        // StoreLoad: the page-table change above precedes reading the walkers' records (see the class comment)
        VarHandle.fullFence();
        int root = request.space().root();
        int looked = 0;
        for (int r = 0; r < request.ranges(); r++) {
            long va = request.start(r);
            for (long i = 0; i < request.pages(r); i++, va += PhysicalMemory.PAGE_SIZE) {
                int table = pageTable.leafTable(root, va);
                if (table < 0) {
                    return -1;
                }
                addHolders(table, PageTable.index(va, 0), into);
                looked++;
            }
        }
        return looked;
    }

    /** Longs per CPU set. */
    public int words() {
        return words;
    }

    /** Whether CPU {@code cpu} is in {@code set}. */
    public static boolean contains(long[] set, int cpu) {
        return (set[cpu >>> 6] & (1L << (cpu & 63))) != 0;
    }
}
