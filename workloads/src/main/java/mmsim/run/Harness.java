package mmsim.run;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeoutException;
import java.util.function.DoubleConsumer;

import mmsim.Machine;
import mmsim.check.ContentOracle;
import mmsim.config.ConfigException;
import mmsim.kernel.ExitStatus;
import mmsim.kernel.Kernel;
import mmsim.kernel.ProcessBody;
import mmsim.stats.CpuCounter;
import mmsim.stats.StatsRegistry.Kind;
import mmsim.stats.StatsSnapshot;
import mmsim.workload.WorkloadContext;

/**
 * Runs any workload on a freshly booted machine and kernel and does every post-run check once:
 * <ol>
 *   <li>init exited normally with status 0 (a workload signals a failed condition by a non-zero code
 *       or {@link WorkloadContext#fail});</li>
 *   <li>every process ended before the watchdog ({@link RunSpec#timeout()}) and the kernel met no
 *       internal error;</li>
 *   <li>frames are conserved: none is still referenced and every one is back in the pool;</li>
 *   <li>in checking mode, the stale-translation oracle saw no stale TLB hit;</li>
 *   <li>the content oracle saw no read that disagreed with its model.</li>
 * </ol>
 * Metrics: the machine's counters and modeled latencies ({@code latency.*}), the shootdown latency distributions ({@code shootdown.initiator_cycles},
 * modeled; {@code shootdown.initiator_ns}, host), {@code run.wall_ns} and whatever the workload registered.
 * When given a directory, the latency metrics are written there as {@code .hlog} interval logs.
 */
public final class Harness {
    /** How often interval logs take a new interval, host milliseconds. */
    static final long HLOG_INTERVAL_MILLIS = 1000;

    private Harness() {
    }

    /**
     * Runs {@code spec}.
     *
     * @param hlogDir  where the interval logs go, or null for none
     * @param progress receives the workload's progress (0 to 1), or null
     * @throws SetupException when the machine cannot be built (memory the host cannot reserve), the kernel
     *                        cannot boot on this JVM (sim.threads=virtual before JDK 21) or the workload
     *                        rejects its settings; nothing ran
     */
    public static RunResult run(RunSpec spec, Path hlogDir, DoubleConsumer progress) throws SetupException, InterruptedException {
        Instant started = Instant.now();
        long t0 = System.nanoTime();
        Machine machine = boot(spec);
        List<String> problems = new ArrayList<>();
        ExitStatus init = null;
        StatsSnapshot stats;
        long wall;
        boolean virtualThreads;
        try {
            ContentOracle content = new ContentOracle();
            WorkloadContext context = new WorkloadContext(spec.workload(), spec.settings(), machine, content, spec.check(), progress);
            long[] wallNanos = {0};
            machine.stats().gauge("run.wall_ns", Kind.HOST, "ns", "Host time of the whole run: boot, workload, teardown, checks.",
                    () -> wallNanos[0]);
            IntervalLogs logs = null;
            Kernel kernel = bootKernel(spec, machine);
            virtualThreads = kernel.virtualThreads();
            try {
                machine.stats().histogramSource("shootdown.initiator_cycles", Kind.MODELED, "cycles",
                        "Modeled latency of each shootdown on its initiating CPU, from the request to the last acknowledgement.",
                        () -> kernel.shootdownStats().modeledCycles());
                machine.stats().histogramSource("shootdown.initiator_ns", Kind.HOST, "ns",
                        "Host time of each shootdown that could reach another CPU (the space's cpumask held one; every "
                                + "one under broadcast and didi), on its initiating CPU.", () -> kernel.shootdownStats().hostNanos());
                ProcessBody body = prepare(spec, context);
                if (hlogDir != null) {
                    logs = new IntervalLogs(hlogDir, machine.stats(), HLOG_INTERVAL_MILLIS);
                }
                init = kernel.run(body, spec.timeout());
            } catch (TimeoutException e) {
                problems.add("watchdog: the run did not finish within " + spec.timeout() + " (a hang or a lost process): "
                        + firstLines(e.getMessage(), 40));
            } catch (IllegalStateException e) {
                problems.add(e.getMessage());
            } finally {
                kernel.close();
                if (logs != null) {
                    logs.close();
                }
            }
            if (init != null && (!init.exitedNormally() || init.code() != 0)) {
                problems.add("init (pid 1) ended " + init);
            }
            for (String panic : kernel.panics()) {
                problems.add("kernel panic: " + firstLines(panic, 12));
            }
            checkFrames(machine, problems);
            long stale = machine.counterTotal(CpuCounter.ORACLE_STALE_HITS);
            if (stale > 0) {
                problems.add("stale-translation oracle: " + stale + " TLB hits through translations a completed shootdown should have removed; first: "
                        + machine.oracle().violations() + " (seed " + spec.machine().seed() + ")");
            }
            if (content.mismatches() > 0) {
                problems.add("content oracle: " + content.mismatches() + " of " + content.checks()
                        + " checked reads disagreed with the model; first: " + content.firstMismatches() + " (seed " + spec.machine().seed() + ")");
            }
            problems.addAll(context.problems());
            wall = System.nanoTime() - t0;
            wallNanos[0] = wall;
            stats = machine.stats().snapshot();
        } finally {
            machine.close();
        }
        return new RunResult(spec, init, problems, stats, started, Instant.now(), wall, virtualThreads);
    }

    private static Kernel bootKernel(RunSpec spec, Machine machine) throws SetupException {
        try {
            return spec.shootdown() == null ? Kernel.boot(machine) : Kernel.boot(machine, spec.shootdown());
        } catch (IllegalStateException e) {
            // a setting this JVM cannot honour, such as sim.threads=virtual before JDK 21: nothing ran yet
            throw new SetupException(e.getMessage());
        }
    }

    private static Machine boot(RunSpec spec) throws SetupException {
        try {
            return Machine.boot(spec.machine());
        } catch (OutOfMemoryError | IllegalStateException e) {
            // physical memory is taken from the host in 2 MiB chunks as frames are first used; what boot sizes to
            // the whole machine is the chunk table and the frame metadata's lookup tables, on the Java heap
            throw new SetupException("memory=" + spec.machine().asStrings().get("memory")
                    + ": the machine's tables do not fit this JVM (" + e.getMessage()
                    + "); choose a smaller memory= or give the JVM a larger heap with -Xmx");
        }
    }

    private static ProcessBody prepare(RunSpec spec, WorkloadContext context) throws SetupException {
        try {
            ProcessBody body = spec.workload().prepare(context);
            if (body == null) {
                throw new SetupException("workload " + spec.workload().name() + ": prepare returned no init process body");
            }
            return body;
        } catch (ConfigException e) {
            throw new SetupException("workload " + spec.workload().name() + ": " + e.getMessage());
        }
    }

    private static void checkFrames(Machine machine, List<String> problems) {
        long referenced = machine.frames().framesReferenced();
        long free = machine.framePool().freeFramesQuiescent();
        int total = machine.config().frames();
        if (referenced != 0 || free != total) {
            problems.add("frames leaked: " + referenced + " still referenced and " + (total - free) + " of " + total
                    + " not back in the pool after every process exited");
        }
    }

    private static String firstLines(String text, int lines) {
        if (text == null) {
            return "";
        }
        String[] all = text.split("\n");
        if (all.length <= lines) {
            return text;
        }
        return String.join("\n", java.util.Arrays.copyOf(all, lines)) + "\n    ... (" + (all.length - lines) + " more lines)";
    }
}
