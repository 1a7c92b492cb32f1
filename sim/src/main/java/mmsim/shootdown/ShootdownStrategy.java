package mmsim.shootdown;

import mmsim.cpu.Cpu;
import mmsim.paging.AddressSpace;

/**
 * How stale translations leave TLBs. The kernel calls {@link #flush} on the initiating CPU after it
 * downgraded or removed page-table entries: fork's write-protect, a COW replacement, munmap, mprotect,
 * madvise, an on-demand-fork table copy, teardown.
 *
 * <p>Contract: once {@code flush} returns, no CPU translates through an entry of the request that was
 * cached before the page-table change, except where a strategy documents a lazy window (LATR's, for
 * munmap and madvise); {@code release} (which frees the frames the change dropped) runs only once no
 * CPU can translate to them, on whichever CPU completes the flush. A waiting initiator keeps servicing
 * its own interrupts, so concurrent initiators never deadlock.
 *
 * <p>Adding a strategy is one class plus its name in {@link Shootdowns#create}; the kernel does not
 * change. The hooks let a strategy keep per-CPU state in step with scheduling.
 */
public interface ShootdownStrategy {
    /** The configuration name. */
    String name();

    /**
     * Removes the request's translations from every TLB that may hold them, this CPU's included, and
     * runs {@code release} (may be null) when the removed translations can no longer be used.
     */
    void flush(Cpu initiator, FlushRequest request, ReleaseAction release);

    /** A task took {@code cpu} and {@code space} is now loaded on it (it may have been loaded already). Runs on {@code cpu}. */
    default void onSwitch(Cpu cpu, AddressSpace space) {
    }

    /** The scheduler tick on a busy {@code cpu}. Runs on {@code cpu}. */
    default void onTick(Cpu cpu) {
    }

    /** An idle-loop iteration on {@code cpu}. Runs on {@code cpu}. */
    default void onIdle(Cpu cpu) {
    }

    /** Whether deferred flushes (and the frees behind them) are still outstanding. */
    default boolean hasDeferredWork() {
        return false;
    }

    /**
     * Whether invalidations are deferred to {@code cpu} (its lazy queue is not empty): an idle CPU is then
     * woken at the next phase end to apply them ({@link #onIdle}), as its next tick would. Any thread; no
     * lock, no side effect.
     */
    default boolean hasDeferredWork(Cpu cpu) {
        return false;
    }

    /**
     * Applies now every invalidation deferred to {@code cpu}, as its next tick would; an invalidation that
     * {@code cpu} is the last to apply runs its release here, so its frames go to {@code cpu}'s cache. The
     * kernel calls it on every CPU when an allocation finds no free frame while {@link #hasDeferredWork()}:
     * a strategy may defer invalidations, but the memory a returned munmap freed must be there for the next
     * allocation. Runs on {@code cpu}, from kernel code or an interrupt handler, with any kernel lock held
     * by the code it interrupted: it must neither allocate nor wait. Default: nothing is deferred.
     */
    default void applyDeferred(Cpu cpu) {
    }
}
