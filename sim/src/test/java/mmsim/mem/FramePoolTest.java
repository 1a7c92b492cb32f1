package mmsim.mem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

class FramePoolTest {

    @Test
    void handsOutEveryFrameOnceThenReportsExhaustion() {
        FramePool pool = new FramePool(100, 2, 8);
        BitSet seen = new BitSet();
        for (int i = 0; i < 100; i++) {
            int f = pool.allocate(0);
            assertNotEquals(FramePool.NO_FRAME, f, "ran out after " + i);
            assertTrue(f >= 0 && f < 100);
            assertTrue(!seen.get(f), "frame " + f + " handed out twice");
            seen.set(f);
        }
        assertEquals(FramePool.NO_FRAME, pool.allocate(0));
        assertEquals(FramePool.NO_FRAME, pool.allocate(1));
        assertEquals(0, pool.cachedFrames(0), "cpu 0's cache was emptied too");
        assertEquals(FramePool.NO_FRAME, pool.allocateGlobal());
        assertEquals(0, pool.freeFramesQuiescent());
        for (int f = 0; f < 100; f++) {
            pool.freeGlobal(f);
        }
        BitSet again = new BitSet();
        for (int f; (f = pool.allocateGlobal()) != FramePool.NO_FRAME; ) {
            again.set(f);
        }
        assertEquals(100, again.cardinality(), "the global path hands out every frame too");
    }

    /**
     * The count readable while CPUs run ({@code freeFrames}, a counter beside the global stack plus the
     * caches) agrees with a walk of the pool at every quiescent point: after refills, drains, splits of a
     * chain by the global path, and frees to both.
     */
    @Test
    void theRunningFreeCountAgreesWithAWalkOfThePoolWheneverQuiescent() {
        FramePool pool = new FramePool(100, 2, 8);
        List<Integer> held = new ArrayList<>();
        SplittableRandom random = new SplittableRandom(5);
        for (int step = 0; step < 2000; step++) {
            int roll = random.nextInt(6);
            if (roll < 2) {
                int f = pool.allocate(roll);
                if (f != FramePool.NO_FRAME) {
                    held.add(f);
                }
            } else if (roll == 2) {
                int f = pool.allocateGlobal();
                if (f != FramePool.NO_FRAME) {
                    held.add(f);
                }
            } else if (!held.isEmpty()) {
                int f = held.remove(random.nextInt(held.size()));
                if (roll == 5) {
                    pool.freeGlobal(f);
                } else {
                    pool.free(roll - 3, f);
                }
            }
            assertEquals(pool.freeFramesQuiescent(), pool.freeFrames(), "step " + step);
            assertEquals(100 - held.size(), pool.freeFrames(), "step " + step + ": free + held = total");
            assertEquals(pool.cachedFrames(0) + pool.cachedFrames(1), pool.cachedFrames(), "step " + step);
        }
    }

    /** The padding must come before the hot fields, or two CPUs' caches can share a cache line. */
    @Test
    void aCachesHotFieldsSitBehindAtLeastACacheLineOfPadding() throws Exception {
        sun.misc.Unsafe unsafe = org.agrona.UnsafeAccess.UNSAFE;
        long count = unsafe.objectFieldOffset(PerCpuFrameCacheFields.class.getDeclaredField("count"));
        long frames = unsafe.objectFieldOffset(PerCpuFrameCacheFields.class.getDeclaredField("frames"));
        assertTrue(count >= 128 && frames >= 128, "count at offset " + count + ", frames at " + frames);
    }

    @Test
    void framesInAnotherCpusCacheAreFoundAfterItDrains() {
        FramePool pool = new FramePool(64, 2, 8);
        List<Integer> held = new ArrayList<>();
        for (int f; (f = pool.allocate(0)) != FramePool.NO_FRAME; ) {
            held.add(f);
        }
        for (int f : held) {
            pool.free(1, f);
        }
        assertEquals(64, pool.freeFramesQuiescent());
        assertTrue(pool.cachedFrames(1) > 0 && pool.cachedFrames(1) <= 16, "cpu 1 caches at most 2 batches");
        int fromCpu0 = 0;
        while (pool.allocate(0) != FramePool.NO_FRAME) {
            fromCpu0++;
        }
        assertEquals(64 - pool.cachedFrames(1), fromCpu0, "cpu 0 gets everything cpu 1 drained");
        pool.drainCache(1);
        assertEquals(0, pool.cachedFrames(1));
        assertNotEquals(FramePool.NO_FRAME, pool.allocate(0), "a drained cache's frames are global again");
    }

    @Test
    void freeFramesAreConservedAcrossCachesAndTheGlobalPool() {
        FramePool pool = new FramePool(1000, 4, 16);
        SplittableRandom random = new SplittableRandom(7);
        List<Integer> held = new ArrayList<>();
        for (int step = 0; step < 20_000; step++) {
            int cpu = random.nextInt(5) - 1;
            if (held.isEmpty() || random.nextBoolean()) {
                int f = pool.allocate(cpu);
                if (f != FramePool.NO_FRAME) {
                    held.add(f);
                }
            } else {
                pool.free(cpu, held.remove(random.nextInt(held.size())));
            }
            if (step % 997 == 0) {
                assertEquals(1000, pool.freeFramesQuiescent() + held.size(), "conservation at step " + step);
            }
        }
        assertEquals(1000, pool.freeFramesQuiescent() + held.size());
    }

    /**
     * Several threads, each on its own CPU index (and one on the global path), allocate and free at
     * random over a pool small enough to run dry. Each frame has an owner slot; taking a frame that has
     * an owner, or freeing one you do not own, is a failure. Seeded; the seed is in the message.
     */
    @Test
    void concurrentAllocateAndFreeNeverHandOneFrameToTwoOwners() throws InterruptedException {
        final int frames = 512;
        final int threads = 4;
        final long seed = 20261121L;
        FramePool pool = new FramePool(frames, threads - 1, 4);
        AtomicIntegerArray owner = new AtomicIntegerArray(frames);
        AtomicReference<String> failure = new AtomicReference<>();
        CountDownLatch start = new CountDownLatch(1);
        CountDownLatch done = new CountDownLatch(threads);
        int[] exhaustion = new int[threads];
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            final int id = t;
            final int cpu = t == threads - 1 ? FramePool.NO_CPU : t;
            Thread worker = new Thread(() -> {
                SplittableRandom random = new SplittableRandom(seed + id);
                List<Integer> held = new ArrayList<>();
                try {
                    start.await();
                    for (int i = 0; i < 200_000 && failure.get() == null; i++) {
                        if (held.isEmpty() || (held.size() < 200 && random.nextInt(100) < 55)) {
                            int f = pool.allocate(cpu);
                            if (f == FramePool.NO_FRAME) {
                                exhaustion[id]++;
                                continue;
                            }
                            if (!owner.compareAndSet(f, 0, id + 1)) {
                                failure.compareAndSet(null, "seed " + seed + ": frame " + f + " given to thread " + id
                                        + " while owned by thread " + (owner.get(f) - 1));
                                return;
                            }
                            held.add(f);
                        } else {
                            int f = held.remove(held.size() - 1 - random.nextInt(Math.min(held.size(), 8)));
                            if (!owner.compareAndSet(f, id + 1, 0)) {
                                failure.compareAndSet(null, "seed " + seed + ": frame " + f + " lost its owner " + id);
                                return;
                            }
                            pool.free(cpu, f);
                        }
                    }
                    for (int f : held) {
                        owner.set(f, 0);
                        pool.free(cpu, f);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } finally {
                    done.countDown();
                }
            }, "pool-worker-" + t);
            workers.add(worker);
            worker.start();
        }
        start.countDown();
        if (!done.await(60, TimeUnit.SECONDS)) {
            fail("workers did not finish within 60 s (seed " + seed + ")");
        }
        for (Thread w : workers) {
            w.join();
        }
        if (failure.get() != null) {
            fail(failure.get());
        }
        assertEquals(frames, pool.freeFramesQuiescent(), "every frame is free again (seed " + seed + ")");
        assertEquals(frames, pool.freeFrames(), "the running count agrees after the storm (seed " + seed + ")");
        for (int cpu = 0; cpu < threads - 1; cpu++) {
            pool.drainCache(cpu);
        }
        BitSet seen = new BitSet();
        for (int f; (f = pool.allocateGlobal()) != FramePool.NO_FRAME; ) {
            assertTrue(!seen.get(f), "frame " + f + " is in the pool twice");
            seen.set(f);
        }
        assertEquals(frames, seen.cardinality(), "no frame lost");
    }

    @Test
    void neverUsedFramesLeaveTheFrontierLowestFirstABatchAtATime() {
        int frames = 1 << 28;
        FramePool pool = new FramePool(frames, 2, 8);
        assertEquals(frames, pool.neverUsedFrames());
        assertEquals(frames, pool.freeFramesQuiescent());
        assertEquals(0, pool.allocate(0));
        assertEquals(frames - 8, pool.neverUsedFrames(), "one refill took a batch");
        assertEquals(7, pool.cachedFrames(0));
        for (int f = 1; f < 8; f++) {
            assertEquals(f, pool.allocate(0), "the cache hands the batch out in ascending order");
        }
        assertEquals(8, pool.allocate(1));
        assertEquals(16, pool.allocateGlobal());
        assertEquals(frames - 17, pool.neverUsedFrames());
        assertEquals(frames - 10, pool.freeFramesQuiescent(), "cpu 1 holds 7 of its batch");
        assertEquals(pool.freeFramesQuiescent(), pool.freeFrames());
    }

    @Test
    void freedFramesAreHandedOutBeforeTheFrontierMoves() {
        FramePool pool = new FramePool(1 << 20, 2, 8);
        List<Integer> held = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            held.add(i % 3 == 2 ? pool.allocateGlobal() : pool.allocate(i % 3));
        }
        int neverUsed = pool.neverUsedFrames();
        for (int round = 0; round < 50; round++) {
            for (int i = 0; i < held.size(); i++) {
                pool.free(i % 3 == 2 ? FramePool.NO_CPU : i % 3, held.get(i));
            }
            held.clear();
            for (int i = 0; i < 100; i++) {
                held.add(i % 3 == 2 ? pool.allocateGlobal() : pool.allocate(i % 3));
            }
            assertEquals(neverUsed, pool.neverUsedFrames(), "round " + round + ": the same frames, recycled");
        }
        assertEquals(1 << 20, pool.freeFramesQuiescent() + held.size());
    }

    @Test
    void theLastRefillFromTheFrontierIsShortThenFreedFramesServe() {
        FramePool pool = new FramePool(10, 1, 4);
        for (int f = 0; f < 10; f++) {
            assertEquals(f, pool.allocate(0));
        }
        assertEquals(0, pool.neverUsedFrames());
        assertEquals(FramePool.NO_FRAME, pool.allocate(0));
        assertEquals(FramePool.NO_FRAME, pool.allocateGlobal());
        for (int f = 0; f < 10; f++) {
            pool.free(0, f);
        }
        pool.drainCache(0);
        BitSet again = new BitSet();
        for (int f; (f = pool.allocate(0)) != FramePool.NO_FRAME; ) {
            again.set(f);
        }
        assertEquals(10, again.cardinality());
    }

    /**
     * Allocate/free cycles whose peak grows past the frontier until the pool runs dry, then shrinks: free +
     * held = total at every step, by the walk and by the running count, and each frame is somewhere once.
     */
    @Test
    void framesAreConservedThroughAllocateFreeCyclesOverTheFrontier() {
        final int frames = 5000;
        final long seed = 20261204L;
        FramePool pool = new FramePool(frames, 3, 16);
        SplittableRandom random = new SplittableRandom(seed);
        List<Integer> held = new ArrayList<>();
        int target = 0;
        for (int step = 0; step < 60_000; step++) {
            if (step % 2000 == 0) {
                target = random.nextInt(frames + 500);
            }
            int cpu = random.nextInt(4) - 1;
            if (held.size() < target) {
                int f = pool.allocate(cpu);
                if (f != FramePool.NO_FRAME) {
                    held.add(f);
                } else {
                    assertEquals(0, pool.neverUsedFrames(), "seed " + seed + ": NO_FRAME with the frontier not exhausted");
                }
            } else if (!held.isEmpty()) {
                pool.free(cpu, held.remove(random.nextInt(held.size())));
            }
            if (step % 101 == 0) {
                assertEquals(frames, pool.freeFramesQuiescent() + held.size(), "seed " + seed + ", step " + step);
                assertEquals(pool.freeFramesQuiescent(), pool.freeFrames(), "seed " + seed + ", step " + step);
            }
        }
        assertEquals(0, pool.neverUsedFrames(), "seed " + seed + ": the peak reached the end of the frontier");
        for (int cpu = 0; cpu < 3; cpu++) {
            pool.drainCache(cpu);
        }
        BitSet seen = new BitSet();
        for (int f : held) {
            seen.set(f);
        }
        for (int f; (f = pool.allocateGlobal()) != FramePool.NO_FRAME; ) {
            assertTrue(!seen.get(f), "seed " + seed + ": frame " + f + " is free and held, or free twice");
            seen.set(f);
        }
        assertEquals(frames, seen.cardinality(), "seed " + seed + ": no frame lost");
    }

    /** CPUs and a thread on no CPU race to take never-used frames: each frame leaves the frontier once. */
    @Test
    void concurrentTakesFromTheFrontierNeverOverlap() throws InterruptedException {
        final int threads = 4;
        final int each = 50_000;
        final int frames = threads * each + 7;
        FramePool pool = new FramePool(frames, threads - 1, 5);
        AtomicIntegerArray taken = new AtomicIntegerArray(frames);
        AtomicReference<String> failure = new AtomicReference<>();
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            final int cpu = t == threads - 1 ? FramePool.NO_CPU : t;
            Thread worker = new Thread(() -> {
                try {
                    start.await();
                    for (int i = 0; i < each; i++) {
                        int f = pool.allocate(cpu);
                        if (f == FramePool.NO_FRAME || taken.getAndIncrement(f) != 0) {
                            failure.compareAndSet(null, "frame " + f + " handed out twice, or none left");
                            return;
                        }
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            workers.add(worker);
            worker.start();
        }
        start.countDown();
        for (Thread w : workers) {
            w.join();
        }
        assertEquals(null, failure.get());
        assertEquals(7, pool.freeFramesQuiescent(), "what is left: the caches' remainders and the frontier");
    }
}
