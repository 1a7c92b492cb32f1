package mmsim.bench;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

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
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.BenchmarkParams;

import mmsim.Machine;
import mmsim.config.MachineConfig;
import mmsim.kernel.ExitStatus;
import mmsim.kernel.Kernel;
import mmsim.kernel.ProcessBody;
import mmsim.kernel.Sys;
import mmsim.paging.Vma;
import mmsim.stats.CpuCounter;

/**
 * Host time of one page fault, per kind: demand-zero (first touch of an anonymous page), COW copy (a
 * child writes a page it shares with its parent) and COW reuse (the parent writes a write-protected
 * page after its only sharer exited). Each timed operation is one {@code storeLong} that faults:
 * TLB miss, walk, the kernel's fault handler, the retried walk and TLB fill, the store itself.
 *
 * <p>Shape: simulated code runs only inside a kernel process on a simulated CPU's thread, and a task
 * must never block its thread while it holds a CPU, so a JMH thread cannot hand work to a waiting
 * simulated "server". Instead each {@code @Benchmark} invocation is one {@code Kernel.run} of an init
 * process that does {@value #ROUNDS} rounds of {@value #PAGES} faults of its kind, timing each faulting
 * store with {@code System.nanoTime()} into an HdrHistogram. The machine and kernel are booted once per
 * trial. JMH's score is the invocation's wall time divided by the {@value #FAULTS} faults: it adds what
 * each invocation needs besides the faults (process start and exit, the parent's fill and the forks for
 * the COW cases, munmap for demand-zero) and the two {@code nanoTime} calls; the per-fault percentiles
 * (p50/p90/p99/p99.9/max of measurement iterations only) are printed at the end of the trial and written
 * to {@code benchmarks/target/fault-latency-KIND-cpusN.hlog} and {@code .csv}.
 *
 * <p>Every invocation checks that the faults were what they claim: the demand-zero, COW-copy and
 * COW-reuse counters, summed over the CPUs, must grow by exactly the planned numbers, and each process
 * checks the bytes it reads (a zeroed page is zero, a copy holds the parent's data), else the benchmark
 * throws.
 *
 * <p>Machine: {@code cpus} simulated CPUs (default 1), {@value #MEMORY}, fork strategy cow, targeted
 * shootdowns. With one CPU no fault can send a shootdown IPI, and the benchmark checks that none did: the
 * numbers are the fault path alone. With {@code -p cpus=2} a process that the scheduler moved between the
 * CPUs leaves its address space loaded (lazily) on both, and an occasional COW-copy fault then interrupts
 * the other, idle CPU. The summary line reports every shootdown IPI sent during the measured
 * invocations (forks, munmap and exits included) per timed fault. Run:
 * <pre>
 * java -jar benchmarks/target/benchmarks.jar FaultLatency -f 1 -wi 3 -i 5
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class FaultLatencyBenchmark extends KernelBenchmarkState {
    static final int PAGES = 4096;
    static final int ROUNDS = 8;
    static final int FAULTS = PAGES * ROUNDS;
    private static final long PAGE = 4096;
    private static final String MEMORY = "256MiB";

    /** Simulated CPUs; with 1 (the default) the benchmark also checks that no shootdown IPI was sent. */
    @Param({"1"})
    public int cpus;

    private Map<CpuCounter, Long> expected;
    private String kind;

    @Setup(Level.Trial)
    public void boot(BenchmarkParams params) {
        String benchmark = params.getBenchmark();
        kind = benchmark.substring(benchmark.lastIndexOf('.') + 1);
        machine = Machine.boot(MachineConfig.parse(Map.of(
                "cpus", Integer.toString(cpus), "memory", MEMORY, "fork.strategy", "cow")));
        kernel = Kernel.boot(machine);
        log = new HostLatencyLog("fault-latency-" + kind + "-cpus" + cpus, "simulated cpus " + cpus + ", host cores "
                + Runtime.getRuntime().availableProcessors() + ", " + PAGES + " pages x " + ROUNDS + " rounds per invocation");
        long fill = kind.equals("demandZero") ? FAULTS : PAGES;
        expected = new EnumMap<>(CpuCounter.class);
        expected.put(CpuCounter.FAULTS_DEMAND_ZERO, fill);
        expected.put(CpuCounter.FAULTS_COW_COPY, kind.equals("cowCopy") ? (long) FAULTS : 0L);
        expected.put(CpuCounter.FAULTS_COW_REUSE, kind.equals("cowReuse") ? (long) FAULTS : 0L);
        expected.put(CpuCounter.FAULTS_SPURIOUS, 0L);
        if (cpus == 1) {
            expected.put(CpuCounter.SHOOTDOWN_IPIS_SENT, 0L);
        }
    }

    /** Each round maps {@value #PAGES} fresh pages, stores once into each (timed), then unmaps them. */
    @Benchmark
    @OperationsPerInvocation(FAULTS)
    public void demandZero() throws Exception {
        run(sys -> {
            for (int round = 0; round < ROUNDS; round++) {
                long base = sys.mmap(PAGES * PAGE, Vma.READ_WRITE);
                for (int p = 0; p < PAGES; p++) {
                    long va = base + p * PAGE;
                    long t0 = System.nanoTime();
                    sys.storeLong(va, p + 1);
                    long t1 = System.nanoTime();
                    log.record(t1 - t0);
                    if (sys.loadLong(va + 8) != 0) {
                        return 1;  // a demand-zero page must read zero
                    }
                }
                sys.munmap(base, PAGES * PAGE);
            }
            return 0;
        });
    }

    /**
     * The parent fills {@value #PAGES} pages once; each round forks a child that stores once into
     * each (timed: the parent still shares every page, so each store copies), then exits.
     */
    @Benchmark
    @OperationsPerInvocation(FAULTS)
    public void cowCopy() throws Exception {
        run(sys -> {
            long base = fill(sys);
            for (int round = 0; round < ROUNDS; round++) {
                int pid = sys.fork(child -> {
                    for (int p = 0; p < PAGES; p++) {
                        long va = base + p * PAGE;
                        long t0 = System.nanoTime();
                        child.storeLong(va, -p);
                        long t1 = System.nanoTime();
                        log.record(t1 - t0);
                        if (child.loadLong(va + 8) != p) {
                            return 1;  // the copy must hold the parent's bytes
                        }
                    }
                    return 0;
                });
                if (!exitedWithZero(sys.waitpid(pid))) {
                    return 2;
                }
            }
            return 0;
        });
    }

    /**
     * The parent fills {@value #PAGES} pages once; each round forks a child that exits at once, reaps
     * it, then stores once into each page (timed: fork write-protected them, and the parent is again
     * their sole owner, so each store reuses the frame).
     */
    @Benchmark
    @OperationsPerInvocation(FAULTS)
    public void cowReuse() throws Exception {
        run(sys -> {
            long base = fill(sys);
            for (int round = 0; round < ROUNDS; round++) {
                int pid = sys.fork(child -> 0);
                if (!exitedWithZero(sys.waitpid(pid))) {
                    return 2;
                }
                for (int p = 0; p < PAGES; p++) {
                    long va = base + p * PAGE;
                    long t0 = System.nanoTime();
                    sys.storeLong(va, round);
                    long t1 = System.nanoTime();
                    log.record(t1 - t0);
                    if (sys.loadLong(va + 8) != p) {
                        return 1;  // reuse keeps the page's bytes
                    }
                }
            }
            return 0;
        });
    }

    /** Maps {@value #PAGES} pages and writes each page's index at offset 8 (demand-zero faults, untimed). */
    private static long fill(Sys sys) {
        long base = sys.mmap(PAGES * PAGE, Vma.READ_WRITE);
        for (int p = 0; p < PAGES; p++) {
            sys.storeLong(base + p * PAGE + 8, p);
        }
        return base;
    }

    private static boolean exitedWithZero(ExitStatus status) {
        return status.exitedNormally() && status.code() == 0;
    }

    private void run(ProcessBody init) throws Exception {
        Map<CpuCounter, Long> deltas = CheckedKernelRun.run(machine, kernel, init, expected, kind);
        log.addEvents(CpuCounter.SHOOTDOWN_IPIS_SENT.key(), deltas.get(CpuCounter.SHOOTDOWN_IPIS_SENT));
    }
}
