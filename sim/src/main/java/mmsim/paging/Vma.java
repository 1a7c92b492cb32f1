package mmsim.paging;

import mmsim.mem.PhysicalMemory;

/**
 * A virtual memory area: pages {@code [start, end)} with one protection, private (anonymous, copied on write
 * across fork) or mapping part of a shared object. Immutable; an address space replaces VMAs rather than
 * changing them.
 *
 * @param start      page-aligned first address
 * @param end        page-aligned address just past the area
 * @param protection {@link #READ}, {@link #WRITE} bits ({@link #NONE} for none)
 * @param shared     the shared object the area maps (a shared anonymous mapping), or null for a private area
 * @param sharedPage the index in {@code shared} of the area's first page (Linux's {@code vm_pgoff}); 0 when private
 */
public record Vma(long start, long end, int protection, SharedMemoryObject shared, long sharedPage) {
    public static final int NONE = 0;
    public static final int READ = 1;
    public static final int WRITE = 2;
    public static final int READ_WRITE = READ | WRITE;

    public Vma {
        if ((start & PhysicalMemory.PAGE_OFFSET_MASK) != 0 || (end & PhysicalMemory.PAGE_OFFSET_MASK) != 0 || end <= start) {
            throw new IllegalArgumentException("VMA [0x" + Long.toHexString(start) + ", 0x" + Long.toHexString(end)
                    + ") is not a non-empty page-aligned range");
        }
        if ((protection & ~READ_WRITE) != 0) {
            throw new IllegalArgumentException("unknown protection bits " + protection);
        }
        if (shared == null ? sharedPage != 0
                : sharedPage < 0 || sharedPage + ((end - start) >>> PhysicalMemory.PAGE_SHIFT) > shared.pages()) {
            throw new IllegalArgumentException("VMA [0x" + Long.toHexString(start) + ", 0x" + Long.toHexString(end)
                    + ") from page " + sharedPage + " does not fit " + (shared == null ? "a private area" : shared));
        }
    }

    /** A private area. */
    public Vma(long start, long end, int protection) {
        this(start, end, protection, null, 0);
    }

    public boolean contains(long va) {
        return va >= start && va < end;
    }

    public boolean readable() {
        return (protection & READ) != 0;
    }

    public boolean writable() {
        return (protection & WRITE) != 0;
    }

    /** Whether the area maps a shared object (its pages are never copied on write). */
    public boolean isShared() {
        return shared != null;
    }

    /** The index in {@link #shared()} of the page holding {@code va}, which must lie in a shared area. */
    public int sharedPageOf(long va) {
        return (int) (sharedPage + ((va - start) >>> PhysicalMemory.PAGE_SHIFT));
    }

    public long length() {
        return end - start;
    }

    public long pages() {
        return length() >>> PhysicalMemory.PAGE_SHIFT;
    }

    /** The part {@code [newStart, newEnd)} of this area (inside it), mapping the same pages of its object. */
    Vma withRange(long newStart, long newEnd) {
        return new Vma(newStart, newEnd, protection, shared,
                shared == null ? 0 : sharedPage + ((newStart - start) >>> PhysicalMemory.PAGE_SHIFT));
    }

    Vma withProtection(int newProtection) {
        return new Vma(start, end, newProtection, shared, sharedPage);
    }

    @Override
    public String toString() {
        return "[0x" + Long.toHexString(start) + ", 0x" + Long.toHexString(end) + ") "
                + (readable() ? "r" : "-") + (writable() ? "w" : "-") + (shared == null ? "p" : "s");
    }
}
