package mmsim.kernel;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

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
 * <p>Allocation: each CPU reuses one {@link Flush} (with its request), so a flush whose release has run by the time
 * {@link Flush#close()} returns (every strategy's, but LATR's deferred munmap) allocates nothing of its own; a
 * capturing {@link Flush#onRelease(ReleaseAction) release} lambda is the caller's allocation, which
 * {@link Flush#onRelease(FrameRelease, int)} avoids. A flush whose release a strategy deferred stays the
 * strategy's, and the CPU's next flush gets a new one. The COW-copy fault allocated about 100 bytes here (the flush,
 * the lambda wrapping its release, the release lambda itself): on this project's 2-core VM, whose first touch of
 * fresh Java heap costs ~15 µs a host page, that put 1.6 % of COW-copy faults near 15 µs (their p99) until the
 * young generation had been touched once.
 *
 * <p>Thread-safety: a flush is opened, filled and closed on the thread executing on {@code cpu}, the
 * release run where the strategy runs it (see {@link ShootdownStrategy#flush}).
 */
public final class TlbFlusher {
    private static final VarHandle RELEASED;

    static {
        try {
            RELEASED = MethodHandles.lookup().findVarHandle(Flush.class, "released", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** What a {@link Flush} frees once it is complete: one frame, with no state captured (so no allocation per use). */
    @FunctionalInterface
    public interface FrameRelease {
        /** Releases {@code frame} on {@code cpu} (the CPU completing the flush: its cache takes the frame). */
        void release(Cpu cpu, int frame);
    }

    private final ShootdownStrategy strategy;
    /** Per CPU, its reusable flush, or null while the last one is a strategy's (deferred) or not made yet. Owner only. */
    private final Flush[] scratch;
    /** Per CPU, whether its scratch flush is open (a flush opened inside it gets one of its own). Owner only. */
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
        this.scratch = new Flush[cpus];
        this.scratchInUse = new boolean[cpus];
    }

    /** The shootdown strategy flushes go through. */
    public ShootdownStrategy strategy() {
        return strategy;
    }

    /**
     * Opens a downgrade of {@code [start, end)} (page-aligned virtual addresses; the whole space is
     * {@code [0, PageTable.USER_VA_LIMIT)}) of {@code space}, for {@code reason}. Call before changing the
     * first entry; close it when every change is made. The flush returned must not be used after its close: the CPU's
     * next flush may be the same object.
     */
    public Flush open(Cpu cpu, AddressSpace space, FlushReason reason, long start, long end) {
        int id = cpu.id();
        Flush flush;
        if (!scratchInUse[id]) {
            scratchInUse[id] = true;
            flush = scratch[id];
            if (flush == null) {
                flush = scratch[id] = new Flush(true);
            }
        } else {
            flush = new Flush(false);   // a flush opened inside another on this CPU (a fork's table build)
        }
        flush.begin(cpu, space, reason, markDowngrades ? space.beginDowngrade(start, end) : null);
        return flush;
    }

    /** One open downgrade: the ranges to shoot down and what to release after. */
    public final class Flush implements AutoCloseable {
        private final FlushRequest request = new FlushRequest();
        /** Whether this is its CPU's reusable flush (else one opened inside it, used once). */
        private final boolean reusable;
        /** What the strategy runs once the flush is complete: made once per flush object, not per use. */
        private final ReleaseAction whenComplete = this::complete;
        private Cpu cpu;
        private AddressSpace space;
        /** The registered downgrade, or null when the flusher does not register them. */
        private AddressSpace.Downgrade downgrade;
        private ReleaseAction release;
        private FrameRelease frameRelease;
        private int releasedFrame;
        private boolean closed;
        /**
         * Set, last, by {@link #complete} (release store) wherever the strategy runs it; read by the owner after the
         * strategy returned (acquire): true means the release and the downgrade's end are done, and nothing will touch
         * this flush again, so the owner may reuse it.
         */
        private boolean released;

        private Flush(boolean reusable) {
            this.reusable = reusable;
        }

        private void begin(Cpu cpu, AddressSpace space, FlushReason reason, AddressSpace.Downgrade downgrade) {
            this.cpu = cpu;
            this.space = space;
            this.downgrade = downgrade;
            this.release = null;
            this.frameRelease = null;
            this.closed = false;
            this.released = false;
            request.begin(space, reason);
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

        /**
         * Runs {@code action} (frees what the change dropped) once no CPU can translate through the old entries.
         *
         * @throws IllegalStateException if this flush has a release action already (one per flush)
         */
        public Flush onRelease(ReleaseAction action) {
            checkNoRelease();
            release = action;
            return this;
        }

        /**
         * Runs {@code action} with {@code frame} once no CPU can translate through the old entries: {@link
         * #onRelease(ReleaseAction)} for one frame, without a lambda capturing it (the COW fault's path).
         *
         * @throws IllegalStateException if this flush has a release action already (one per flush)
         */
        public Flush onRelease(FrameRelease action, int frame) {
            checkNoRelease();
            frameRelease = action;
            releasedFrame = frame;
            return this;
        }

        private void checkNoRelease() {
            if (release != null || frameRelease != null) {
                throw new IllegalStateException("a flush has one release action");
            }
        }

        /** The release, then the downgrade's end; runs once, where the strategy runs it. */
        private void complete(Cpu on) {
            try {
                if (release != null) {
                    release.release(on);
                } else if (frameRelease != null) {
                    frameRelease.release(on, releasedFrame);
                }
            } finally {
                if (downgrade != null) {
                    space.endDowngrade(downgrade);
                }
                RELEASED.setRelease(this, true);
            }
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
            // reused only once known complete: a strategy that threw, or deferred the release, may still hold this flush
            boolean reuse = false;
            try {
                if (request.isEmpty()) {
                    complete(cpu);
                    reuse = true;
                    return;
                }
                AddressSpace.Downgrade downgrade = this.downgrade;
                if (release == null && frameRelease == null && downgrade == null) {
                    strategy.flush(cpu, request, null);   // nothing to run after it: no completion to wait for
                    reuse = true;
                    return;
                }
                strategy.flush(cpu, request, whenComplete);
                // acquire: pairs with complete's release store, wherever the strategy ran it
                reuse = (boolean) RELEASED.getAcquire(this);
                if (downgrade != null && space.inFlight(downgrade)) {
                    downgrade.markDeferredPastReturn();
                }
            } finally {
                if (reusable) {
                    int id = cpu.id();
                    scratchInUse[id] = false;
                    if (!reuse) {
                        scratch[id] = null;   // the strategy still holds this one: the CPU's next flush gets a new one
                    }
                }
            }
        }
    }
}
