package mmsim.paging;

import mmsim.mem.PhysicalMemory;

/**
 * A virtual memory area: pages {@code [start, end)} with one protection. Immutable; an address space
 * replaces VMAs rather than changing them.
 *
 * @param start      page-aligned first address
 * @param end        page-aligned address just past the area
 * @param protection {@link #READ}, {@link #WRITE} bits ({@link #NONE} for none)
 */
public record Vma(long start, long end, int protection) {
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

    public long length() {
        return end - start;
    }

    public long pages() {
        return length() >>> PhysicalMemory.PAGE_SHIFT;
    }

    Vma withRange(long newStart, long newEnd) {
        return new Vma(newStart, newEnd, protection);
    }

    Vma withProtection(int newProtection) {
        return new Vma(start, end, newProtection);
    }

    @Override
    public String toString() {
        return "[0x" + Long.toHexString(start) + ", 0x" + Long.toHexString(end) + ") "
                + (readable() ? "r" : "-") + (writable() ? "w" : "-");
    }
}
