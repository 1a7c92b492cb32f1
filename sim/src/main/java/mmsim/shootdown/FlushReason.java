package mmsim.shootdown;

/** Why the kernel asks for a TLB shootdown: each downgrade or removal of a translation has one. */
public enum FlushReason {
    /** Fork write-protected the parent's writable entries (copy-on-write), or shared its tables (on-demand fork). */
    FORK,
    /** A copy-on-write fault replaced a shared frame with a private copy, or the zero frame with a fresh zeroed one. */
    COW_REPLACE,
    /** munmap removed translations. */
    MUNMAP,
    /**
     * mremap moved entries to new addresses, or mmap with MAP_FIXED replaced a mapping: the frames (mremap)
     * or the addresses (MAP_FIXED) are in use again at once, so no strategy may defer this shootdown past the
     * call's return.
     */
    REMAP,
    /** mprotect reduced permissions. */
    MPROTECT,
    /** madvise(DONTNEED) dropped pages. */
    MADVISE,
    /** An on-demand-fork table copy replaced a shared leaf table. */
    TABLE_COPY,
    /** The address space is being torn down (exit, exec): every CPU must drop it. */
    TEARDOWN
}
