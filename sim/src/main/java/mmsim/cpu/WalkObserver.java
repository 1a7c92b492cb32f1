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
}
