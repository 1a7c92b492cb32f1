package mmsim.bench;

import java.util.BitSet;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

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
import mmsim.paging.Vma;
import mmsim.stats.CpuCounter;

/**
 * The execution layer's host costs (issue 11), measured inside a booted kernel on simulated CPUs under
 * bounded host parallelism ({@code sim.parallelism}, default the host's cores):
 * <ul>
 *   <li>{@code shootdown}: one single-page shootdown round trip (an {@code mprotect} downgrade of a page
 *       that one sibling thread on another CPU keeps reading) while {@code cpus - 2} other simulated CPUs
 *       run busy processes: the host time of the flush (the strategy's own host histogram of the
 *       initiating CPU), without the system call around it, which may also wait at a phase end.</li>
 *   <li>{@code fork}: {@code fork} of an empty process (its parent maps one page), the host time of the call.</li>
 *   <li>{@code switch}: a pipe ping-pong between two processes pinned to one CPU: the host time of one
 *       round trip divided by two, an upper bound on a simulated context switch (it includes two pipe
 *       system calls per switch).</li>
 *   <li>{@code yield}: two processes pinned to one CPU, each calling {@code sched_yield} in a loop: each
 *       call hands the CPU to the other process; half the host time of one of the parent's calls (two
 *       switches and the child's call) is one simulated context switch plus a null system call.</li>
 * </ul>
 * Each invocation boots nothing (one kernel per trial) and runs {@code ops} operations; per-operation
 * percentiles go to {@code benchmarks/target/execution-*.hlog/.csv} and one printed line. Each run checks
 * its answer: the IPIs the target received, the forks counted, the bytes that came back.
 *
 * <p>Run on JDK 24+ for virtual threads (what the figures of issue 11 assume); on 17 tasks are platform
 * threads and a host hand-off costs ~25 µs:
 * {@code /usr/lib/jvm/temurin-25-jdk-amd64/bin/java -jar benchmarks/target/benchmarks.jar ExecutionLayer -f 1 -wi 2 -i 5 -foe true}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-XX:+IgnoreUnrecognizedVMOptions", "--sun-misc-unsafe-memory-access=allow",
        "--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 2)
@Measurement(iterations = 5)
public class ExecutionLayerBenchmark extends KernelBenchmarkState {
    private static final long PAGE = 4096;

    /** shootdown, fork, switch or yield. */
    @Param({"shootdown", "fork", "switch", "yield"})
    public String scenario;

    /** Simulated CPUs (shootdown: 1 initiator, 1 target, the rest busy). */
    @Param({"8", "64"})
    public int cpus;

    /** The shootdown strategy. */
    @Param({"linux"})
    public String strategy;

    /**
     * ASID-tagged TLBs (tlb.asid): without them a switch between processes flushes the whole TLB, whose
     * clearing (L1 and the 1,536-entry L2) is part of what a simulated context switch costs the host.
     */
    @Param({"false"})
    public boolean asid;

    /** Operations timed per invocation. */
    @Param({"200"})
    public int ops;


    @Setup(Level.Trial)
    public void boot() {
        int n = scenario.equals("shootdown") ? cpus : Math.min(cpus, 2);
        machine = Machine.boot(MachineConfig.parse(Map.of("cpus", Integer.toString(n), "memory", "256MiB",
                "shootdown.strategy", strategy, "tlb.asid", Boolean.toString(asid))));
        kernel = Kernel.boot(machine);
        log = new HostLatencyLog("execution-" + scenario + "-cpus" + n, scenario + ", simulated cpus " + n + ", strategy "
                + strategy + ", tlb.asid " + asid + ", host cores " + Runtime.getRuntime().availableProcessors() + ", slots "
                + machine.config().simParallelism() + ", " + (kernel.virtualThreads() ? "virtual" : "platform")
                + " threads, JVM " + Runtime.version());
    }

    @Benchmark
    public void run() throws Exception {
        switch (scenario) {
            case "shootdown" -> shootdowns();
            case "fork" -> forks();
            case "switch" -> switches();
            case "yield" -> yields();
            default -> throw new IllegalArgumentException("scenario: one of shootdown, fork, switch, yield");
        }
    }

    private static BitSet only(int cpu) {
        BitSet set = new BitSet();
        set.set(cpu);
        return set;
    }

    private void shootdowns() throws Exception {
        final int n = ops;
        final int busy = cpus - 2;
        Map<CpuCounter, Long> expected = new EnumMap<>(CpuCounter.class);
        Map<CpuCounter, Long> deltas = CheckedKernelRun.run(machine, kernel, sys -> {
            sys.schedSetaffinity(0, only(0));
            long page = sys.mmap(PAGE, Vma.READ_WRITE);
            sys.storeLong(page, 1);
            AtomicBoolean stop = new AtomicBoolean();
            AtomicBoolean reading = new AtomicBoolean();
            int reader = sys.spawnThread(t -> {
                t.schedSetaffinity(0, only(1));
                while (!stop.get()) {
                    t.loadLong(page);
                    reading.set(true);
                }
            });
            int[] pids = new int[busy];
            for (int i = 0; i < busy; i++) {
                final int cpu = 2 + i;
                pids[i] = sys.fork(c -> {
                    c.schedSetaffinity(0, only(cpu));
                    long own = c.mmap(PAGE, Vma.READ_WRITE);
                    while (!stop.get()) {
                        c.storeLong(own, c.loadLong(own) + 1);
                    }
                    return 0;
                });
            }
            // the reader runs on CPU 1 from now on, so each downgrade interrupts it
            while (!reading.get()) {
                sys.yield();
            }
            // the flush's own host time, from the strategy's histogram of this CPU (this thread is its one writer)
            org.HdrHistogram.Histogram before = kernel.shootdownStats().hostNanos(0);
            for (int i = 0; i < n; i++) {
                sys.mprotect(page, PAGE, Vma.READ);
                sys.mprotect(page, PAGE, Vma.READ_WRITE);
                // a write makes the entry writable again, so the next downgrade has something to flush
                sys.storeLong(page, i + 2);
            }
            org.HdrHistogram.Histogram flushes = kernel.shootdownStats().hostNanos(0);
            flushes.subtract(before);
            log.recordAll(flushes);
            stop.set(true);
            sys.joinThread(reader);
            for (int pid : pids) {
                ExitStatus s = sys.waitpid(pid);
                if (!s.exitedNormally()) {
                    return 1;
                }
            }
            return 0;
        }, expected, "shootdown under load");
        if (deltas.get(CpuCounter.SHOOTDOWN_IPIS_RECEIVED) < n) {
            throw new IllegalStateException(n + " downgrades interrupted the reader only "
                    + deltas.get(CpuCounter.SHOOTDOWN_IPIS_RECEIVED) + " times");
        }
    }

    private void forks() throws Exception {
        final int n = ops;
        Map<CpuCounter, Long> expected = new EnumMap<>(CpuCounter.class);
        expected.put(CpuCounter.FORKS, (long) n);
        CheckedKernelRun.run(machine, kernel, sys -> {
            long page = sys.mmap(PAGE, Vma.READ_WRITE);
            sys.storeLong(page, 7);
            for (int i = 0; i < n; i++) {
                long t0 = System.nanoTime();
                int pid = sys.fork(c -> 0);
                log.record(System.nanoTime() - t0);
                ExitStatus s = sys.waitpid(pid);
                if (!s.exitedNormally() || s.code() != 0) {
                    return 1;
                }
            }
            return 0;
        }, expected, "fork of an empty process");
    }

    private void yields() throws Exception {
        final int n = ops;
        Map<CpuCounter, Long> expected = new EnumMap<>(CpuCounter.class);
        Map<CpuCounter, Long> deltas = CheckedKernelRun.run(machine, kernel, sys -> {
            sys.schedSetaffinity(0, only(0));
            int pid = sys.fork(c -> {
                for (int i = 0; i < n; i++) {
                    c.yield();
                }
                return 0;
            });
            for (int i = 0; i < n; i++) {
                long t0 = System.nanoTime();
                sys.yield();
                // this call spans two switches (to the child and, at its yield, back) and the child's own call
                log.record((System.nanoTime() - t0) / 2);
            }
            ExitStatus s = sys.waitpid(pid);
            return s.exitedNormally() && s.code() == 0 ? 0 : 1;
        }, expected, "sched_yield ping-pong on one CPU");
        if (deltas.get(CpuCounter.CONTEXT_SWITCHES) < n) {
            throw new IllegalStateException(n + " yields made only " + deltas.get(CpuCounter.CONTEXT_SWITCHES) + " context switches");
        }
    }

    private void switches() throws Exception {
        final int n = ops;
        CheckedKernelRun.run(machine, kernel, sys -> {
            sys.schedSetaffinity(0, only(0));
            long buf = sys.mmap(PAGE, Vma.READ_WRITE);
            int[] ping = sys.pipe();
            int[] pong = sys.pipe();
            int pid = sys.fork(c -> {
                for (int i = 0; i < n; i++) {
                    if (c.read(ping[0], buf, 1) != 1) {
                        return 1;
                    }
                    c.write(pong[1], buf, 1);
                }
                return 0;
            });
            for (int i = 0; i < n; i++) {
                sys.storeLong(buf, i);
                long t0 = System.nanoTime();
                sys.write(ping[1], buf, 1);
                if (sys.read(pong[0], buf, 1) != 1) {
                    return 1;
                }
                log.record((System.nanoTime() - t0) / 2);
            }
            ExitStatus s = sys.waitpid(pid);
            return s.exitedNormally() && s.code() == 0 ? 0 : 1;
        }, new EnumMap<>(CpuCounter.class), "pipe ping-pong on one CPU");
    }
}
