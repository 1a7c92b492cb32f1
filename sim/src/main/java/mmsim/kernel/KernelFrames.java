package mmsim.kernel;

import java.util.concurrent.atomic.AtomicBoolean;

import mmsim.Machine;
import mmsim.cpu.Cpu;
import mmsim.mem.FrameMetadata;
import mmsim.mem.FramePool;
import mmsim.mem.PhysicalMemory;
import mmsim.paging.AddressSpace;
import mmsim.paging.PageTable;
import mmsim.paging.Pte;
import mmsim.shootdown.ShootdownStrategy;
import mmsim.stats.CpuCounter;

/**
 * The one place the kernel takes frames: user pages, page tables, roots, and the machine's zero frame. Every
 * allocation that finds the frame pool empty runs the same reclaim stages before it gives up with
 * {@link OutOfFrames}.
 *
 * <p>The zero frame ({@code mm.zero_page}): one frame of zeros that read faults on untouched private pages map
 * read-only. Unlike Linux, which does not reference-count its zero page, every entry that maps it holds a
 * reference like any other frame, so every release path stays the same; the kernel's own reference, taken at
 * boot and dropped at shutdown ({@link #releaseZeroFrame}), keeps the count above one while processes run, so
 * a write fault's sole-owner reuse can never make it writable and no release can free it ({@link #putFrame}
 * throws if one tried).
 *
 * <p>Thread-safety: every method but {@link #releaseZeroFrame} runs on the thread executing on {@code cpu}
 * (the frame pool's per-CPU caches require it); any number of CPUs may allocate at once. Reference counts
 * change by CAS.
 */
public final class KernelFrames {
    /** {@link #zeroFrame()} when there is none: read faults allocate as write faults do. */
    public static final int NO_ZERO_FRAME = -1;

    private final PhysicalMemory memory;
    private final FrameMetadata frames;
    private final FramePool pool;
    private final PageTable pageTable;
    private final ShootdownStrategy shootdown;
    private final int cpuCount;
    private final CrossCall drainFrameCaches;
    private final CrossCall applyDeferredAndDrain;
    private final CrossCall applyDeferred;
    /** References that removals of translations hold until their flush completes (see {@link #holdUntilFlushed}). */
    private final java.util.concurrent.atomic.AtomicLong pendingRelease = new java.util.concurrent.atomic.AtomicLong();
    private final int zeroFrame;
    private final AtomicBoolean zeroFrameReleased = new AtomicBoolean();

    /**
     * The frames of {@code machine}, reclaiming through {@code shootdown}'s deferred work when short, without a
     * zero frame (the kernel's parts built alone, as the jcstress probes do).
     */
    public KernelFrames(Machine machine, ShootdownStrategy shootdown) {
        this(machine, shootdown, false);
    }

    /**
     * The frames of {@code machine}; with {@code zeroPage}, the zero frame is taken now from the global pool
     * (zeroed, one reference: the kernel's). Call on a thread that executes on no CPU (boot).
     *
     * @throws IllegalStateException when no frame is left for the zero frame
     */
    public KernelFrames(Machine machine, ShootdownStrategy shootdown, boolean zeroPage) {
        this.memory = machine.memory();
        this.frames = machine.frames();
        this.pool = machine.framePool();
        this.pageTable = machine.pageTable();
        this.shootdown = shootdown;
        Cpu[] cpus = machine.cpus().toArray(new Cpu[0]);
        this.cpuCount = cpus.length;
        this.drainFrameCaches = new CrossCall(cpus, cpu -> pool.drainCache(cpu.id()));
        this.applyDeferredAndDrain = new CrossCall(cpus, cpu -> {
            shootdown.applyDeferred(cpu);   // first: the frees it runs here land in this CPU's cache
            pool.drainCache(cpu.id());
        });
        this.applyDeferred = new CrossCall(cpus, shootdown::applyDeferred);
        this.zeroFrame = zeroPage ? takeZeroFrame() : NO_ZERO_FRAME;
    }

    private int takeZeroFrame() {
        int f = pool.allocateGlobal();
        if (f == FramePool.NO_FRAME) {
            throw new IllegalStateException("no frame left for the zero page");
        }
        memory.zeroFrame(f);
        frames.claim(f);
        return f;
    }

    /** The zero frame, mapped read-only by read faults on untouched private pages; {@link #NO_ZERO_FRAME} when off. */
    public int zeroFrame() {
        return zeroFrame;
    }

    /**
     * At shutdown, once no process maps it: checks that the zero frame still holds only zeros, drops the kernel's
     * reference and, when that was the last, returns the frame to the pool (a reference still held is a leak the
     * caller's frame-conservation check reports). Idempotent; any thread.
     *
     * @return what went wrong with it (the frame was written), or null
     */
    public String releaseZeroFrame() {
        if (zeroFrame == NO_ZERO_FRAME || !zeroFrameReleased.compareAndSet(false, true)) {
            return null;
        }
        String problem = null;
        for (int offset = 0; offset < PhysicalMemory.PAGE_SIZE; offset += Long.BYTES) {
            long v = memory.getLong(zeroFrame, offset);
            if (v != 0) {
                problem = "the zero frame " + zeroFrame + " was written: it holds 0x" + Long.toHexString(v) + " at offset " + offset;
                break;
            }
        }
        if (frames.release(zeroFrame)) {
            pool.freeGlobal(zeroFrame);
        }
        return problem;
    }

    public PhysicalMemory memory() {
        return memory;
    }

    public FrameMetadata metadata() {
        return frames;
    }

    public PageTable pageTable() {
        return pageTable;
    }

    /**
     * A claimed frame (reference count 1), contents undefined, for {@code what} (named in the error); {@code cpu}
     * (the caller's own) is charged {@code cost.page_alloc}.
     *
     * @throws OutOfFrames when none is left after every reclaim stage
     */
    public int allocFrame(Cpu cpu, String what) {
        int f = pool.allocate(cpu.id());
        if (f == FramePool.NO_FRAME) {
            f = (int) withReclaim(cpu, what, FramePool.NO_FRAME, () -> pool.allocate(cpu.id()));
        }
        frames.claim(f);
        cpu.charge(cpu.costs().pageAlloc);
        return f;
    }

    /**
     * A zeroed page-table frame, claimed; {@code cpu} (the caller's own) is charged an allocation and a zeroing.
     * @throws OutOfFrames when none is left after every reclaim stage
     */
    public int allocTable(Cpu cpu, String what) {
        int table = (int) withReclaim(cpu, what, FramePool.NO_FRAME, () -> pageTable.allocateTable(cpu.id()));
        cpu.charge(cpu.costs().pageAlloc + cpu.costs().pageZero);
        return table;
    }

    /**
     * The allocation path's one retry loop: {@code attempt} until it returns something other than
     * {@code failed}, running the next {@link #reclaim} stage after each failure.
     *
     * @throws OutOfFrames naming {@code what} when every stage ran and the attempt still failed
     */
    private long withReclaim(Cpu cpu, String what, long failed, java.util.function.LongSupplier attempt) {
        long result = attempt.getAsLong();
        for (int stage = 0; result == failed; stage++) {
            if (!reclaim(cpu, stage)) {
                throw new OutOfFrames(what);
            }
            result = attempt.getAsLong();
        }
        return result;
    }

    /**
     * Counts {@code references} (to user pages or page tables) that a removal of translations drops only once
     * its flush completes; the release that drops them calls {@link #releasedAfterFlush}. What {@link #sysinfo}
     * reports as pending. Thread-safe.
     */
    void holdUntilFlushed(long references) {
        pendingRelease.addAndGet(references);
    }

    /** The release of {@code references} counted by {@link #holdUntilFlushed} ran. Thread-safe. */
    void releasedAfterFlush(long references) {
        pendingRelease.addAndGet(-references);
    }

    /** The machine's memory as {@link Sys#sysinfo()} reports it (see {@link SysInfo} for its consistency). Thread-safe. */
    SysInfo sysinfo() {
        return new SysInfo(pool.frames(), pool.freeFrames(), pool.cachedFrames(), pendingRelease.get());
    }

    /**
     * Has every CPU apply now the invalidations the shootdown strategy deferred; the releases behind them (the
     * frees, the ends of quarantine) run on whichever CPU applies each last, all before this returns. For a
     * range a lazy strategy still holds that a system call must use at once (MAP_FIXED, mremap growing in
     * place). Takes no lock; the caller may hold its mm's lock ({@link #reclaim} says why the targets answer).
     */
    void applyDeferredEverywhere(Cpu cpu) {
        shootdown.applyDeferred(cpu);
        applyDeferred.runOnOthers(cpu);
    }

    /**
     * Drops one reference to {@code frame}, freeing it into {@code cpu}'s cache on the last.
     *
     * @throws IllegalStateException when that was the zero frame's last reference (a mapping released it once too
     *                               often): the kernel's reference is restored and the frame not freed
     */
    public void putFrame(Cpu cpu, int frame) {
        if (frames.release(frame)) {
            if (frame == zeroFrame) {
                frames.claim(frame);
                throw new IllegalStateException("the zero frame " + frame + " lost its last reference while the kernel runs");
            }
            pool.free(cpu.id(), frame);
        }
    }

    /**
     * The slot of {@code va} at {@code level} (0: the leaf entry) in {@code space}, building missing
     * tables. @throws OutOfFrames when a table finds no frame (the tables already built stay: empty tables
     * change nothing visible)
     */
    public long slotMut(Cpu cpu, AddressSpace space, long va, int level) {
        long slot = pageTable.slotMut(cpu.id(), space.root(), va, level);
        if (slot != PageTable.NO_SLOT) {
            return slot;   // the fast path allocates nothing (no lambda): faults come here every time
        }
        return withReclaim(cpu, "a page table", PageTable.NO_SLOT, () -> pageTable.slotMut(cpu.id(), space.root(), va, level));
    }

    /**
     * A page-table frame with undefined contents ({@link PageTable#allocateTableToFill}), reclaiming as
     * {@link #slotMut} does when none is free. Charges nothing, as a table that {@link #slotMut} installs.
     *
     * @throws OutOfFrames naming {@code what} when even reclaim finds none
     */
    public int allocTableToFill(Cpu cpu, String what) {
        return (int) withReclaim(cpu, what, FramePool.NO_FRAME, () -> pageTable.allocateTableToFill(cpu.id()));
    }

    /** {@link #slotMut} of the leaf entry. */
    public long leafSlotMut(Cpu cpu, AddressSpace space, long va) {
        return slotMut(cpu, space, va, 0);
    }

    /** A new, empty address space {@code id} with its root table. @throws OutOfFrames */
    public AddressSpace newSpace(Cpu cpu, int id) {
        return new AddressSpace(id, allocTable(cpu, "a page-table root"), cpuCount);
    }

    /** Clears every entry of leaf table {@code table} and drops the reference each held (the table itself stays). */
    public void releaseLeafTableEntries(Cpu cpu, int table) {
        for (int i = 0; i < PageTable.ENTRIES; i++) {
            long slot = pageTable.slotAddress(table, i);
            long e = PhysicalMemory.laLong(slot);
            if (Pte.holdsFrame(e)) {
                PhysicalMemory.soLong(slot, 0L);
                putFrame(cpu, Pte.frame(e));
            }
        }
    }

    /** Frees a page-table frame whose entries were already released. */
    public void freeTable(Cpu cpu, int table) {
        pool.free(cpu.id(), table);
    }

    /**
     * One stage of making free frames reachable for an allocation on {@code cpu} that found none; the
     * caller retries after each and is out of memory when this returns false (no stage left).
     * <ol>
     * <li>Stage 0 moves every CPU's cached frames to the global pool (Linux retries after
     * {@code drain_all_pages} before it declares out-of-memory, mm/page_alloc.c).
     * <li>Stage 1, only while the shootdown strategy defers invalidations, has every CPU apply what it
     * owes now ({@link ShootdownStrategy#applyDeferred}) and drain its cache again: the frames a returned
     * munmap freed but a lazy strategy (LATR) still holds until the last CPU has applied its queue are
     * freed, so the memory munmap gave back is there for this allocation. Counted as
     * {@link CpuCounter#SHOOTDOWN_LAZY_RECLAIMS}.
     * </ol>
     *
     * <p>Locking: the caller may hold its mm's lock for reading (a fault) or writing (fork, munmap,
     * mprotect); this takes no lock. What runs on the other CPUs is an interrupt handler that applies their
     * own lazy queue (TLB invalidations, reference drops, an instant in the quarantine's monitor) and drains
     * their own cache: it neither allocates nor waits, so a target answers even while it holds that mm's
     * lock or spins for it (CpuRwLock services interrupts while it spins), or waits for a shootdown. The
     * caller services its own inbox while it waits (CrossCall), so two CPUs reclaiming at once run each
     * other's requests and both finish: the wait lasts until every other CPU reaches its next interrupt
     * point, as a shootdown's does.
     */
    private boolean reclaim(Cpu cpu, int stage) {
        if (stage == 0) {
            pool.drainCache(cpu.id());
            drainFrameCaches.runOnOthers(cpu);
            return true;
        }
        if (stage == 1 && shootdown.hasDeferredWork()) {
            cpu.counters().increment(CpuCounter.SHOOTDOWN_LAZY_RECLAIMS);
            shootdown.applyDeferred(cpu);
            applyDeferredAndDrain.runOnOthers(cpu);
            return true;
        }
        return false;
    }
}
