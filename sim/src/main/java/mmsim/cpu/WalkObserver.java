package mmsim.cpu;

/**
 * Told of every page walk that reaches a last-level entry, before the walker reads it: which CPU is about to
 * cache the translation of which entry. Strategies that track who may hold a translation (abis, didi) install
 * one on every CPU's MMU. Called on the walking CPU's thread, on the TLB-miss path: it must not allocate on
 * its steady path, block, or take locks.
 */
@FunctionalInterface
public interface WalkObserver {
    /** CPU {@code cpu} is about to read entry {@code index} (0-511) of last-level table frame {@code table} and may cache it. */
    void beforeLeafRead(int cpu, int table, int index);

    /**
     * A space's link to last-level table {@code from} now leads to {@code to}, a copy of it (on-demand fork making a
     * shared table private): a CPU that cached a translation through {@code from} may hold it for that space, whose
     * later changes are made in {@code to}. Called by the copier after the link's change. Default: nothing.
     */
    default void leafTableCopied(int from, int to) {
    }
}
