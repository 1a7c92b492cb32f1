package mmsim.paging;

import mmsim.mem.FrameMetadata;
import mmsim.mem.FramePool;
import mmsim.mem.PhysicalMemory;

/**
 * Four-level, 512-entry page tables for 48-bit virtual addresses and 4 KiB pages, stored in frames of
 * physical memory like any other page. Stateless beyond the memory it works on: a tree is named by its
 * root frame.
 *
 * <p>Levels are numbered as the walk descends: 3 (PML4), 2 (PDPT), 1 (PD), 0 (PT, the leaf level).
 * A table frame's reference count counts the tables that link to it (1, or more when on-demand fork
 * shares a leaf table).
 *
 * <p>Concurrency contract:
 * <ul>
 *   <li>Every entry is read with an acquire load ({@code laLong}) and changed by CAS, so a reader sees
 *       an entry either before or after any update, never torn.</li>
 *   <li>A new table is zeroed with plain stores and linked with a CAS from empty (the CAS is a release),
 *       so a walker that reads the link with an acquire load sees a fully zeroed table. The loser of the
 *       CAS returns its frame and descends into the winner's table: each table is installed exactly once.</li>
 *   <li>Nothing here frees tables that a concurrent walker may be descending: {@link #unlinkUnusedTables}
 *       only unlinks them, and the kernel frees them once no CPU can still be walking them.</li>
 * </ul>
 * Slots are named by host address ({@code long}); {@link #NO_SLOT} (0) means none.
 */
public final class PageTable {
    public static final int LEVELS = 4;
    public static final int ENTRIES = 512;
    public static final int VA_BITS = 48;
    /** User space: [0, 2^47), the lower canonical half. */
    public static final long USER_VA_LIMIT = 1L << (VA_BITS - 1);
    /** Bytes mapped by one leaf table (512 pages: 2 MiB). */
    public static final long LEAF_TABLE_SPAN = (long) ENTRIES << PhysicalMemory.PAGE_SHIFT;
    public static final long NO_SLOT = 0L;

    /** Flags of a link to a lower table: the leaf entry decides the page's own permissions. */
    public static final long TABLE_LINK_FLAGS = Pte.PRESENT | Pte.WRITABLE | Pte.USER;

    private final PhysicalMemory memory;
    private final FramePool pool;
    private final FrameMetadata frames;

    public PageTable(PhysicalMemory memory, FramePool pool, FrameMetadata frames) {
        this.memory = memory;
        this.pool = pool;
        this.frames = frames;
    }

    /** The 9-bit index of {@code va} at {@code level} (3 = root). */
    public static int index(long va, int level) {
        return (int) (va >>> (PhysicalMemory.PAGE_SHIFT + 9 * level)) & (ENTRIES - 1);
    }

    /** Whether {@code va} lies in user space, the only part of the address space that is mapped. */
    public static boolean isUserAddress(long va) {
        return va >= 0 && va < USER_VA_LIMIT;
    }

    /** Physical frames of the memory the tables live in. */
    public int frames() {
        return memory.frames();
    }

    /** The host address of entry {@code index} in table frame {@code table}. */
    public long slotAddress(int table, int index) {
        return memory.frameAddress(table) + ((long) index << 3);
    }

    /**
     * A new, zeroed table frame with one reference, taken on {@code cpu} (or {@link FramePool#NO_CPU});
     * {@link FramePool#NO_FRAME} when memory is exhausted.
     */
    public int allocateTable(int cpu) {
        int frame = allocateTableToFill(cpu);
        if (frame != FramePool.NO_FRAME) {
            memory.zeroFrame(frame);
        }
        return frame;
    }

    /**
     * A new table frame with one reference and undefined contents, for a caller that writes all
     * {@link #ENTRIES} entries before it links the table ({@link #linkFilledTable}): a table built whole, as
     * fork builds a child's leaf table, need not be zeroed first. {@link FramePool#NO_FRAME} when memory is
     * exhausted.
     */
    public int allocateTableToFill(int cpu) {
        int frame = pool.allocate(cpu);
        if (frame == FramePool.NO_FRAME) {
            return FramePool.NO_FRAME;
        }
        frames.claim(frame);
        return frame;
    }

    /**
     * Links {@code table}, every entry of which is written, at the empty link {@code slot}. CAS (release): the
     * entries are visible before the link that leads to them. Returns false, linking nothing, when the slot is
     * not empty.
     */
    public boolean linkFilledTable(long slot, int table) {
        return PhysicalMemory.casLong(slot, 0L, Pte.make(table, TABLE_LINK_FLAGS));
    }

    /**
     * The host address of the leaf entry for {@code va}, or {@link #NO_SLOT} when a table on the way is
     * missing. Reads each link with an acquire load.
     */
    public long leafSlot(int root, long va) {
        int table = root;
        for (int level = LEVELS - 1; level > 0; level--) {
            long link = PhysicalMemory.laLong(slotAddress(table, index(va, level)));
            if (!Pte.isPresent(link)) {
                return NO_SLOT;
            }
            table = Pte.frame(link);
        }
        return slotAddress(table, index(va, 0));
    }

    /**
     * The frame of the last-level table that holds {@code va}'s entry, or -1 when a table on the way is
     * missing. Reads each link with an acquire load. The entry is {@code index(va, 0)} of it.
     */
    public int leafTable(int root, long va) {
        int table = root;
        for (int level = LEVELS - 1; level > 0; level--) {
            long link = PhysicalMemory.laLong(slotAddress(table, index(va, level)));
            if (!Pte.isPresent(link)) {
                return -1;
            }
            table = Pte.frame(link);
        }
        return table;
    }

    /**
     * Like {@link #leafSlot} but creates missing tables on {@code cpu}. Returns {@link #NO_SLOT} only
     * when memory for a table is exhausted (tables created before that stay; they are empty and freed
     * with the tree).
     */
    public long leafSlotMut(int cpu, int root, long va) {
        return slotMut(cpu, root, va, 0);
    }

    /**
     * The host address of the entry for {@code va} at {@code level} (0 = leaf entry, 1 = the link to the
     * leaf table, ...), creating the tables above it on {@code cpu}; {@link #NO_SLOT} when out of frames.
     */
    public long slotMut(int cpu, int root, long va, int level) {
        int table = root;
        for (int l = LEVELS - 1; l > level; l--) {
            long slot = slotAddress(table, index(va, l));
            long link = PhysicalMemory.laLong(slot);
            if (!Pte.isPresent(link)) {
                link = installTable(cpu, slot);
                if (link == 0) {
                    return NO_SLOT;
                }
            }
            table = Pte.frame(link);
        }
        return slotAddress(table, index(va, level));
    }

    /** The host address of the entry for {@code va} at {@code level}, or {@link #NO_SLOT} when a table above is missing. */
    public long slot(int root, long va, int level) {
        int table = root;
        for (int l = LEVELS - 1; l > level; l--) {
            long link = PhysicalMemory.laLong(slotAddress(table, index(va, l)));
            if (!Pte.isPresent(link)) {
                return NO_SLOT;
            }
            table = Pte.frame(link);
        }
        return slotAddress(table, index(va, level));
    }

    /** Links a new table at an empty {@code slot}; returns the link that won, or 0 when out of frames. */
    private long installTable(int cpu, long slot) {
        int fresh = allocateTable(cpu);
        if (fresh == FramePool.NO_FRAME) {
            return 0;
        }
        // the new table's zeroed entries are visible before the link that leads to them
        if (linkFilledTable(slot, fresh)) {
            return Pte.make(fresh, TABLE_LINK_FLAGS);
        }
        // Another CPU linked a table first: give ours back and use theirs.
        frames.release(fresh);
        pool.free(cpu, fresh);
        return PhysicalMemory.laLong(slot);
    }

    /**
     * The leaf entry for {@code va} as the hardware sees it: the leaf word with {@link Pte#WRITABLE}
     * cleared when any link above it is write-protected; 0 when not mapped.
     */
    public long walk(int root, long va) {
        int table = root;
        long writable = Pte.WRITABLE;
        for (int level = LEVELS - 1; level > 0; level--) {
            long link = PhysicalMemory.laLong(slotAddress(table, index(va, level)));
            if (!Pte.isPresent(link)) {
                return 0;
            }
            writable &= link;
            table = Pte.frame(link);
        }
        long leaf = PhysicalMemory.laLong(slotAddress(table, index(va, 0)));
        return leaf & (~Pte.WRITABLE | writable);
    }

    /** Receives leaf entries in address order. */
    @FunctionalInterface
    public interface LeafVisitor {
        /**
         * @param va        the page's virtual address
         * @param slot      host address of its leaf entry
         * @param leafTable the leaf table frame holding the entry
         */
        void visit(long va, long slot, int leafTable);
    }

    /**
     * Visits every leaf slot whose entry is non-zero, for pages in {@code [from, to)}, skipping absent
     * tables. The caller owns the range (no concurrent table removal).
     */
    public void forEachLeaf(int root, long from, long to, LeafVisitor visitor) {
        visitLevel(root, LEVELS - 1, 0L, from, to, visitor);
    }

    private void visitLevel(int table, int level, long base, long from, long to, LeafVisitor visitor) {
        int shift = PhysicalMemory.PAGE_SHIFT + 9 * level;
        long span = 1L << shift;
        for (int i = firstIndex(base, from, shift), last = lastIndex(base, to, shift); i <= last; i++) {
            long start = base + i * span;
            long end = start + span;
            if (end <= from || start >= to) {
                continue;
            }
            long slot = slotAddress(table, i);
            long entry = PhysicalMemory.laLong(slot);
            if (entry == 0) {
                continue;
            }
            if (level == 0) {
                visitor.visit(start, slot, table);
            } else if (Pte.isPresent(entry)) {
                visitLevel(Pte.frame(entry), level - 1, start, from, to, visitor);
            }
        }
    }

    /**
     * The first entry of a table mapping from {@code base} (each entry {@code 1 << shift} bytes) that overlaps
     * addresses at or above {@code from}: the walks visit only the entries a range covers, not all 512 of every
     * table on the way (a fork of a process with many small areas walked 2,048 entries per area).
     */
    private static int firstIndex(long base, long from, int shift) {
        return from <= base ? 0 : (int) Math.min(ENTRIES, (from - base) >>> shift);
    }

    /** The last entry of such a table that overlaps addresses below {@code to}; below {@link #firstIndex} when none does. */
    private static int lastIndex(long base, long to, int shift) {
        return to <= base ? -1 : (int) Math.min(ENTRIES - 1, (to - 1 - base) >>> shift);
    }

    /** Receives each leaf table in address order. */
    @FunctionalInterface
    public interface LeafTableVisitor {
        /**
         * @param va       the first virtual address the table maps (2 MiB aligned)
         * @param linkSlot host address of the level-1 entry that links to the table
         * @param table    the leaf table frame
         */
        void visit(long va, long linkSlot, int table);
    }

    /** Visits every present link to a leaf table covering part of {@code [from, to)}. */
    public void forEachLeafTable(int root, long from, long to, LeafTableVisitor visitor) {
        visitLinks(root, LEVELS - 1, 0L, from, to, 1, visitor);
    }

    /**
     * Visits, in address order, each table of links to leaf tables (level 1: it maps 1 GiB) under {@code root} that
     * maps part of {@code [from, to)}: the {@link LeafTableVisitor} receives its 1 GiB-aligned base address, the
     * host address of the entry linking it and its frame. For a caller that loops over the links itself (on-demand
     * fork shares every leaf table a link names). Reads each link with an acquire load.
     */
    public void forEachLinkTable(int root, long from, long to, LeafTableVisitor visitor) {
        visitLinks(root, LEVELS - 1, 0L, from, to, 2, visitor);
    }

    /** Visits the tables one level below {@code visitLevel} under {@code table} (at {@code level}) that overlap [from, to). */
    private void visitLinks(int table, int level, long base, long from, long to, int visitLevel, LeafTableVisitor visitor) {
        int shift = PhysicalMemory.PAGE_SHIFT + 9 * level;
        long span = 1L << shift;
        for (int i = firstIndex(base, from, shift), last = lastIndex(base, to, shift); i <= last; i++) {
            long start = base + i * span;
            if (start + span <= from || start >= to) {
                continue;
            }
            long slot = slotAddress(table, i);
            long entry = PhysicalMemory.laLong(slot);
            if (!Pte.isPresent(entry)) {
                continue;
            }
            if (level == visitLevel) {
                visitor.visit(start, slot, Pte.frame(entry));
            } else {
                visitLinks(Pte.frame(entry), level - 1, start, from, to, visitLevel, visitor);
            }
        }
    }

    /** Whether anything may still need a table that maps {@code [start, end)} (a VMA there, for the kernel). */
    @FunctionalInterface
    public interface SpanInUse {
        boolean inUse(long start, long end);
    }

    /** Receives each table {@link #unlinkUnusedTables} unlinked. */
    @FunctionalInterface
    public interface TableUnlinked {
        /**
         * @param table the table frame, no longer reachable from the root (still referenced: the caller frees it)
         * @param level its level (0: a leaf table)
         */
        void unlinked(int table, int level);
    }

    /**
     * Unlinks from the tree under {@code root} every table below the root whose span overlaps
     * {@code [from, to)}, that {@code inUse} says no one needs (Linux's free_pgtables frees the tables between
     * the neighbouring VMAs), that this tree alone holds (reference count 1: on-demand fork's shared leaf
     * tables stay for their other holders) and that holds no entry, deepest first, so that a table emptied by
     * unlinking its own tables goes too; reports each to {@code sink}. Returns how many.
     *
     * <p>The caller must own the range, as the kernel does with the address space's lock held for writing: no
     * one adds entries meanwhile. A walker that read a link before it was cleared may still be inside the
     * table: the caller frees the tables only once every CPU that may walk this tree has passed an interrupt
     * boundary (a shootdown), as Linux's tlb_remove_table does.
     */
    public int unlinkUnusedTables(int root, long from, long to, SpanInUse inUse, TableUnlinked sink) {
        return unlinkBelow(root, LEVELS - 1, 0L, from, to, inUse, sink);
    }

    private int unlinkBelow(int table, int level, long base, long from, long to, SpanInUse inUse, TableUnlinked sink) {
        int shift = PhysicalMemory.PAGE_SHIFT + 9 * level;
        long span = 1L << shift;
        int unlinked = 0;
        for (int i = firstIndex(base, from, shift), last = lastIndex(base, to, shift); i <= last; i++) {
            long start = base + i * span;
            if (start + span <= from || start >= to) {
                continue;
            }
            long slot = slotAddress(table, i);
            long link = PhysicalMemory.laLong(slot);
            if (!Pte.isPresent(link)) {
                continue;
            }
            int child = Pte.frame(link);
            if (level > 1) {
                unlinked += unlinkBelow(child, level - 1, start, from, to, inUse, sink);
            }
            if (!inUse.inUse(start, start + span) && frames.refCount(child) == 1 && isEmpty(child)
                    && PhysicalMemory.casLong(slot, link, 0L)) {
                sink.unlinked(child, level - 1);
                unlinked++;
            }
        }
        return unlinked;
    }

    /** Whether every entry of {@code table} is zero. */
    private boolean isEmpty(int table) {
        for (int i = 0; i < ENTRIES; i++) {
            if (PhysicalMemory.laLong(slotAddress(table, i)) != 0) {
                return false;
            }
        }
        return true;
    }

    /** Called for a leaf table whose last reference was just dropped, before the table frame is freed. */
    @FunctionalInterface
    public interface LeafTableFreed {
        void freed(int table);
    }

    /**
     * Drops this tree's reference to every table frame under (and including) {@code root}, freeing each
     * table whose last reference it was; a leaf table shared with another tree survives for its other
     * holders. {@code onLeafFreed} runs for each leaf table about to be freed, so the caller can release
     * the data frames its entries hold; only the tree that drops a table's last reference sees it.
     */
    public void releaseTables(int cpu, int root, LeafTableFreed onLeafFreed) {
        releaseTable(cpu, root, LEVELS - 1, onLeafFreed);
    }

    /** {@link #releaseTables(int, int, LeafTableFreed)} for a tree whose leaf entries hold nothing. */
    public void releaseTables(int cpu, int root) {
        releaseTable(cpu, root, LEVELS - 1, table -> { });
    }

    private void releaseTable(int cpu, int table, int level, LeafTableFreed onLeafFreed) {
        if (!frames.release(table)) {
            return;
        }
        if (level > 0) {
            for (int i = 0; i < ENTRIES; i++) {
                long entry = PhysicalMemory.laLong(slotAddress(table, i));
                if (Pte.isPresent(entry)) {
                    releaseTable(cpu, Pte.frame(entry), level - 1, onLeafFreed);
                }
            }
        } else {
            onLeafFreed.freed(table);
        }
        pool.free(cpu, table);
    }

    /** Table frames in the tree (each shared table counted once per tree that reaches it). */
    public long countTables(int root) {
        return countTables(root, LEVELS - 1);
    }

    private long countTables(int table, int level) {
        long n = 1;
        if (level > 0) {
            for (int i = 0; i < ENTRIES; i++) {
                long entry = PhysicalMemory.laLong(slotAddress(table, i));
                if (Pte.isPresent(entry)) {
                    n += countTables(Pte.frame(entry), level - 1);
                }
            }
        }
        return n;
    }
}
