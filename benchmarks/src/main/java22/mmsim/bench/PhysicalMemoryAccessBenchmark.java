package mmsim.bench;

import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

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
import org.openjdk.jmh.annotations.Warmup;

import mmsim.mem.PhysicalMemory;

/**
 * {@code sun.misc.Unsafe} against the Foreign Function &amp; Memory API ({@code java.lang.foreign}) for the
 * operations mmsim performs on simulated physical memory, in host nanoseconds per operation (ns/op), on one
 * host thread. Issue 15 asks whether the FFM path is as fast, since Unsafe's memory-access methods are
 * deprecated for removal. This source compiles only on JDK 22 or later (FFM is final in 22): it lives in
 * {@code src/main/java22}, which the {@code jdk22-ffm} profile of {@code benchmarks/pom.xml} adds when
 * Maven itself runs on JDK 22+.
 *
 * <p>Every benchmark works on one 64 MiB off-heap region, allocated once per trial from a shared
 * {@link Arena} and zeroed, in three twins:
 * <ul>
 *   <li>{@code unsafe*}: mmsim's own {@link PhysicalMemory} static methods at host addresses (the region's
 *       {@link MemorySegment#address()} plus an offset): what the simulator does today.</li>
 *   <li>{@code segment*}: the region's own {@link MemorySegment}, read from a field, at offsets inside it:
 *       each access is bounds-checked against the segment and checks that the shared arena is still
 *       open. The shape of a port that keeps one segment per chunk.</li>
 *   <li>{@code addressSpace*}: a {@code static final} segment over the whole address space
 *       ({@code MemorySegment.NULL.reinterpret(Long.MAX_VALUE)}, a restricted method) at host addresses:
 *       a drop-in port of {@link PhysicalMemory}'s static methods, with TLB entries still holding host
 *       addresses.</li>
 * </ul>
 *
 * <p>The operations, each the hot-path use it stands for:
 * <ul>
 *   <li>{@code *LoadPlain}, {@code *StorePlain}: an 8-byte plain load or store, as
 *       {@link PhysicalMemory#lpLong}/{@link PhysicalMemory#spLong} after a TLB hit. FFM uses
 *       {@code JAVA_LONG_UNALIGNED}: like Unsafe it checks no alignment (the MMU already did).</li>
 *   <li>{@code *LoadAcquire}, {@code *StoreRelease}, {@code *Cas}: a page-table entry read
 *       ({@link PhysicalMemory#laLong}, a volatile load on the Unsafe side, which has no acquire load), a
 *       release store ({@link PhysicalMemory#soLong}) and a CAS ({@link PhysicalMemory#casLong}); FFM
 *       uses {@code JAVA_LONG}'s VarHandle with {@code getAcquire}, {@code setRelease},
 *       {@code compareAndSet}.</li>
 *   <li>{@code *CopyPage}: one 4 KiB page copied to another, as a COW fault's copy
 *       ({@link PhysicalMemory#copyFrame}).</li>
 *   <li>{@code *ZeroPageByCopy}: a 4 KiB page zeroed by copying a page of zeros, as
 *       {@link PhysicalMemory#zeroFrame} does for a demand-zero fault; {@code *ZeroPageByFill}: the same
 *       with {@code asSlice(..).fill((byte) 0)} (FFM only; Unsafe's equivalent would be
 *       {@code setMemory}).</li>
 * </ul>
 *
 * <p>Word operations run over {@value #ACCESSES} 8-aligned offsets, each in a different page of the region
 * (pages and slots drawn once from a fixed seed), so one invocation touches 1024 host pages and 1024
 * cache lines (64 KiB); page operations run over {@value #PAGE_OPS} page pairs (512 KiB). The score is
 * per operation ({@code @OperationsPerInvocation}). The loop lets the JIT hoist what does not change
 * between accesses (the base address, the segment and its checks), as it can in a simulated workload's
 * loop.
 *
 * <p>Answers are checked and a wrong one throws: loads sum what they read and compare it with what the
 * slots hold; stores and release stores write a new value per invocation into every slot; every CAS must
 * succeed. At the end of each trial every slot is read back through the segment and must hold the last
 * value written, every copied page must equal its source and every zeroed page must be all zeros (they
 * start filled with ones).
 *
 * <p>Forks run with {@code --sun-misc-unsafe-memory-access=allow} and
 * {@code --enable-native-access=ALL-UNNAMED}, as {@code ./mmsim} launches the simulator: on JDK 25 the
 * default ({@code warn}) adds a volatile load of a "warned" flag to every {@code sun.misc.Unsafe} memory
 * access, and {@code reinterpret} would print a warning.
 *
 * <p>Run on JDK 22+ (built with Maven running on that JDK):
 * {@code /usr/lib/jvm/temurin-25-jdk-amd64/bin/java -jar benchmarks/target/benchmarks.jar PhysicalMemoryAccess
 * -f 3 -wi 3 -i 5 -w 1s -r 1s -foe true}. Report the host's core count and the JDK next to the numbers.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-XX:+IgnoreUnrecognizedVMOptions", "--sun-misc-unsafe-memory-access=allow",
        "--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@State(Scope.Thread)
public class PhysicalMemoryAccessBenchmark {
    static final long REGION_BYTES = 64L << 20;
    static final int PAGE_SIZE = PhysicalMemory.PAGE_SIZE;
    static final int REGION_PAGES = (int) (REGION_BYTES / PAGE_SIZE);
    /** Word accesses per invocation, each in its own page. */
    static final int ACCESSES = 1024;
    /** Page copies or page zeroings per invocation. */
    static final int PAGE_OPS = 64;
    static final long SEED = 0x5EED_15L;

    /** Every host address, as a segment: what a drop-in port of PhysicalMemory's static methods would use. */
    @SuppressWarnings("restricted")
    static final MemorySegment ADDRESS_SPACE = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);
    static final VarHandle LONG = JAVA_LONG.varHandle();

    Arena arena;
    /** The region: 64 MiB, page-aligned. */
    MemorySegment region;
    long regionAddress;
    /** A page of zeros outside the region, as PhysicalMemory keeps one. */
    MemorySegment zeros;
    long zerosAddress;
    /** Offsets in the region of the word accesses: distinct pages, random 8-aligned slots. */
    long[] wordOffsets;
    long[] copySources;
    long[] copyDestinations;
    long[] zeroTargets;
    /** Every word slot holds {@code stamp(i, round)}; stores and CASes move to the next round. */
    long round;
    long expectedLoadSum;
    /** Set by the page benchmarks, so that the trial's check knows which pages must have changed. */
    boolean pagesCopied;
    boolean pagesZeroed;

    @Setup(Level.Trial)
    public void allocate() {
        arena = Arena.ofShared();
        region = arena.allocate(REGION_BYTES, PAGE_SIZE);
        regionAddress = region.address();
        zeros = arena.allocate(PAGE_SIZE, PAGE_SIZE);
        zerosAddress = zeros.address();

        int[] pages = shuffledPages(new SplittableRandom(SEED));
        SplittableRandom slots = new SplittableRandom(SEED + 1);
        int next = 0;
        wordOffsets = new long[ACCESSES];
        for (int i = 0; i < ACCESSES; i++) {
            wordOffsets[i] = (long) pages[next++] * PAGE_SIZE + 8L * slots.nextInt(PAGE_SIZE / 8);
        }
        copySources = new long[PAGE_OPS];
        copyDestinations = new long[PAGE_OPS];
        zeroTargets = new long[PAGE_OPS];
        for (int i = 0; i < PAGE_OPS; i++) {
            copySources[i] = (long) pages[next++] * PAGE_SIZE;
            copyDestinations[i] = (long) pages[next++] * PAGE_SIZE;
            zeroTargets[i] = (long) pages[next++] * PAGE_SIZE;
        }

        round = 0;
        expectedLoadSum = 0;
        for (int i = 0; i < ACCESSES; i++) {
            region.set(JAVA_LONG, wordOffsets[i], stamp(i, round));
            expectedLoadSum += stamp(i, round);
        }
        for (int i = 0; i < PAGE_OPS; i++) {
            for (int slot = 0; slot < PAGE_SIZE / 8; slot++) {
                region.set(JAVA_LONG, copySources[i] + 8L * slot, ((long) i << 32) | slot);
            }
            region.asSlice(zeroTargets[i], PAGE_SIZE).fill((byte) 0xff);
        }
    }

    /** Checks through the segment what the benchmark left in memory, then frees the region. */
    @TearDown(Level.Trial)
    public void checkAndFree() {
        try {
            for (int i = 0; i < ACCESSES; i++) {
                long actual = region.get(JAVA_LONG, wordOffsets[i]);
                if (actual != stamp(i, round)) {
                    throw new IllegalStateException("slot " + i + " at offset " + wordOffsets[i] + " holds " + actual
                            + ", expected " + stamp(i, round) + " (round " + round + ")");
                }
            }
            for (int i = 0; i < PAGE_OPS && pagesCopied; i++) {
                long difference = MemorySegment.mismatch(region, copySources[i], copySources[i] + PAGE_SIZE,
                        region, copyDestinations[i], copyDestinations[i] + PAGE_SIZE);
                if (difference != -1) {
                    throw new IllegalStateException("the page at offset " + copyDestinations[i] + " is not a copy of"
                            + " the page at offset " + copySources[i] + ": they differ from byte " + difference);
                }
            }
            for (int i = 0; i < PAGE_OPS && pagesZeroed; i++) {
                long nonZero = region.asSlice(zeroTargets[i], PAGE_SIZE).mismatch(zeros);
                if (nonZero != -1) {
                    throw new IllegalStateException("the page at offset " + zeroTargets[i] + " was not zeroed: byte "
                            + nonZero + " is not zero");
                }
            }
        } finally {
            arena.close();
        }
    }

    // ---- 8-byte plain load and store (TLB-hit path) ----

    @Benchmark
    @OperationsPerInvocation(ACCESSES)
    public long unsafeLoadPlain() {
        final long base = regionAddress;
        final long[] offsets = wordOffsets;
        long sum = 0;
        for (long offset : offsets) {
            sum += PhysicalMemory.lpLong(base + offset);
        }
        return checkedSum(sum);
    }

    @Benchmark
    @OperationsPerInvocation(ACCESSES)
    public long segmentLoadPlain() {
        final MemorySegment memory = region;
        final long[] offsets = wordOffsets;
        long sum = 0;
        for (long offset : offsets) {
            sum += memory.get(JAVA_LONG_UNALIGNED, offset);
        }
        return checkedSum(sum);
    }

    @Benchmark
    @OperationsPerInvocation(ACCESSES)
    public long addressSpaceLoadPlain() {
        final long base = regionAddress;
        final long[] offsets = wordOffsets;
        long sum = 0;
        for (long offset : offsets) {
            sum += ADDRESS_SPACE.get(JAVA_LONG_UNALIGNED, base + offset);
        }
        return checkedSum(sum);
    }

    @Benchmark
    @OperationsPerInvocation(ACCESSES)
    public void unsafeStorePlain() {
        final long base = regionAddress;
        final long[] offsets = wordOffsets;
        final long next = ++round;
        for (int i = 0; i < offsets.length; i++) {
            PhysicalMemory.spLong(base + offsets[i], stamp(i, next));
        }
    }

    @Benchmark
    @OperationsPerInvocation(ACCESSES)
    public void segmentStorePlain() {
        final MemorySegment memory = region;
        final long[] offsets = wordOffsets;
        final long next = ++round;
        for (int i = 0; i < offsets.length; i++) {
            memory.set(JAVA_LONG_UNALIGNED, offsets[i], stamp(i, next));
        }
    }

    @Benchmark
    @OperationsPerInvocation(ACCESSES)
    public void addressSpaceStorePlain() {
        final long base = regionAddress;
        final long[] offsets = wordOffsets;
        final long next = ++round;
        for (int i = 0; i < offsets.length; i++) {
            ADDRESS_SPACE.set(JAVA_LONG_UNALIGNED, base + offsets[i], stamp(i, next));
        }
    }

    // ---- page-table entry access: acquire load, release store, CAS ----

    @Benchmark
    @OperationsPerInvocation(ACCESSES)
    public long unsafeLoadAcquire() {
        final long base = regionAddress;
        final long[] offsets = wordOffsets;
        long sum = 0;
        for (long offset : offsets) {
            sum += PhysicalMemory.laLong(base + offset);
        }
        return checkedSum(sum);
    }

    @Benchmark
    @OperationsPerInvocation(ACCESSES)
    public long segmentLoadAcquire() {
        final MemorySegment memory = region;
        final long[] offsets = wordOffsets;
        long sum = 0;
        for (long offset : offsets) {
            sum += (long) LONG.getAcquire(memory, offset);
        }
        return checkedSum(sum);
    }

    @Benchmark
    @OperationsPerInvocation(ACCESSES)
    public long addressSpaceLoadAcquire() {
        final long base = regionAddress;
        final long[] offsets = wordOffsets;
        long sum = 0;
        for (long offset : offsets) {
            sum += (long) LONG.getAcquire(ADDRESS_SPACE, base + offset);
        }
        return checkedSum(sum);
    }

    @Benchmark
    @OperationsPerInvocation(ACCESSES)
    public void unsafeStoreRelease() {
        final long base = regionAddress;
        final long[] offsets = wordOffsets;
        final long next = ++round;
        for (int i = 0; i < offsets.length; i++) {
            PhysicalMemory.soLong(base + offsets[i], stamp(i, next));
        }
    }

    @Benchmark
    @OperationsPerInvocation(ACCESSES)
    public void segmentStoreRelease() {
        final MemorySegment memory = region;
        final long[] offsets = wordOffsets;
        final long next = ++round;
        for (int i = 0; i < offsets.length; i++) {
            LONG.setRelease(memory, offsets[i], stamp(i, next));
        }
    }

    @Benchmark
    @OperationsPerInvocation(ACCESSES)
    public void addressSpaceStoreRelease() {
        final long base = regionAddress;
        final long[] offsets = wordOffsets;
        final long next = ++round;
        for (int i = 0; i < offsets.length; i++) {
            LONG.setRelease(ADDRESS_SPACE, base + offsets[i], stamp(i, next));
        }
    }

    @Benchmark
    @OperationsPerInvocation(ACCESSES)
    public int unsafeCas() {
        final long base = regionAddress;
        final long[] offsets = wordOffsets;
        final long current = round;
        int succeeded = 0;
        for (int i = 0; i < offsets.length; i++) {
            if (PhysicalMemory.casLong(base + offsets[i], stamp(i, current), stamp(i, current + 1))) {
                succeeded++;
            }
        }
        return checkedCasRound(succeeded);
    }

    @Benchmark
    @OperationsPerInvocation(ACCESSES)
    public int segmentCas() {
        final MemorySegment memory = region;
        final long[] offsets = wordOffsets;
        final long current = round;
        int succeeded = 0;
        for (int i = 0; i < offsets.length; i++) {
            if ((boolean) LONG.compareAndSet(memory, offsets[i], stamp(i, current), stamp(i, current + 1))) {
                succeeded++;
            }
        }
        return checkedCasRound(succeeded);
    }

    @Benchmark
    @OperationsPerInvocation(ACCESSES)
    public int addressSpaceCas() {
        final long base = regionAddress;
        final long[] offsets = wordOffsets;
        final long current = round;
        int succeeded = 0;
        for (int i = 0; i < offsets.length; i++) {
            if ((boolean) LONG.compareAndSet(ADDRESS_SPACE, base + offsets[i], stamp(i, current), stamp(i, current + 1))) {
                succeeded++;
            }
        }
        return checkedCasRound(succeeded);
    }

    // ---- whole pages: COW copy and demand-zero ----

    @Benchmark
    @OperationsPerInvocation(PAGE_OPS)
    public void unsafeCopyPage() {
        final long base = regionAddress;
        for (int i = 0; i < PAGE_OPS; i++) {
            PhysicalMemory.copy(null, base + copySources[i], null, base + copyDestinations[i], PAGE_SIZE);
        }
        pagesCopied = true;
    }

    @Benchmark
    @OperationsPerInvocation(PAGE_OPS)
    public void segmentCopyPage() {
        final MemorySegment memory = region;
        for (int i = 0; i < PAGE_OPS; i++) {
            MemorySegment.copy(memory, copySources[i], memory, copyDestinations[i], PAGE_SIZE);
        }
        pagesCopied = true;
    }

    @Benchmark
    @OperationsPerInvocation(PAGE_OPS)
    public void addressSpaceCopyPage() {
        final long base = regionAddress;
        for (int i = 0; i < PAGE_OPS; i++) {
            MemorySegment.copy(ADDRESS_SPACE, base + copySources[i], ADDRESS_SPACE, base + copyDestinations[i], PAGE_SIZE);
        }
        pagesCopied = true;
    }

    @Benchmark
    @OperationsPerInvocation(PAGE_OPS)
    public void unsafeZeroPageByCopy() {
        final long base = regionAddress;
        final long zeroPage = zerosAddress;
        for (int i = 0; i < PAGE_OPS; i++) {
            PhysicalMemory.copy(null, zeroPage, null, base + zeroTargets[i], PAGE_SIZE);
        }
        pagesZeroed = true;
    }

    @Benchmark
    @OperationsPerInvocation(PAGE_OPS)
    public void segmentZeroPageByCopy() {
        final MemorySegment memory = region;
        final MemorySegment zeroPage = zeros;
        for (int i = 0; i < PAGE_OPS; i++) {
            MemorySegment.copy(zeroPage, 0, memory, zeroTargets[i], PAGE_SIZE);
        }
        pagesZeroed = true;
    }

    @Benchmark
    @OperationsPerInvocation(PAGE_OPS)
    public void segmentZeroPageByFill() {
        final MemorySegment memory = region;
        for (int i = 0; i < PAGE_OPS; i++) {
            memory.asSlice(zeroTargets[i], PAGE_SIZE).fill((byte) 0);
        }
        pagesZeroed = true;
    }

    @Benchmark
    @OperationsPerInvocation(PAGE_OPS)
    public void addressSpaceZeroPageByCopy() {
        final long base = regionAddress;
        final long zeroPage = zerosAddress;
        for (int i = 0; i < PAGE_OPS; i++) {
            MemorySegment.copy(ADDRESS_SPACE, zeroPage, ADDRESS_SPACE, base + zeroTargets[i], PAGE_SIZE);
        }
        pagesZeroed = true;
    }

    @Benchmark
    @OperationsPerInvocation(PAGE_OPS)
    public void addressSpaceZeroPageByFill() {
        final long base = regionAddress;
        for (int i = 0; i < PAGE_OPS; i++) {
            ADDRESS_SPACE.asSlice(base + zeroTargets[i], PAGE_SIZE).fill((byte) 0);
        }
        pagesZeroed = true;
    }

    /** What word slot {@code i} holds after {@code round} rounds of stores. */
    static long stamp(int i, long round) {
        return round * ACCESSES + i;
    }

    private long checkedSum(long sum) {
        if (sum != expectedLoadSum) {
            throw new IllegalStateException("loads summed to " + sum + ", expected " + expectedLoadSum);
        }
        return sum;
    }

    private int checkedCasRound(int succeeded) {
        if (succeeded != ACCESSES) {
            throw new IllegalStateException(succeeded + " of " + ACCESSES + " CASes succeeded in round " + round);
        }
        round++;
        return succeeded;
    }

    private static int[] shuffledPages(SplittableRandom random) {
        int[] pages = new int[REGION_PAGES];
        for (int i = 0; i < pages.length; i++) {
            pages[i] = i;
        }
        for (int i = pages.length - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int swap = pages[i];
            pages[i] = pages[j];
            pages[j] = swap;
        }
        return pages;
    }
}
