package mmsim.bench;

import java.util.BitSet;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.BenchmarkParams;

import mmsim.Machine;
import mmsim.config.MachineConfig;
import mmsim.mem.FramePool;

/**
 * The cost, in host nanoseconds, of one allocate + free pair of physical frames ({@link FramePool}), on
 * one host thread and on every host thread at once. The score is the average time of one pair as seen
 * by one thread, so near-linear scaling shows as the {@code AllThreads} score staying close to the
 * one-thread score.
 *
 * <ul>
 *   <li>{@code cachedPair}: {@code allocate(cpu)} then {@code free(cpu, frame)}: the per-CPU cache's fast
 *       path; the cache never runs empty or full (issue's goal: ≤ 20 ns a pair on one core).</li>
 *   <li>{@code cachedBatch64}: 64 allocations then 64 frees on one CPU, twice the default
 *       {@code framepool.batch} of 32, so every round refills the cache from the global pool and drains
 *       it back, a batch per CAS. The score is per pair.</li>
 *   <li>{@code globalPair}: {@code allocateGlobal()} then {@code freeGlobal(frame)}: the lock-free global
 *       pool alone, one CAS each way once the top of the stack is the frame just freed; against {@code cachedPair} it shows what the per-CPU caches buy,
 *       and under all threads what contention on one CAS word costs.</li>
 *   <li>{@code privateStackPair}: the control: the same pop and push on a stack private to the thread,
 *       padded, with no pool. Its {@code AllThreads} score is the best scaling this host gives two busy
 *       threads, against which the pool's is judged (on a shared 2-vCPU VM even this slows down).</li>
 * </ul>
 * Each has a one-thread and an {@code AllThreads} ({@code @Threads(Threads.MAX)}) method. The machine
 * has one simulated CPU per JMH thread, and each JMH thread executes on its own CPU, as the pool's
 * contract requires.
 *
 * <p>The answer is checked: a {@link FramePool#NO_FRAME} fails the run at once, and at the end every
 * cache is drained, the free count must equal the machine's frames, and the pool must then hand out
 * every frame exactly once.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar FramePool -f 1 -wi 3 -i 5 -w 1s -r 1s}.
 * {@code AllThreads} uses as many threads as the host has processors: report that count.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class FramePoolBenchmark {
    /** Frames taken before any is given back by {@code cachedBatch64}. */
    static final int BATCH = 64;

    /** One machine for every thread of a run: 64 MiB, 16384 frames, one CPU per JMH thread. */
    @State(Scope.Benchmark)
    public static class Pool {
        Machine machine;
        FramePool pool;
        final AtomicInteger nextCpu = new AtomicInteger();

        @Setup(Level.Trial)
        public void boot(BenchmarkParams params) {
            machine = Machine.boot(MachineConfig.parse(Map.of(
                    "cpus", Integer.toString(params.getThreads()),
                    "memory", "64MiB")));
            pool = machine.framePool();
        }

        /** Frames are conserved, and none is handed out twice. All benchmark threads have stopped. */
        @TearDown(Level.Trial)
        public void checkConservedAndClose() {
            try {
                for (int cpu = 0; cpu < pool.cpus(); cpu++) {
                    pool.drainCache(cpu);
                }
                long free = pool.freeFramesQuiescent();
                if (free != pool.frames()) {
                    throw new IllegalStateException(free + " frames free at the end, expected " + pool.frames());
                }
                BitSet seen = new BitSet(pool.frames());
                for (int f; (f = pool.allocateGlobal()) != FramePool.NO_FRAME; ) {
                    if (seen.get(f)) {
                        throw new IllegalStateException("frame " + f + " was handed out twice");
                    }
                    seen.set(f);
                }
                if (seen.cardinality() != pool.frames()) {
                    throw new IllegalStateException("the pool handed out " + seen.cardinality() + " distinct frames, expected "
                            + pool.frames());
                }
            } finally {
                machine.close();
            }
        }
    }

    /** The simulated CPU this JMH thread executes on, and room for a batch of frames. */
    @State(Scope.Thread)
    public static class OnCpu {
        int cpu;
        final int[] held = new int[BATCH];

        @Setup(Level.Trial)
        public void claimCpu(Pool pool) {
            cpu = pool.nextCpu.getAndIncrement();
        }
    }

    /**
     * The control: a stack of free frame numbers that belongs to one thread, laid out like a CPU's cache
     * (count and slots), inside one int array padded by two cache lines at each end.
     */
    @State(Scope.Thread)
    public static class PrivateStack {
        static final int PAD = 32;
        static final int COUNT = PAD;
        static final int BASE = PAD + 1;
        final int[] slots = new int[PAD + 1 + 2 * BATCH + PAD];

        @Setup(Level.Trial)
        public void fill() {
            for (int i = 0; i < BATCH / 2; i++) {
                slots[BASE + i] = i;
            }
            slots[COUNT] = BATCH / 2;
        }

        int pair() {
            int[] s = slots;
            int count = s[COUNT];
            int frame = s[BASE + count - 1];
            s[COUNT] = count - 1;
            s[BASE + count - 1] = frame;
            s[COUNT] = count;
            return frame;
        }
    }

    @Benchmark
    @Threads(1)
    public int cachedPair(Pool p, OnCpu c) {
        return cachedPair(p.pool, c.cpu);
    }

    @Benchmark
    @Threads(Threads.MAX)
    public int cachedPairAllThreads(Pool p, OnCpu c) {
        return cachedPair(p.pool, c.cpu);
    }

    @Benchmark
    @Threads(1)
    @OperationsPerInvocation(BATCH)
    public int cachedBatch64(Pool p, OnCpu c) {
        return cachedBatch(p.pool, c.cpu, c.held);
    }

    @Benchmark
    @Threads(Threads.MAX)
    @OperationsPerInvocation(BATCH)
    public int cachedBatch64AllThreads(Pool p, OnCpu c) {
        return cachedBatch(p.pool, c.cpu, c.held);
    }

    @Benchmark
    @Threads(1)
    public int globalPair(Pool p) {
        return globalPair(p.pool);
    }

    @Benchmark
    @Threads(Threads.MAX)
    public int globalPairAllThreads(Pool p) {
        return globalPair(p.pool);
    }

    @Benchmark
    @Threads(1)
    public int privateStackPair(PrivateStack s) {
        return s.pair();
    }

    @Benchmark
    @Threads(Threads.MAX)
    public int privateStackPairAllThreads(PrivateStack s) {
        return s.pair();
    }

    private static int cachedPair(FramePool pool, int cpu) {
        int frame = checked(pool.allocate(cpu));
        pool.free(cpu, frame);
        return frame;
    }

    private static int cachedBatch(FramePool pool, int cpu, int[] held) {
        for (int i = 0; i < held.length; i++) {
            held[i] = checked(pool.allocate(cpu));
        }
        for (int i = held.length - 1; i >= 0; i--) {
            pool.free(cpu, held[i]);
        }
        return held[0];
    }

    private static int globalPair(FramePool pool) {
        int frame = checked(pool.allocateGlobal());
        pool.freeGlobal(frame);
        return frame;
    }

    private static int checked(int frame) {
        if (frame == FramePool.NO_FRAME) {
            throw new IllegalStateException("the frame pool ran out with at most " + BATCH
                    + " frames per thread allocated");
        }
        return frame;
    }
}
