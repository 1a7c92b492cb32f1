package mmsim.shootdown;

import mmsim.cpu.Cpu;

/**
 * How stale translations leave other CPUs' TLBs. The kernel calls {@link #flush} on the initiating CPU
 * after it changed or removed page-table entries, for every downgrade or removal (fork's write-protect,
 * a COW replacement, munmap, mprotect, madvise, teardown).
 *
 * <p>Contract: when {@code flush} returns, no CPU can translate through an entry of the range that was
 * cached before the page-table change (the initiator may then reuse frames and copy pages). The
 * initiator must keep servicing its own interrupt inbox while it waits, so that two CPUs shooting down at
 * each other both finish. A strategy is one class plus its name in the configuration; nothing else in the
 * kernel changes to add one.
 */
public interface ShootdownStrategy {
    /**
     * Removes {@code range}'s translations from every TLB that may hold them, this CPU's included.
     * Runs on {@code initiator}'s thread.
     */
    void flush(Cpu initiator, FlushRange range);

    /** The configuration name of this strategy. */
    String name();
}
