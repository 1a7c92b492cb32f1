package mmsim.paging;

import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The object behind a shared anonymous mapping ({@code mmap(MAP_SHARED | MAP_ANONYMOUS)}; Linux backs one with
 * a shmem file): one frame slot per page, filled by the first fault of any process that maps the page, and the
 * number of pages that VMAs of every address space map of it. Each VMA that maps it names it
 * ({@link Vma#shared()}); fork copies those VMAs, so parent and child reach the same frames.
 *
 * <p>References: a filled slot holds one reference to its frame (the object's: the data outlives every
 * translation, as madvise(DONTNEED) requires), and each page-table entry that maps the frame holds its own. The
 * kernel drops the object's references once {@link #unmapped} says the last mapped page went.
 *
 * <p>Thread-safety: a slot is filled once, by CAS (the CPU that loses a race to fill it gives its frame back),
 * and emptied only by {@link #takeFrame} after the count reached zero, when no VMA, hence no fault, reaches the
 * object any more. The count changes atomically; any thread may call any method.
 */
public final class SharedMemoryObject {
    /** An empty slot: no process has touched the page yet. */
    public static final int NO_FRAME = -1;

    private final AtomicIntegerArray frames;
    private final AtomicLong mappedPages;

    /** An object of {@code pages} untouched pages, all mapped by the one VMA that creates it. */
    public SharedMemoryObject(int pages) {
        if (pages <= 0) {
            throw new IllegalArgumentException("a shared object needs at least one page: " + pages);
        }
        this.frames = new AtomicIntegerArray(pages);
        for (int i = 0; i < pages; i++) {
            frames.set(i, NO_FRAME);
        }
        this.mappedPages = new AtomicLong(pages);
    }

    public int pages() {
        return frames.length();
    }

    /** The frame holding page {@code page}, or {@link #NO_FRAME} (a volatile read: it sees a filled frame's contents). */
    public int frame(int page) {
        return frames.get(page);
    }

    /**
     * Fills the slot of page {@code page} with {@code frame} (zeroed, holding the reference the object keeps)
     * unless another fault filled it first. Returns the frame the slot holds now: {@code frame}, or the winner's.
     */
    public int install(int page, int frame) {
        // CAS (volatile): the frame's zeroed contents are visible before the slot that names it
        if (frames.compareAndSet(page, NO_FRAME, frame)) {
            return frame;
        }
        return frames.get(page);
    }

    /** Empties the slot of page {@code page} and returns what it held (the caller drops that reference). */
    public int takeFrame(int page) {
        return frames.getAndSet(page, NO_FRAME);
    }

    /**
     * Records {@code pages} more mapped pages (fork copying a VMA that maps this object).
     *
     * @throws IllegalStateException when the last mapping already went: nothing may map the object again
     */
    public void mapped(long pages) {
        long before = mappedPages.getAndAdd(pages);
        if (before <= 0) {
            mappedPages.getAndAdd(-pages);
            throw new IllegalStateException("a shared object was mapped again after its last mapping went");
        }
    }

    /**
     * Records that {@code pages} mapped pages went (munmap, an address space's teardown); returns true when they
     * were the last, and the caller must then release every frame ({@link #takeFrame}).
     */
    public boolean unmapped(long pages) {
        long after = mappedPages.addAndGet(-pages);
        if (after < 0) {
            throw new IllegalStateException("a shared object had more pages unmapped than mapped (" + after + " left)");
        }
        return after == 0;
    }

    /** Pages mapped by VMAs of every address space together. */
    public long mappedPages() {
        return mappedPages.get();
    }

    @Override
    public String toString() {
        return "shared object@" + Integer.toHexString(System.identityHashCode(this)) + "(" + pages() + " pages)";
    }
}
