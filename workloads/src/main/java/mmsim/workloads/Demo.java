package mmsim.workloads;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import org.HdrHistogram.Histogram;

import mmsim.Machine;
import mmsim.config.MachineConfig;
import mmsim.config.MachineConfig.ForkStrategy;
import mmsim.kernel.ExitStatus;
import mmsim.kernel.Kernel;
import mmsim.kernel.Sys;
import mmsim.paging.Vma;
import mmsim.stats.CpuCounter;

/**
 * The default experiment, until the {@code mmsim} command line exists. Two comparisons on one machine
 * configuration: a fork server (a parent with a resident heap forks children that read some of it and
 * dirty a little, then exit) under each fork strategy, and a multi-threaded process that unmaps,
 * write-protects and forks while its threads run on every CPU, under each shootdown strategy (in
 * checking mode: a stale translation fails the run). Prints both tables and writes a run directory
 * with the resolved configuration, the manifest, the summary and the shootdown latency histograms.
 *
 * <p>Usage: {@code java -jar workloads/target/mmsim.jar [key=value ...]} where keys are machine settings
 * (see {@link MachineConfig#SETTINGS}), plus {@code heap=64MiB}, {@code forks=32}, {@code out=DIR}.
 */
public final class Demo {
    private static final long PAGE = 4096;

    private Demo() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> machineSettings = new LinkedHashMap<>();
        machineSettings.put("cpus", "4");
        machineSettings.put("memory", "512MiB");
        long heap = 64L << 20;
        int forks = 32;
        Path outRoot = Path.of("runs");
        for (String arg : args) {
            int eq = arg.indexOf('=');
            if (eq < 0) {
                System.err.println("arguments are key=value; got '" + arg + "'");
                System.exit(2);
            }
            String key = arg.substring(0, eq);
            String value = arg.substring(eq + 1);
            switch (key) {
                case "heap" -> heap = MachineConfig.parse(Map.of("memory", value)).memoryBytes();
                case "forks" -> forks = Integer.parseInt(value);
                case "out" -> outRoot = Path.of(value);
                default -> machineSettings.put(key, value);
            }
        }
        MachineConfig base;
        try {
            base = MachineConfig.parse(machineSettings);
        } catch (IllegalArgumentException e) {
            System.err.println("invalid setting: " + e.getMessage());
            System.exit(2);
            return;
        }

        Path dir = outRoot.resolve("demo-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        Files.createDirectories(dir);
        List<String> command = new ArrayList<>(List.of("java", "-jar", "workloads/target/mmsim.jar"));
        command.addAll(Arrays.asList(args));
        RunManifest.writeJson(dir.resolve("manifest.json"), RunManifest.describe(base.seed(), command));
        Map<String, Object> config = new LinkedHashMap<>(base.asStrings());
        config.put("workload", "fork-server");
        config.put("workload.heap", heap);
        config.put("workload.forks", forks);
        config.put("workload.fork.strategies", "eager, cow, odf");
        config.put("workload.shootdown.strategies", String.join(", ", mmsim.shootdown.Shootdowns.NAMES));
        RunManifest.writeJson(dir.resolve("config.json"), config);

        System.out.printf("mmsim demo: a fork server, %d forks of a parent with %d MiB resident, %d simulated CPUs, %d host cores%n%n",
                forks, heap >> 20, base.cpus(), Runtime.getRuntime().availableProcessors());
        String header = String.format("%-6s %14s %14s %12s %10s %10s %11s %11s %10s %10s %9s",
                "fork", "fork p50 (us)", "fork max (us)", "demand-zero", "cow copy", "cow reuse", "table copy",
                "shootdowns", "IPIs", "TLB miss", "wall (ms)");
        System.out.println(header);
        StringBuilder csv = new StringBuilder("fork_strategy,forks,fork_p50_us,fork_p99_us,fork_max_us,wall_ms");
        for (CpuCounter c : CpuCounter.all()) {
            csv.append(',').append(c.key());
        }
        csv.append('\n');
        Map<String, Object> summary = new LinkedHashMap<>();
        for (ForkStrategy strategy : ForkStrategy.values()) {
            MachineConfig config1 = base.with("fork.strategy", strategy.toString());
            Result r = runOnce(config1, heap, forks);
            Map<CpuCounter, Long> c = r.counters;
            System.out.printf("%-6s %14.1f %14.1f %12d %10d %10d %11d %11d %10d %10d %9d%n", strategy,
                    r.fork.getValueAtPercentile(50) / 1000.0, r.fork.getMaxValue() / 1000.0,
                    c.get(CpuCounter.FAULTS_DEMAND_ZERO), c.get(CpuCounter.FAULTS_COW_COPY), c.get(CpuCounter.FAULTS_COW_REUSE),
                    c.get(CpuCounter.FAULTS_TABLE_COPY), c.get(CpuCounter.SHOOTDOWNS), c.get(CpuCounter.SHOOTDOWN_IPIS_SENT),
                    c.get(CpuCounter.TLB_L1_MISSES), r.wallMillis);
            csv.append(strategy).append(',').append(r.fork.getTotalCount()).append(',')
                    .append(r.fork.getValueAtPercentile(50) / 1000.0).append(',')
                    .append(r.fork.getValueAtPercentile(99) / 1000.0).append(',')
                    .append(r.fork.getMaxValue() / 1000.0).append(',').append(r.wallMillis);
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("exit", r.status.toString());
            row.put("fork_p50_us", r.fork.getValueAtPercentile(50) / 1000.0);
            row.put("fork_p99_us", r.fork.getValueAtPercentile(99) / 1000.0);
            row.put("fork_max_us", r.fork.getMaxValue() / 1000.0);
            row.put("wall_ms", r.wallMillis);
            for (CpuCounter k : CpuCounter.all()) {
                csv.append(',').append(c.get(k));
                row.put(k.key(), c.get(k));
            }
            csv.append('\n');
            summary.put(strategy.toString(), row);
            if (!r.status.exitedNormally() || r.status.code() != 0) {
                System.err.println(strategy + ": the workload did not finish cleanly: " + r.status);
                System.exit(1);
            }
        }
        System.out.println();
        System.out.println("fork p50/max: host time of the fork system call (measured, host-dependent).");
        System.out.println("Counters are simulated events summed over all CPUs.");

        System.out.printf("%nShootdown strategies: a %d-thread process unmaps, write-protects and forks while its threads run on every CPU%n%n",
                base.cpus());
        System.out.println(ShootdownReport.HEADER);
        Map<String, Object> shootdowns = new LinkedHashMap<>();
        List<ShootdownReport> reports = new ArrayList<>();
        for (MachineConfig.Shootdown strategy : MachineConfig.Shootdown.values()) {
            MachineConfig c = base.with("shootdown.strategy", strategy.toString());
            ShootdownReport report = ShootdownWorkload.run(c, rounds(forks));
            reports.add(report);
            System.out.println(report.row());
            shootdowns.put(strategy.toString(), report.toMap());
            HistogramFiles.write(dir.resolve("shootdown-" + strategy + "-modeled-cycles.hlog"), report.modeledCycles());
            HistogramFiles.write(dir.resolve("shootdown-" + strategy + "-host-ns.hlog"), report.hostNanos());
        }
        System.out.println();
        System.out.println(ShootdownReport.REASON_HEADER);
        for (ShootdownReport report : reports) {
            System.out.println(report.reasonRow());
        }
        System.out.println();
        System.out.println("shootdowns: initiated; remote: CPUs invalidated without an interrupt (hw-broadcast) or by a lazy queue (latr);");
        System.out.println("INVLPGs and full: single-page and whole-TLB flushes executed on all CPUs; model: modeled initiator latency");
        System.out.println("(mmsim.stats.CostModel, 3 GHz); lost cycles: modeled cycles interrupted CPUs spent on others' shootdowns;");
        System.out.println("host: what the simulator took (measured, host-dependent).");

        Map<String, Object> all = new LinkedHashMap<>();
        all.put("fork_server", summary);
        all.put("shootdown", shootdowns);
        Files.writeString(dir.resolve("summary.csv"), csv.toString() + ShootdownWorkload.csv(shootdowns));
        RunManifest.writeJson(dir.resolve("summary.json"), all);
        System.out.println();
        System.out.println("Results: " + dir.toAbsolutePath());
    }

    private static int rounds(int forks) {
        return Math.max(4, forks);
    }

    private record Result(Histogram fork, Map<CpuCounter, Long> counters, long wallMillis, ExitStatus status) {
    }

    private static Result runOnce(MachineConfig config, long heap, int forks) throws Exception {
        Histogram forkNanos = new Histogram(3);
        long seed = config.seed();
        long start = System.nanoTime();
        ExitStatus status;
        Map<CpuCounter, Long> counters;
        try (Machine machine = Machine.boot(config)) {
            try (Kernel kernel = Kernel.boot(machine)) {
                status = kernel.run(sys -> forkServer(sys, heap, forks, seed, forkNanos), Duration.ofMinutes(10));
            }
            counters = machine.countersTotal();
            long accounted = machine.framesAccountedQuiescent();
            if (machine.frames().framesReferenced() != 0 || accounted != config.frames()) {
                throw new IllegalStateException("frames leaked: " + machine.frames().framesReferenced() + " still referenced");
            }
        }
        return new Result(forkNanos, counters, (System.nanoTime() - start) / 1_000_000, status);
    }

    /** The parent fills its heap, then forks children that each read a quarter of it and dirty a twentieth. */
    private static int forkServer(Sys sys, long heap, int forks, long seed, Histogram forkNanos) {
        long base = sys.mmap(heap, Vma.READ_WRITE);
        long pages = heap / PAGE;
        for (long p = 0; p < pages; p++) {
            sys.storeLong(base + p * PAGE, p);
        }
        int failed = 0;
        for (int i = 0; i < forks; i++) {
            final long childSeed = seed * 1_000_003 + i;
            long t0 = System.nanoTime();
            int pid = sys.fork(child -> {
                SplittableRandom random = new SplittableRandom(childSeed);
                for (long k = 0; k < pages / 4; k++) {
                    long p = random.nextLong(pages);
                    if (child.loadLong(base + p * PAGE) != p) {
                        return 1;
                    }
                }
                for (long k = 0; k < pages / 20; k++) {
                    long p = random.nextLong(pages);
                    child.storeLong(base + p * PAGE + 8, k);
                }
                return 0;
            });
            forkNanos.recordValue(System.nanoTime() - t0);
            if (!sys.waitpid(pid).exitedNormally()) {
                failed++;
            }
        }
        return failed;
    }
}
