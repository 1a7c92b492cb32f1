package mmsim.check;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

import mmsim.mem.PhysicalMemory;

/**
 * The content oracle's reference model (invariant 10): a sequential map of what one owner (a thread, or
 * a process's copy of it) last stored in each tracked word of its own regions. Regions are tracked at a
 * few words per page; a freshly mapped page reads zeros, and so does a private page after madvise(DONTNEED).
 * Single-threaded: each model has one owner. {@link #copy()} is what fork gives the child.
 *
 * <p>Shared regions (a shared mapping that several processes or threads write at once) stay sound by single
 * ownership: each tracked word has at most one owner at a time, the only one that writes it and the only one
 * whose reads of it are checked (exactly: nobody else can have changed it). Other sharers may read it, but no
 * value is demanded of them, since with no synchronisation any value the owner stored may be the one they
 * see. Ownership moves only along a synchronisation the kernel provides: {@link #fork} (or {@link #lend}, for
 * a thread) hands some of the owner's words to the child, and {@link #takeBack}, called after
 * {@code waitpid} (or {@code joinThread}), returns them with the child's last values, which the parent must
 * then read: that is where a shared mapping that was copied instead of shared shows.
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
        /** Whether the region is a shared mapping (its words are owned one by one; madvise keeps its data). */
        public final boolean shared;
        /**
         * Whether the region stays mapped, with its protection, for as long as its owners run: threads of one
         * process share one mapping, so none of them may unmap or re-protect it under the others.
         */
        public final boolean pinned;
        final long[] words;
        /** Which words this model owns, for a shared region; null for a private one (this model owns them all). */
        final boolean[] owned;

        Region(long start, int pages, boolean writable, boolean shared, boolean pinned) {
            this.start = start;
            this.pages = pages;
            this.writable = writable;
            this.shared = shared;
            this.pinned = pinned;
            this.words = new long[pages * WORDS_PER_PAGE];
            this.owned = shared ? new boolean[words.length] : null;
            if (shared) {
                java.util.Arrays.fill(owned, true);
            }
        }

        private Region(Region of) {
            this.start = of.start;
            this.pages = of.pages;
            this.writable = of.writable;
            this.shared = of.shared;
            this.pinned = of.pinned;
            this.words = of.words.clone();
            this.owned = of.shared ? new boolean[words.length] : null;
        }

        /** The address of tracked word {@code w} of page {@code page}. */
        public long address(int page, int w) {
            return start + (long) page * PhysicalMemory.PAGE_SIZE + WORD_BASE + 8L * w;
        }

        /** Whether this model owns the word: it alone writes it, and a read of it must return {@link #expected}. */
        public boolean owns(int page, int w) {
            return owned == null || owned[page * WORDS_PER_PAGE + w];
        }

        /** What an owned word must read. */
        public long expected(int page, int w) {
            requireOwned(page, w);
            return words[page * WORDS_PER_PAGE + w];
        }

        /** Records a store to an owned word. */
        public void stored(int page, int w, long value) {
            requireOwned(page, w);
            words[page * WORDS_PER_PAGE + w] = value;
        }

        /** A private page's tracked words now read zero (madvise DONTNEED); a shared region keeps its data. */
        public void zero(int page) {
            if (shared) {
                throw new IllegalStateException("madvise(DONTNEED) keeps a shared region's data");
            }
            java.util.Arrays.fill(words, page * WORDS_PER_PAGE, (page + 1) * WORDS_PER_PAGE, 0L);
        }

        private void requireOwned(int page, int w) {
            if (!owns(page, w)) {
                throw new IllegalStateException("word " + w + " of page " + page + " of the shared region at 0x"
                        + Long.toHexString(start) + " belongs to another sharer: no value can be demanded of it");
            }
        }
    }

    /** A word of a region: where it is and what it must read. */
    public record Word(Region region, int page, int w) {
        public long address() {
            return region.address(page, w);
        }

        public long expected() {
            return region.expected(page, w);
        }
    }

    /** Words of shared regions handed to a child model, to be taken back when the child has finished. */
    public static final class Handoff {
        private final MemoryModel child;
        private final List<Region> parents = new ArrayList<>();
        private final List<Region> copies = new ArrayList<>();
        private final List<boolean[]> given = new ArrayList<>();
        private boolean takenBack;

        private Handoff(MemoryModel child) {
            this.child = child;
        }

        /** The child's model: the child (process or thread) is its one owner. */
        public MemoryModel child() {
            return child;
        }
    }

    private final List<Region> regions = new ArrayList<>();

    /** A private region this model owns whole. */
    public Region add(long start, int pages, boolean writable) {
        return addRegion(new Region(start, pages, writable, false, false));
    }

    /** A shared region, every word of it owned by this model until it hands some to a child; optionally pinned. */
    public Region addShared(long start, int pages, boolean writable, boolean pinned) {
        return addRegion(new Region(start, pages, writable, true, pinned));
    }

    private Region addRegion(Region r) {
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
        if (r.shared) {
            throw new IllegalArgumentException("a shared region is not remapped (its object keeps its size)");
        }
        Region moved = new Region(start, pages, r.writable, false, r.pinned);
        System.arraycopy(r.words, 0, moved.words, 0, Math.min(r.words.length, moved.words.length));
        regions.set(regions.indexOf(r), moved);
        return moved;
    }

    public List<Region> regions() {
        return regions;
    }

    /** A deep copy in which the child owns no word of a shared region: what a forked child's memory must read. */
    public MemoryModel copy() {
        return fork(() -> false).child;
    }

    /**
     * What fork gives the child: a copy of every region, and of each shared region the words this model owns
     * for which {@code giveToChild} says so (asked once per owned word, in order), which this model stops
     * owning until {@link #takeBack}.
     */
    public Handoff fork(BooleanSupplier giveToChild) {
        Handoff h = new Handoff(new MemoryModel());
        for (Region r : regions) {
            h.child.regions.add(handOver(h, r, giveToChild));
        }
        return h;
    }

    /**
     * What a new thread of this process gets for {@code shared} (a pinned shared region of this model): a model
     * holding only a copy of it, owning the words {@code giveToChild} chooses.
     */
    public Handoff lend(Region shared, BooleanSupplier giveToChild) {
        if (!shared.pinned || !regions.contains(shared)) {
            throw new IllegalArgumentException("only a pinned shared region of this model can be lent to a thread");
        }
        Handoff h = new Handoff(new MemoryModel());
        h.child.regions.add(handOver(h, shared, giveToChild));
        return h;
    }

    private static Region handOver(Handoff h, Region r, BooleanSupplier giveToChild) {
        Region c = new Region(r);
        if (r.shared) {
            boolean[] given = new boolean[r.words.length];
            for (int i = 0; i < given.length; i++) {
                if (r.owned[i] && giveToChild.getAsBoolean()) {
                    given[i] = true;
                    r.owned[i] = false;
                    c.owned[i] = true;
                }
            }
            h.parents.add(r);
            h.copies.add(c);
            h.given.add(given);
        }
        return c;
    }

    /**
     * After the child of {@code handoff} finished (its exit reaped, or its thread joined, so that everything it
     * stored happened before): this model owns the words it handed over again, with the values the child last
     * stored in them (or that its own children handed back). Returns those of them in regions this model still
     * has, which a read must now return. A word the child handed on to a child of its own and never took back
     * (that grandchild was killed, perhaps mid-store) has no known value and stays unowned.
     */
    public List<Word> takeBack(Handoff handoff) {
        if (handoff.takenBack) {
            throw new IllegalStateException("a handoff is taken back once");
        }
        handoff.takenBack = true;
        List<Word> back = new ArrayList<>();
        for (int k = 0; k < handoff.parents.size(); k++) {
            Region parent = handoff.parents.get(k);
            Region child = handoff.copies.get(k);
            boolean[] given = handoff.given.get(k);
            boolean mapped = regions.contains(parent);
            for (int i = 0; i < given.length; i++) {
                // a word the child handed on and never got back (to a child of its own that was killed) has no
                // known value: it stays unowned here too, its reads unchecked
                if (given[i] && child.owned[i]) {
                    parent.owned[i] = true;
                    parent.words[i] = child.words[i];
                    if (mapped) {
                        back.add(new Word(parent, i / WORDS_PER_PAGE, i % WORDS_PER_PAGE));
                    }
                }
            }
        }
        return back;
    }
}
