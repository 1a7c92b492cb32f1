package mmsim.mem;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * The physical frame allocator: lock-free, with a cache per CPU in front of a global pool, in the shape
 * of Linux's per-CPU page lists.
 *
 * <p>Contract: {@link #allocate(int)} and {@link #free(int, int)} with a CPU index may be called only by
 * the thread executing on that CPU (one at a time, hand-offs ordered by the scheduler), so a cache needs
 * no atomics on its fast path. A cache refills from the global pool, and drains to it, a batch at a
 * time. Threads that are not executing on a CPU (set-up, tools, tests) use {@link #allocateGlobal()} and
 * {@link #freeGlobal(int)}, which go to the global pool directly.
 *
 * <p>The global pool has two parts: a lock-free stack of frames that were freed ({@code GlobalFrameStack}),
 * and a frontier, the frames never handed out yet: {@code [frontier, frames)}, taken a batch at a time by
 * a CAS on one counter. Boot costs nothing per frame, and a frame's host memory and metadata come into
 * existence only once it is handed out. Freed frames go first, so the frontier advances only when the pool
 * holds no freed frame: what a machine touches is bounded by its peak use, not by all the allocations of its
 * life (and recycled frames are the ones warm in the host's caches). Never-used frames leave the frontier in
 * ascending order, the lowest first, which keeps traces easy to read.
 *
 * <p>Running out is a result, not an exception: {@link #NO_FRAME}, only when the frontier is exhausted and
 * the stack is empty with no split in progress (the frontier never moves back, so there was an instant when
 * both were empty). Frames sitting in other CPUs' caches are not stolen (as in Linux before
 * {@code drain_all_pages}); a kernel that wants the last frames asks each CPU to {@link #drainCache(int)}
 * first. Conservation, free + in use = total, can be checked with {@link #freeFramesQuiescent()} whenever no
 * CPU is allocating.
 */
public final class FramePool {
    /** Returned when no frame is available. */
    public static final int NO_FRAME = -1;
    /** The CPU index of a caller not executing on any CPU: it uses the global pool directly. */
    public static final int NO_CPU = -1;

    private final int frames;
    private final int batch;
    private final GlobalFrameStack global;
    /** The lowest frame never handed out; {@code frames} once every frame was. Only grows. */
    private final AtomicInteger frontier = new AtomicInteger();
    private final PerCpuFrameCache[] caches;

    /**
     * @param frames every frame, 0 to frames-1, starts free (beyond the frontier: nothing is built per frame)
     * @param cpus   one cache per CPU
     * @param batch  frames moved per refill or drain; a cache holds at most {@code 2 × batch}
     */
    public FramePool(int frames, int cpus, int batch) {
        if (frames <= 0 || cpus <= 0 || batch <= 0) {
            throw new IllegalArgumentException("frames, cpus and batch must be positive");
        }
        this.frames = frames;
        this.batch = batch;
        this.global = new GlobalFrameStack(frames);
        this.caches = new PerCpuFrameCache[cpus];
        for (int i = 0; i < cpus; i++) {
            caches[i] = new PerCpuFrameCache(2 * batch);
        }
    }

    public int frames() {
        return frames;
    }

    public int cpus() {
        return caches.length;
    }

    /**
     * A free frame for the thread executing on {@code cpu} (or {@link #NO_CPU}), or {@link #NO_FRAME}.
     * The frame's contents are undefined.
     */
    public int allocate(int cpu) {
        if (cpu == NO_CPU) {
            return allocateGlobal();
        }
        PerCpuFrameCache cache = caches[cpu];
        int count = cache.count;
        if (count > 0) {
            cache.count = count - 1;
            return cache.frames[count - 1];
        }
        return refillAndAllocate(cache);
    }

    /** Returns {@code frame} to {@code cpu}'s cache. The frame must be allocated and no longer referenced. */
    public void free(int cpu, int frame) {
        if (cpu == NO_CPU) {
            freeGlobal(frame);
            return;
        }
        PerCpuFrameCache cache = caches[cpu];
        int count = cache.count;
        if (count == cache.frames.length) {
            drain(cache, batch);
            count = cache.count;
        }
        cache.frames[count] = frame;
        cache.count = count + 1;
    }

    /** A free frame taken from the global pool by a thread not executing on a CPU, or {@link #NO_FRAME}. */
    public int allocateGlobal() {
        global.beginSplit();
        try {
            int chain = global.popChain();
            if (chain == GlobalFrameStack.NONE) {
                int fresh = takeFromFrontier(1);
                if (fresh != NO_FRAME) {
                    return fresh;
                }
                // the frontier is exhausted for good: now an empty stack (with no split in progress) means none left
                chain = global.popChainOrWait(1);
                if (chain == GlobalFrameStack.NONE) {
                    return NO_FRAME;
                }
            }
            int length = global.lengthOf(chain);
            if (length > 1) {
                global.pushChain(global.nextInChain(chain), length - 1);
            }
            return chain;
        } finally {
            global.endSplit();
        }
    }

    /** Returns a frame to the global pool from a thread not executing on a CPU. */
    public void freeGlobal(int frame) {
        global.linkInChain(frame, GlobalFrameStack.NONE);
        global.pushChain(frame, 1);
    }

    /** Moves every frame of {@code cpu}'s cache to the global pool. Call on that CPU, or at a quiescent point. */
    public void drainCache(int cpu) {
        PerCpuFrameCache cache = caches[cpu];
        if (cache.count > 0) {
            drain(cache, cache.count);
        }
    }

    /** Frames in {@code cpu}'s cache (its owner's view). */
    public int cachedFrames(int cpu) {
        return caches[cpu].count;
    }

    /**
     * Free frames, global pool (freed and never used) and caches together. Exact only while no CPU allocates
     * or frees; walks the freed chains.
     */
    public long freeFramesQuiescent() {
        long n = global.countQuiescent() + neverUsedFrames();
        for (PerCpuFrameCache cache : caches) {
            n += cache.count;
        }
        return n;
    }

    /**
     * Free frames, global pool and caches together, read while CPUs run: the global pool's counter plus each
     * cache's count (a plain read of a field its owner writes). Each part is read at a different instant, so
     * while CPUs allocate and free the sum may be off by the batches moving between a cache and the global
     * pool at that moment (a few times {@code framepool.batch} per CPU); exact when quiescent, where it
     * equals {@link #freeFramesQuiescent()}. Costs one read per CPU; takes no lock, stops no one.
     */
    public long freeFrames() {
        return global.count() + neverUsedFrames() + cachedFrames();
    }

    /**
     * Frames never handed out, beyond the frontier: their host memory and metadata do not exist yet. Exact at
     * any time (one volatile read); it only shrinks.
     */
    public int neverUsedFrames() {
        return frames - frontier.get();
    }

    /** Free frames sitting in the per-CPU caches, read as {@link #freeFrames()} reads them. */
    public long cachedFrames() {
        long n = 0;
        for (PerCpuFrameCache cache : caches) {
            n += cache.count;
        }
        return n;
    }

    private int refillAndAllocate(PerCpuFrameCache cache) {
        int chain = global.popChain();
        if (chain == GlobalFrameStack.NONE) {
            int first = takeFromFrontier(batch);
            if (first != NO_FRAME) {
                return refillFromFrontier(cache, first);
            }
            // the frontier is exhausted for good: now an empty stack (with no split in progress) means none left
            chain = global.popChainOrWait(0);
            if (chain == GlobalFrameStack.NONE) {
                return NO_FRAME;
            }
        }
        int length = global.lengthOf(chain);
        int[] slots = cache.frames;
        int f = chain;
        // The first frame of the chain is handed out; the rest fill the cache.
        for (int i = 0; i < length - 1; i++) {
            f = global.nextInChain(f);
            slots[i] = f;
        }
        cache.count = length - 1;
        return chain;
    }

    /**
     * Hands out {@code first}, taken from the frontier with the frames after it, and puts the others in the
     * cache highest first, so that the cache hands them out in ascending order.
     */
    private int refillFromFrontier(PerCpuFrameCache cache, int first) {
        int taken = Math.min(batch, frames - first);
        int[] slots = cache.frames;
        for (int i = 0; i < taken - 1; i++) {
            slots[i] = first + taken - 1 - i;
        }
        cache.count = taken - 1;
        return first;
    }

    /**
     * Moves up to {@code max} never-used frames out of the frontier: returns the first, {@code first} to
     * {@code first + min(max, frames - first) - 1} are now the caller's; or {@link #NO_FRAME} when none is left.
     */
    private int takeFromFrontier(int max) {
        while (true) {
            int first = frontier.get();
            if (first >= frames) {
                return NO_FRAME;
            }
            if (frontier.compareAndSet(first, first + Math.min(max, frames - first))) {
                return first;
            }
            Thread.onSpinWait();
        }
    }

    private void drain(PerCpuFrameCache cache, int n) {
        int[] slots = cache.frames;
        int top = cache.count;
        int first = slots[top - n];
        for (int i = top - n; i < top - 1; i++) {
            global.linkInChain(slots[i], slots[i + 1]);
        }
        global.linkInChain(slots[top - 1], GlobalFrameStack.NONE);
        cache.count = top - n;
        global.pushChain(first, n);
    }
}
