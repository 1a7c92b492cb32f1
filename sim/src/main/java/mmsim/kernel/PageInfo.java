package mmsim.kernel;

import mmsim.paging.Pte;

/**
 * What the page tables said about one virtual address of one process at one moment: the leaf entry's
 * bits, the frame it maps, that frame's reference count, and whether the leaf table is shared with other
 * address spaces (on-demand fork). For tests and researchers; obtained with {@link Sys#inspect} (the
 * caller's process) or {@link Kernel#inspect} (any live process).
 *
 * <p>Consistency: the entry and the link above it are read with acquire loads, the reference counts with
 * volatile loads, one after the other; while other CPUs run, each field is a value it really had, not
 * necessarily at the same instant. At a quiescent point (no other CPU changing that space) it is exact.
 *
 * @param va              the page-aligned virtual address inspected
 * @param entry           the 64-bit leaf entry as the MMU's walk sees it: its W bit is cleared when a link
 *                        above write-protects the table (on-demand fork's shared tables); 0 when no leaf table
 *                        covers {@code va}
 * @param frame           the physical frame the entry holds, or -1 when it holds none
 * @param frameReferences that frame's reference count (mappings holding it), or 0 without a frame
 * @param leafTableShared whether the leaf table covering {@code va} is linked from more than one space
 */
public record PageInfo(long va, long entry, int frame, int frameReferences, boolean leafTableShared) {

    /** A translation is installed (the P bit). */
    public boolean present() {
        return Pte.isPresent(entry);
    }

    /** Writes go through without a fault (the W bit). */
    public boolean writable() {
        return Pte.isWritable(entry);
    }

    public boolean user() {
        return Pte.isUser(entry);
    }

    /** The hardware's accessed bit (set by the walker, by CAS). */
    public boolean accessed() {
        return Pte.isAccessed(entry);
    }

    /** The hardware's dirty bit (set by the walker on a store, by CAS). */
    public boolean dirty() {
        return Pte.isDirty(entry);
    }

    /** The software copy-on-write bit: a write faults and copies (or reuses) the frame. */
    public boolean cow() {
        return Pte.isCow(entry);
    }

    /** A PROT_NONE page: the entry keeps its frame but is not present. */
    public boolean protNone() {
        return (entry & Pte.PROT_NONE) != 0;
    }

    @Override
    public String toString() {
        return "0x" + Long.toHexString(va) + ": " + Pte.toString(entry) + (frame < 0 ? "" : " (" + frameReferences + " references)")
                + (leafTableShared ? ", leaf table shared" : "");
    }
}
