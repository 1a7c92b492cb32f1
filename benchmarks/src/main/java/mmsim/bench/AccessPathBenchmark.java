package mmsim.bench;

import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import mmsim.Machine;
import mmsim.config.MachineConfig;
import mmsim.cpu.Cpu;
import mmsim.cpu.Mmu;
import mmsim.mem.FramePool;
import mmsim.mem.PhysicalMemory;
import mmsim.paging.AddressSpace;
import mmsim.paging.Pte;
import mmsim.paging.Vma;
import mmsim.stats.CpuCounter;

/**
 * The cost, in host nanoseconds, of one simulated 8-byte access through a CPU's MMU
 * ({@link Mmu#loadLong}, {@link Mmu#storeLong}) on one host thread.
 *
 * <ul>
 *   <li>{@code loadLongTlbHit}, {@code storeLongTlbHit}: a random stream of 1024 aligned addresses,
 *       precomputed from a fixed seed, over 64 contiguous pages: a working set that fits the L1 TLB of
 *       either geometry, so every access is an L1 hit (the goal: ≤ 5 ns). Pages are pre-touched
 *       by stores, so stores hit entries whose dirty bit is already set.</li>
 *   <li>{@code loadLongTlbMissWalk}: a random cyclic permutation of 4096 pages, one address in each.
 *       Every TLB set sees far more pages than it has ways, so under LRU each access misses the L1 (and
 *       the L2) and walks the four-level page table, setting the accessed bit (already set after the
 *       first pass, so no CAS) and filling the TLB. The {@code walks} counter is the time per walk: equal
 *       to the score when every access walks. The 4096 pages span 8 leaf tables, so with the walk memo (on, as
 *       the kernel has it) a walk reads the leaf level only; {@code -p walkMemo=false} walks all four levels.</li>
 *   <li>{@code loadLongTlbL2Hit} (two-level TLB only): a random cyclic permutation of 1024 pages, more than
 *       each L1 set's ways but fewer than each L2 set's, so every access misses the L1 and hits the L2,
 *       which refills the L1. Between the hit and the walk: what the L2 lookup costs. The {@code l2Hits}
 *       counter is the time per L2 hit.</li>
 *   <li>{@code hostFloorL2HitStream}, {@code hostFloorMissWalkStream}: the same streams' loads straight from host
 *       memory, at the host addresses the MMU translates them to, in the same order: what the host's caches and TLB
 *       charge for those lines and pages alone, so that the two figures above can be read against it (0.30 and
 *       0.83 ns a load on this project's 2-core host: the loads overlap).</li>
 * </ul>
 *
 * <p>Each invocation runs the whole address stream in a loop, so the score (ns/op, via
 * {@code @OperationsPerInvocation}) is the cost of one access, JMH's call overhead amortized. Accesses of
 * the loop may overlap in the host's out-of-order core, as they do in a simulated workload's loop.
 *
 * <p>{@code tlb} picks the TLB geometry: {@code skylake} is the default machine (L1 64 entries × 4 ways,
 * L2 1536 × 12, LRU); {@code direct64} is one level of 64 direct-mapped entries.
 *
 * <p>The answer is checked, so a fast wrong result fails the run: loads are summed and compared with the
 * value every address was initialised to (its own virtual address); each iteration must show no fault,
 * and no L1 miss or dirty assist (hits), at least 99% L2 hits and no walk (L2 hits), or at least 99% walks
 * (misses); at the end every address is read back through the page table and physical memory.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar AccessPath -f 1 -wi 3 -i 5 -w 1s -r 1s}
 * (add {@code -p tlb=skylake} for one geometry; {@code loadLongTlbL2Hit} fails with {@code direct64}, which
 * has no L2). Report the host's core count next to the numbers.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class AccessPathBenchmark {
    /** Pages of the TLB-hit working set: the L1 TLB's 64 entries. */
    static final int HIT_PAGES = 64;
    /** Addresses in the TLB-hit stream: one invocation. */
    static final int HIT_STREAM = 1024;
    /** Pages of the L2-hit working set, and one invocation's accesses: between the L1's 64 and the L2's 1536 entries. */
    static final int L2_PAGES = 1024;
    /** Pages of the TLB-miss working set, far above L1 + L2 (64 + 1536), and one invocation's accesses. */
    static final int MISS_PAGES = 4096;
    /** Every random choice of the address streams derives from it. */
    static final long SEED = 0x5EED_0002L;

    /** The TLB geometries of the {@code tlb} parameter, as machine settings. */
    static final Map<String, Map<String, String>> TLB_GEOMETRIES = Map.of(
            "skylake", Map.of(),
            "direct64", Map.of("tlb.levels", "1", "tlb.l1.entries", "64", "tlb.l1.ways", "1"));

    /**
     * A machine with one address space loaded on CPU 0, a demand-zero fault handler, a mapped and
     * pre-touched region and the stream of addresses a benchmark accesses. Each address holds its own
     * virtual address as its value.
     */
    @State(Scope.Thread)
    public abstract static class Workload {
        Machine machine;
        Cpu cpu;
        Mmu mmu;
        AddressSpace space;
        long[] stream;
        /** The host address each address of {@link #stream} translates to, for the host floor. */
        long[] hostStream;
        long expectedSum;
        /** Host-floor invocations this iteration ({@link #loadAllFromHost}): they make no simulated access. */
        private long hostFloorRuns;
        private final long[] countsAtIterationStart = new long[CpuCounter.all().length];

        /** The {@code tlb} parameter: a key of {@link #TLB_GEOMETRIES}. */
        abstract String tlb();

        abstract int pages();

        /** Whether walks may skip the levels above a leaf table they reached before ({@code Mmu.setWalkMemo}). */
        boolean walkMemo() {
            return true;
        }

        /** The addresses to access, in order, inside {@code [base, base + pages · 4096)}. */
        abstract long[] addresses(long base, SplittableRandom random);

        /** Throws when this iteration's counters ({@link #delta}) say the benchmark did not do the work it names. */
        abstract void checkIteration(long accesses);

        @Setup(Level.Trial)
        public void boot() {
            Map<String, String> geometry = TLB_GEOMETRIES.get(tlb());
            if (geometry == null) {
                throw new IllegalArgumentException("tlb=" + tlb() + " is none of " + TLB_GEOMETRIES.keySet());
            }
            Map<String, String> settings = new HashMap<>(geometry);
            settings.put("cpus", "1");
            settings.put("memory", "64MiB");
            machine = Machine.boot(MachineConfig.parse(settings));
            machine.setFaultHandler(new DemandZeroFaultHandler(machine));
            cpu = machine.cpu(0);
            mmu = cpu.mmu();
            // as Kernel.boot sets it
            mmu.setWalkMemo(walkMemo());
            space = machine.newAddressSpace(FramePool.NO_CPU);
            cpu.switchAddressSpace(space);
            long base = space.map((long) pages() << PhysicalMemory.PAGE_SHIFT, Vma.READ_WRITE);
            stream = addresses(base, new SplittableRandom(SEED));
            long sum = 0;
            for (long va : stream) {
                mmu.storeLong(va, va);
                sum += va;
            }
            expectedSum = sum;
            hostStream = new long[stream.length];
            for (int i = 0; i < stream.length; i++) {
                long pte = machine.pageTable().walk(space.root(), stream[i]);
                hostStream[i] = machine.memory().frameAddress(Pte.frame(pte))
                        | (stream[i] & PhysicalMemory.PAGE_OFFSET_MASK);
            }
        }

        @Setup(Level.Iteration)
        public void markIteration() {
            for (CpuCounter c : CpuCounter.all()) {
                countsAtIterationStart[c.ordinal()] = count(c);
            }
            hostFloorRuns = 0;
        }

        @TearDown(Level.Iteration)
        public void checkIteration() {
            long faults = delta(CpuCounter.FAULTS_NOT_PRESENT) + delta(CpuCounter.FAULTS_PROTECTION);
            if (faults != 0) {
                throw new IllegalStateException("an iteration took " + faults + " page faults on pre-touched pages");
            }
            long accesses = delta(CpuCounter.LOADS) + delta(CpuCounter.STORES);
            if (hostFloorRuns > 0) {
                if (accesses != 0) {
                    throw new IllegalStateException("a host-floor iteration made " + accesses + " simulated accesses");
                }
                return;
            }
            checkIteration(accesses);
        }

        /** How much {@code counter} grew since this iteration started. */
        long delta(CpuCounter counter) {
            return count(counter) - countsAtIterationStart[counter.ordinal()];
        }

        @TearDown(Level.Trial)
        public void shutdown() {
            try {
                checkContents();
            } finally {
                machine.close();
            }
        }

        long count(CpuCounter counter) {
            return cpu.counters().read(counter);
        }

        /** Loads every address of the stream; fails unless the sum is what was stored. */
        long loadAll() {
            final Mmu m = mmu;
            final long[] vas = stream;
            long sum = 0;
            for (int i = 0; i < vas.length; i++) {
                sum += m.loadLong(vas[i]);
            }
            if (sum != expectedSum) {
                throw new IllegalStateException("loads summed to " + sum + ", expected " + expectedSum);
            }
            return sum;
        }

        /**
         * Loads every address of the stream straight from host memory, at the host address the MMU would
         * give: the same host cache lines and host pages in the same order, without the simulated TLB.
         */
        long loadAllFromHost() {
            final long[] hosts = hostStream;
            long sum = 0;
            for (int i = 0; i < hosts.length; i++) {
                sum += PhysicalMemory.lpLong(hosts[i]);
            }
            hostFloorRuns++;
            if (sum != expectedSum) {
                throw new IllegalStateException("host loads summed to " + sum + ", expected " + expectedSum);
            }
            return sum;
        }

        /** Stores into every address of the stream its own address: the memory's content stays the same. */
        void storeAll() {
            final Mmu m = mmu;
            final long[] vas = stream;
            for (int i = 0; i < vas.length; i++) {
                m.storeLong(vas[i], vas[i]);
            }
        }

        /** Reads every address of the stream back without the MMU: page table, then physical memory. */
        private void checkContents() {
            for (long va : stream) {
                long pte = machine.pageTable().walk(space.root(), va);
                if (!Pte.isPresent(pte)) {
                    throw new IllegalStateException("0x" + Long.toHexString(va) + " is not mapped at the end");
                }
                long value = machine.memory().getLong(Pte.frame(pte), (int) (va & PhysicalMemory.PAGE_OFFSET_MASK));
                if (value != va) {
                    throw new IllegalStateException("0x" + Long.toHexString(va) + " holds " + value + " at the end");
                }
            }
        }
    }

    /** 1024 random addresses over 64 contiguous pages: every access hits the L1 TLB. */
    @State(Scope.Thread)
    public static class HitWorkingSet extends Workload {
        @Param({"skylake", "direct64"})
        public String tlb;

        @Override
        String tlb() {
            return tlb;
        }

        @Override
        int pages() {
            return HIT_PAGES;
        }

        @Override
        long[] addresses(long base, SplittableRandom random) {
            long[] vas = new long[HIT_STREAM];
            for (int i = 0; i < vas.length; i++) {
                vas[i] = randomWordIn(base + ((long) random.nextInt(HIT_PAGES) << PhysicalMemory.PAGE_SHIFT), random);
            }
            return vas;
        }

        @Override
        void checkIteration(long accesses) {
            long l1Misses = delta(CpuCounter.TLB_L1_MISSES);
            long assists = delta(CpuCounter.TLB_DIRTY_ASSISTS) + delta(CpuCounter.TLB_PROTECTION_RECHECKS);
            if (accesses == 0 || l1Misses != 0 || assists != 0) {
                throw new IllegalStateException("a TLB-hit iteration made " + accesses + " accesses with "
                        + l1Misses + " L1 misses and " + assists + " dirty assists or rechecks; expected none");
            }
        }
    }

    /** One address in each of 4096 pages, in a random cyclic order: every access misses and walks. */
    @State(Scope.Thread)
    public static class MissWorkingSet extends Workload {
        @Param({"skylake", "direct64"})
        public String tlb;

        /** false: every walk reads all four levels (the walk before the memo; the machine without a kernel). */
        @Param({"true"})
        public boolean walkMemo;

        @Override
        boolean walkMemo() {
            return walkMemo;
        }

        @Override
        String tlb() {
            return tlb;
        }

        @Override
        int pages() {
            return MISS_PAGES;
        }

        @Override
        long[] addresses(long base, SplittableRandom random) {
            return oneWordPerPageInCyclicOrder(base, MISS_PAGES, random);
        }

        @Override
        void checkIteration(long accesses) {
            long walks = delta(CpuCounter.WALKS);
            if (accesses == 0 || walks < accesses * 99 / 100) {
                throw new IllegalStateException("a TLB-miss iteration made " + accesses + " accesses with only "
                        + walks + " walks; expected one each");
            }
        }
    }

    /**
     * One address in each of 1024 pages, in a random cyclic order: 64 pages per L1 set (4 ways) but 8 per
     * L2 set (12 ways), so every access misses the L1 and hits the L2. Needs a second TLB level.
     */
    @State(Scope.Thread)
    public static class L2WorkingSet extends Workload {
        @Param({"skylake"})
        public String tlb;

        @Override
        String tlb() {
            return tlb;
        }

        @Override
        int pages() {
            return L2_PAGES;
        }

        @Override
        long[] addresses(long base, SplittableRandom random) {
            return oneWordPerPageInCyclicOrder(base, L2_PAGES, random);
        }

        @Override
        void checkIteration(long accesses) {
            long l2Hits = delta(CpuCounter.TLB_L2_HITS);
            long walks = delta(CpuCounter.WALKS);
            if (accesses == 0 || l2Hits < accesses * 99 / 100 || walks != 0) {
                throw new IllegalStateException("an L2-hit iteration (tlb=" + tlb + ") made " + accesses
                        + " accesses with " + l2Hits + " L2 hits and " + walks + " walks; expected an L2 hit each");
            }
        }
    }

    /** Page walks, reported by JMH as time per walk: the score itself when every access walks. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Walks {
        public long walks;

        @Setup(Level.Iteration)
        public void reset() {
            walks = 0;
        }
    }

    /** L2 TLB hits, reported by JMH as time per hit: the score itself when every access hits the L2. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class L2Hits {
        public long l2Hits;

        @Setup(Level.Iteration)
        public void reset() {
            l2Hits = 0;
        }
    }

    /** One random 8-byte-aligned address in each of {@code pages} pages from {@code base}, the pages in a random order. */
    static long[] oneWordPerPageInCyclicOrder(long base, int pages, SplittableRandom random) {
        int[] order = new int[pages];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        for (int i = order.length - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        long[] vas = new long[pages];
        for (int i = 0; i < vas.length; i++) {
            vas[i] = randomWordIn(base + ((long) order[i] << PhysicalMemory.PAGE_SHIFT), random);
        }
        return vas;
    }

    /** A random 8-byte-aligned address in the page at {@code page}. */
    static long randomWordIn(long page, SplittableRandom random) {
        return page + ((long) random.nextInt(PhysicalMemory.PAGE_SIZE / Long.BYTES) << 3);
    }

    @Benchmark
    @OperationsPerInvocation(HIT_STREAM)
    public long loadLongTlbHit(HitWorkingSet s) {
        return s.loadAll();
    }

    @Benchmark
    @OperationsPerInvocation(HIT_STREAM)
    public void storeLongTlbHit(HitWorkingSet s) {
        s.storeAll();
    }

    @Benchmark
    @OperationsPerInvocation(L2_PAGES)
    public long loadLongTlbL2Hit(L2WorkingSet s, L2Hits counters) {
        long before = s.count(CpuCounter.TLB_L2_HITS);
        long sum = s.loadAll();
        counters.l2Hits += s.count(CpuCounter.TLB_L2_HITS) - before;
        return sum;
    }

    @Benchmark
    @OperationsPerInvocation(MISS_PAGES)
    public long loadLongTlbMissWalk(MissWorkingSet s, Walks counters) {
        long before = s.count(CpuCounter.WALKS);
        long sum = s.loadAll();
        counters.walks += s.count(CpuCounter.WALKS) - before;
        return sum;
    }

    /** {@link #loadLongTlbL2Hit}'s floor: its 1024 host loads alone, in the same order. */
    @Benchmark
    @OperationsPerInvocation(L2_PAGES)
    public long hostFloorL2HitStream(L2WorkingSet s) {
        return s.loadAllFromHost();
    }

    /** {@link #loadLongTlbMissWalk}'s floor: its 4096 host loads alone, in the same order (no walk). */
    @Benchmark
    @OperationsPerInvocation(MISS_PAGES)
    public long hostFloorMissWalkStream(MissWorkingSet s) {
        return s.loadAllFromHost();
    }
}
