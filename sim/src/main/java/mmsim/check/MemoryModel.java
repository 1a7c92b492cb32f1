package mmsim.check;

import java.util.ArrayList;
import java.util.List;

import mmsim.mem.PhysicalMemory;

/**
 * The content oracle's reference model (invariant 10): a sequential map of what one owner (a thread, or
 * a process's copy of it) last stored in each tracked word of its own regions. Regions are tracked at a
 * few words per page; a freshly mapped or madvised page reads zeros. Single-threaded: each model has
 * one owner. {@link #copy()} is what fork gives the child.
 */
public final class MemoryModel {
    /** Words tracked per page (at offsets 0, 8, 16, 24 past {@link #WORD_BASE}). */
    public static final int WORDS_PER_PAGE = 4;
    /** Byte offset of the first tracked word in a page. */
    public static final int WORD_BASE = 64;

    /** A mapped region and its tracked words. */
    public static final class Region {
        public final long start;
        public final int pages;
        public boolean writable;
        final long[] words;

        Region(long start, int pages, boolean writable) {
            this.start = start;
            this.pages = pages;
            this.writable = writable;
            this.words = new long[pages * WORDS_PER_PAGE];
        }

        /** The address of tracked word {@code w} of page {@code page}. */
        public long address(int page, int w) {
            return start + (long) page * PhysicalMemory.PAGE_SIZE + WORD_BASE + 8L * w;
        }

        public long expected(int page, int w) {
            return words[page * WORDS_PER_PAGE + w];
        }

        public void stored(int page, int w, long value) {
            words[page * WORDS_PER_PAGE + w] = value;
        }

        /** The page's tracked words now read zero (madvise DONTNEED). */
        public void zero(int page) {
            java.util.Arrays.fill(words, page * WORDS_PER_PAGE, (page + 1) * WORDS_PER_PAGE, 0L);
        }

        Region copy() {
            Region r = new Region(start, pages, writable);
            System.arraycopy(words, 0, r.words, 0, words.length);
            return r;
        }
    }

    private final List<Region> regions = new ArrayList<>();

    public Region add(long start, int pages, boolean writable) {
        Region r = new Region(start, pages, writable);
        regions.add(r);
        return r;
    }

    public void remove(Region r) {
        regions.remove(r);
    }

    /**
     * Follows an mremap of {@code r}: the region now starts at {@code start} with {@code pages} pages; the
     * pages it kept keep their words (moved along, not copied), a grown part reads zero. Returns the region
     * that takes {@code r}'s place in {@link #regions()}.
     */
    public Region remap(Region r, long start, int pages) {
        Region moved = new Region(start, pages, r.writable);
        System.arraycopy(r.words, 0, moved.words, 0, Math.min(r.words.length, moved.words.length));
        regions.set(regions.indexOf(r), moved);
        return moved;
    }

    public List<Region> regions() {
        return regions;
    }

    /** A deep copy: what a forked child's memory must read. */
    public MemoryModel copy() {
        MemoryModel m = new MemoryModel();
        for (Region r : regions) {
            m.regions.add(r.copy());
        }
        return m;
    }
}
