package mmsim.paging;

/**
 * The bit layout of a page-table entry: one 64-bit word, x86-64 style, read and written atomically
 * in physical memory (see {@link PageTable}).
 *
 * <pre>
 *  bit  0     P    present
 *  bit  1     W    writable
 *  bit  2     U    user-accessible
 *  bit  5     A    accessed (set by the walker)
 *  bit  6     D    dirty (set by the walker on a write; leaf entries only)
 *  bit  9     COW  software: write-protected in a writable area: the next write copies the frame if
 *                  it is shared, else reuses it (set by fork on the entries that were writable, and by
 *                  mprotect on the entries it leaves write-protected in an area it makes writable)
 *  bit 10     NONE software: not present because the area is PROT_NONE; the frame is still held
 *  bit 11     SHR  software: maps a page of a shared mapping's object ({@link SharedMemoryObject}); fork never
 *                  write-protects it and a write fault never copies it (nor does it ever carry COW)
 *  bits 12-50      frame number
 * </pre>
 *
 * A word of zero is an empty entry. In a non-leaf entry, W cleared write-protects everything beneath
 * it (the effective permission of a translation is the AND over all levels, as on x86); on-demand fork
 * uses that to share a last-level table.
 */
public final class Pte {
    public static final long PRESENT = 1L;
    public static final long WRITABLE = 1L << 1;
    public static final long USER = 1L << 2;
    public static final long ACCESSED = 1L << 5;
    public static final long DIRTY = 1L << 6;
    public static final long COW = 1L << 9;
    public static final long PROT_NONE = 1L << 10;
    public static final long SHARED = 1L << 11;

    static final int FRAME_SHIFT = 12;
    /** Frames up to 2^31 - 1 (8 TiB of 4 KiB frames) fit the 39 bits reserved. */
    static final long FRAME_MASK = ((1L << 39) - 1) << FRAME_SHIFT;
    private static final long FLAG_MASK = ~FRAME_MASK;

    private Pte() {
    }

    /** An entry mapping {@code frame} with {@code flags} (which should include {@link #PRESENT}). */
    public static long make(int frame, long flags) {
        if (frame < 0) {
            throw new IllegalArgumentException("negative frame " + frame);
        }
        return ((long) frame << FRAME_SHIFT) | (flags & FLAG_MASK);
    }

    public static int frame(long pte) {
        return (int) ((pte & FRAME_MASK) >>> FRAME_SHIFT);
    }

    public static long flags(long pte) {
        return pte & FLAG_MASK;
    }

    public static boolean isPresent(long pte) {
        return (pte & PRESENT) != 0;
    }

    public static boolean isWritable(long pte) {
        return (pte & WRITABLE) != 0;
    }

    public static boolean isUser(long pte) {
        return (pte & USER) != 0;
    }

    public static boolean isAccessed(long pte) {
        return (pte & ACCESSED) != 0;
    }

    public static boolean isDirty(long pte) {
        return (pte & DIRTY) != 0;
    }

    public static boolean isCow(long pte) {
        return (pte & COW) != 0;
    }

    /** Whether the entry maps a page of a shared mapping: writes reach every process that maps it, never a copy. */
    public static boolean isShared(long pte) {
        return (pte & SHARED) != 0;
    }

    /** Whether the entry holds a frame reference: present, or parked by PROT_NONE. */
    public static boolean holdsFrame(long pte) {
        return (pte & (PRESENT | PROT_NONE)) != 0;
    }

    /** The same entry with {@code flags} set. */
    public static long with(long pte, long flags) {
        return pte | (flags & FLAG_MASK);
    }

    /** The same entry with {@code flags} cleared. */
    public static long without(long pte, long flags) {
        return pte & ~(flags & FLAG_MASK);
    }

    /** Copy-on-write protection: writable cleared, COW set. */
    public static long writeProtectCow(long pte) {
        return (pte & ~WRITABLE) | COW;
    }

    /** A readable rendering such as {@code frame=42 P W U A D}. */
    public static String toString(long pte) {
        if (pte == 0) {
            return "empty";
        }
        StringBuilder sb = new StringBuilder("frame=").append(frame(pte));
        if (isPresent(pte)) sb.append(" P");
        if (isWritable(pte)) sb.append(" W");
        if (isUser(pte)) sb.append(" U");
        if (isAccessed(pte)) sb.append(" A");
        if (isDirty(pte)) sb.append(" D");
        if (isCow(pte)) sb.append(" COW");
        if ((pte & PROT_NONE) != 0) sb.append(" NONE");
        if (isShared(pte)) sb.append(" SHR");
        return sb.toString();
    }
}
