package mmsim.kernel;

import mmsim.cpu.Cpu;
import mmsim.paging.AddressSpace;
import mmsim.shootdown.FlushReason;
import mmsim.shootdown.FlushRequest;
import mmsim.shootdown.ReleaseAction;
import mmsim.shootdown.ShootdownStrategy;

/**
 * The bracket around every downgrade or removal of translations, so that no path can forget its end:
 * {@link #open} marks the pages in flight ({@link AddressSpace#beginDowngrade}, before the first entry
 * changes), the returned {@link Flush} collects the ranges changed and what to release afterwards, and
 * {@link Flush#close()} shoots them down through the strategy, runs the release once no CPU can translate
 * through the old entries, and ends the downgrade. Use it with try-with-resources:
 *
 * <pre>{@code
 * try (TlbFlusher.Flush flush = flusher.open(cpu, space, FlushReason.MUNMAP, start, end)) {
 *     ... change entries ...
 *     flush.addRange(start, pages).onRelease(on -> ... free frames ...);
 * }
 * }</pre>
 *
 * <p>Thread-safety: a flush is opened and closed on the thread executing on {@code cpu}; each CPU reuses
 * one request, so opening allocates only the flush and its downgrade mark.
 */
public final class TlbFlusher {
    private final ShootdownStrategy strategy;
    private final FlushRequest[] scratch;
    private final boolean[] scratchInUse;
    /** Whether downgrades are registered in their space ({@link AddressSpace#beginDowngrade}): only the checking mode's oracle reads them. */
    private final boolean markDowngrades;

    /** A flusher that registers every downgrade in its space (what checking mode's oracle needs). */
    public TlbFlusher(ShootdownStrategy strategy, int cpus) {
        this(strategy, cpus, true);
    }

    /**
     * A flusher; {@code markDowngrades} false skips the in-flight registry of {@link AddressSpace#beginDowngrade},
     * which only the stale-translation oracle reads (checking mode): a set insert and removal per flush saved.
     */
    public TlbFlusher(ShootdownStrategy strategy, int cpus, boolean markDowngrades) {
        this.strategy = strategy;
        this.markDowngrades = markDowngrades;
        this.scratch = new FlushRequest[cpus];
        this.scratchInUse = new boolean[cpus];
        for (int i = 0; i < cpus; i++) {
            scratch[i] = new FlushRequest();
        }
    }

    /** The shootdown strategy flushes go through. */
    public ShootdownStrategy strategy() {
        return strategy;
    }

    /**
     * Opens a downgrade of {@code [start, end)} (page-aligned virtual addresses; the whole space is
     * {@code [0, PageTable.USER_VA_LIMIT)}) of {@code space}, for {@code reason}. Call before changing the
     * first entry; close it when every change is made.
     */
    public Flush open(Cpu cpu, AddressSpace space, FlushReason reason, long start, long end) {
        int id = cpu.id();
        FlushRequest request;
        boolean reused = !scratchInUse[id];
        if (reused) {
            scratchInUse[id] = true;
            request = scratch[id];
        } else {
            request = new FlushRequest();   // a flush opened inside another on this CPU (a fork's table build)
        }
        request.begin(space, reason);
        return new Flush(cpu, space, request, reused, markDowngrades ? space.beginDowngrade(start, end) : null);
    }

    /** One open downgrade: the ranges to shoot down and what to release after. */
    public final class Flush implements AutoCloseable {
        private final Cpu cpu;
        private final AddressSpace space;
        private final FlushRequest request;
        private final boolean reused;
        /** The registered downgrade, or null when the flusher does not register them. */
        private final AddressSpace.Downgrade downgrade;
        private ReleaseAction release;
        private boolean closed;

        private Flush(Cpu cpu, AddressSpace space, FlushRequest request, boolean reused, AddressSpace.Downgrade downgrade) {
            this.cpu = cpu;
            this.space = space;
            this.request = request;
            this.reused = reused;
            this.downgrade = downgrade;
        }

        private void endDowngrade() {
            if (downgrade != null) {
                space.endDowngrade(downgrade);
            }
        }

        /** Adds {@code pages} pages from {@code start} to what is shot down. */
        public Flush addRange(long start, long pages) {
            request.addRange(start, pages);
            return this;
        }

        /**
         * Marks that the change unlinked page tables, which the release frees: the shootdown then reaches every
         * CPU that may be walking the space ({@link FlushRequest#freesTables()}).
         */
        public Flush freesTables() {
            request.freesTables();
            return this;
        }

        /** Shoots down the whole space. */
        public Flush addAll() {
            request.addAll();
            return this;
        }

        /** Runs {@code action} (frees what the change dropped) once no CPU can translate through the old entries. */
        public Flush onRelease(ReleaseAction action) {
            if (release != null) {
                throw new IllegalStateException("a flush has one release action");
            }
            release = action;
            return this;
        }

        /**
         * Shoots down the ranges added (none: nothing changed, nothing to flush), runs the release action
         * and ends the downgrade. A downgrade still in flight when the flush returns was deferred past the
         * system call's return by a lazy strategy: it is marked so, for the oracle to count what that relaxes.
         */
        @Override
        public void close() {
            if (closed) {
                return;
            }
            closed = true;
            try {
                if (request.isEmpty()) {
                    try {
                        if (release != null) {
                            release.release(cpu);
                        }
                    } finally {
                        endDowngrade();
                    }
                    return;
                }
                ReleaseAction then = release;
                strategy.flush(cpu, request, on -> {
                    try {
                        if (then != null) {
                            then.release(on);
                        }
                    } finally {
                        endDowngrade();
                    }
                });
                if (downgrade != null && space.inFlight(downgrade)) {
                    downgrade.markDeferredPastReturn();
                }
            } finally {
                if (reused) {
                    scratchInUse[cpu.id()] = false;
                }
            }
        }
    }
}
