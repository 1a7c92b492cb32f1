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
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import mmsim.Machine;
import mmsim.config.MachineConfig;
import mmsim.kernel.ExitStatus;
import mmsim.kernel.Kernel;
import mmsim.paging.PageTable;
import mmsim.paging.Vma;
import mmsim.stats.CpuCounter;

/**
 * Host time of the fork system call against the parent's resident size, for each fork strategy
 * (eager copies every page, cow write-protects and shares every page, odf shares every leaf table).
 * The timed span is {@code sys.fork(child)} in the parent: the address-space copy, the shootdown, and
 * creating and waking the child's task (a host thread start).
 *
 * <p>Shape: simulated code runs only inside a kernel process on a simulated CPU's thread, and a task
 * must never block its thread while it holds a CPU, so the JMH thread cannot ask a long-lived simulated
 * parent to fork. Each {@code @Benchmark} invocation is therefore one {@code Kernel.run} of a parent that
 * maps {@code residentMiB} and writes every page once (demand-zero faults, untimed), then forks
 * {@code forksPerInvocation} children one after another, timing each {@code fork} with
 * {@code System.nanoTime()} into an HdrHistogram; each child reads one word of the parent's memory
 * (checked) and exits, and the parent reaps it before the next fork. Only the first fork of an
 * invocation sees writable PTEs (cow) or table links (odf); later ones find them already write-protected,
 * as repeated forks of an unchanged parent do on Linux. The machine and kernel are booted once per
 * trial, with {@code memory = 2 × resident + 256 MiB} (eager holds two copies; host memory is committed
 * lazily, so the size costs only what is touched).
 *
 * <p>JMH's score is the time of a whole invocation (fill + forks + reaping + exit), in ms; the fork
 * latency itself is the histogram: p50/p90/p99/p99.9/max over measurement iterations are printed at the
 * end of each trial and written to {@code benchmarks/target/fork-latency-STRATEGY-NMiB-cpusN.hlog} and
 * {@code .csv}. Every invocation checks the forks counter, the demand-zero fill, and the strategy's own
 * work counter (pages copied, PTEs protected, or tables shared) against exact expectations.
 *
 * <p>The default sizes (1 and 16 MiB) keep the build's smoke run short. The full sweep (eager at
 * 1 GiB copies 1 GiB per fork):
 * <pre>
 * java -jar benchmarks/target/benchmarks.jar ForkLatency -f 1 -wi 2 -i 5 -p residentMiB=1,16,128,1024 -p fork=cow,odf
 * java -jar benchmarks/target/benchmarks.jar ForkLatency -f 1 -wi 2 -i 5 -p residentMiB=1,16,128 -p fork=eager
 * java -jar benchmarks/target/benchmarks.jar ForkLatency -f 1 -wi 1 -i 3 -p residentMiB=1024 -p fork=eager -p forksPerInvocation=4
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(1)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 5, time = 1)
public class ForkLatencyBenchmark extends KernelBenchmarkState {
    private static final long PAGE = 4096;

    /**
     * Simulated CPUs. With 2 (the default, as the 2-vCPU host the Linux figures come from) the parent's
     * space stays loaded on the other CPU once the parent has run there (lazy TLB in the idle task), and
     * fork's shootdown then interrupts that idle CPU; the summary line reports every IPI sent during the
     * measured invocations (exits included) per fork.
     */
    @Param({"2"})
    public int cpus;

    /** The parent's resident set, MiB; 128 and 1024 are opt-in with {@code -p residentMiB=1,16,128,1024}. */
    @Param({"1", "16"})
    public int residentMiB;

    /** The fork strategy: eager, cow or odf. */
    @Param({"eager", "cow", "odf"})
    public String fork;

    /** Forks timed per invocation, after one fill of the resident set. */
    @Param({"8"})
    public int forksPerInvocation;

    private Map<CpuCounter, Long> expected;
    private long pages;

    @Setup(Level.Trial)
    public void boot() {
        long memoryMiB = 2L * residentMiB + 256;
        machine = Machine.boot(MachineConfig.parse(Map.of(
                "cpus", Integer.toString(cpus), "memory", memoryMiB + "MiB", "fork.strategy", fork)));
        kernel = Kernel.boot(machine);
        pages = ((long) residentMiB << 20) / PAGE;
        log = new HostLatencyLog("fork-latency-" + fork + "-" + residentMiB + "MiB-cpus" + cpus, "fork " + fork + ", resident "
                + residentMiB + " MiB, simulated cpus " + cpus + ", host cores " + Runtime.getRuntime().availableProcessors()
                + ", memory " + memoryMiB + " MiB, " + forksPerInvocation + " forks per invocation");
        long forks = forksPerInvocation;
        // mmap places the region at a 2 MiB-aligned base, so it spans exactly ceil(pages / 512) leaf tables.
        long leafTables = (pages + PageTable.ENTRIES - 1) / PageTable.ENTRIES;
        expected = new EnumMap<>(CpuCounter.class);
        expected.put(CpuCounter.FORKS, forks);
        expected.put(CpuCounter.FAULTS_DEMAND_ZERO, pages);
        expected.put(CpuCounter.FORK_PAGES_COPIED, fork.equals("eager") ? forks * pages : 0L);
        // the first fork write-protects every page; later ones find them read-only already (only writable entries become COW)
        expected.put(CpuCounter.FORK_PTES_PROTECTED, fork.equals("cow") ? pages : 0L);
        expected.put(CpuCounter.FORK_TABLES_SHARED, fork.equals("odf") ? forks * leafTables : 0L);
        expected.put(CpuCounter.FAULTS_COW_COPY, 0L);
        expected.put(CpuCounter.FAULTS_TABLE_COPY, 0L);
    }

    @Benchmark
    public void fillThenFork() throws Exception {
        final long n = pages;
        final int forks = forksPerInvocation;
        Map<CpuCounter, Long> deltas = CheckedKernelRun.run(machine, kernel, sys -> {
            long base = sys.mmap(n * PAGE, Vma.READ_WRITE);
            for (long p = 0; p < n; p++) {
                sys.storeLong(base + p * PAGE, p);
            }
            long last = base + (n - 1) * PAGE;
            for (int i = 0; i < forks; i++) {
                long t0 = System.nanoTime();
                int pid = sys.fork(child -> child.loadLong(last) == n - 1 ? 0 : 1);
                long t1 = System.nanoTime();
                log.record(t1 - t0);
                ExitStatus status = sys.waitpid(pid);
                if (!status.exitedNormally() || status.code() != 0) {
                    return 1;  // the child did not see the parent's data
                }
            }
            return 0;
        }, expected, "fork " + fork + " " + residentMiB + " MiB");
        log.addEvents(CpuCounter.SHOOTDOWN_IPIS_SENT.key(), deltas.get(CpuCounter.SHOOTDOWN_IPIS_SENT));
    }
}
