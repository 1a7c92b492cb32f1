package mmsim.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramLogWriter;

/**
 * Host-time latencies (nanoseconds) of one JMH trial, kept as HdrHistograms: one per measurement
 * iteration, written at the end as an interval log ({@code NAME.hlog}, readable by HdrHistogram's
 * HistogramLogProcessor) plus a one-row percentile summary ({@code NAME.csv}), and printed as one line.
 * Warm-up iterations are recorded too and then dropped.
 *
 * <p>Threading: {@link #record} is called by simulated tasks, one at a time (the benchmarks record from
 * one process at a time, and the kernel's exit/wait and thread start order them); the iteration methods
 * are called by the JMH thread between {@code Kernel.run} calls, whose return orders them after every
 * record. So a plain {@link Histogram} suffices.
 *
 * <p>The timer's own share: each latency is one {@code System.nanoTime} pair around the operation, and a pair
 * around nothing is not zero (30 ns p50 on this project's Firecracker host, whose clock source is kvm-clock;
 * about 10 ns on bare metal with a TSC clock source). After each measurement iteration the log times
 * {@value #FLOOR_PAIRS} empty pairs on the same thread and reports their p50 beside the operation's percentiles
 * ({@code timer_floor_p50_us}): what the host's clock adds to every figure, measured in the same minutes. The
 * figures themselves are never corrected by it.
 *
 * <p>Files go to the directory named by the system property {@value #OUT_PROPERTY}, else next to the
 * benchmarks jar ({@code benchmarks/target/}).
 */
final class HostLatencyLog {
    static final String OUT_PROPERTY = "mmsim.bench.out";
    /** One hour: far above any latency measured here, so recording never throws or resizes. */
    private static final long HIGHEST_NANOS = 3_600_000_000_000L;

    private final String name;
    private final String context;
    private final Histogram iteration = new Histogram(1, HIGHEST_NANOS, 3);
    private final Histogram total = new Histogram(1, HIGHEST_NANOS, 3);
    private final List<Histogram> intervals = new ArrayList<>();
    /** Empty {@code nanoTime} pairs timed after each measurement iteration (see the class comment). */
    private final Histogram timerFloor = new Histogram(1, HIGHEST_NANOS, 3);
    /** Empty pairs timed per measurement iteration: about 3 ms at 30 ns a call. */
    static final int FLOOR_PAIRS = 50_000;
    /** Simulated events per name (IPIs, ...) of the current iteration, and of all measurement iterations. */
    private final Map<String, Long> iterationEvents = new LinkedHashMap<>();
    private final Map<String, Long> totalEvents = new LinkedHashMap<>();
    private boolean measuring;

    /**
     * @param name    the file name stem, e.g. {@code fault-latency-demandZero-cpus1}
     * @param context what the summary line and the CSV say about the set-up (parameters, CPUs)
     */
    HostLatencyLog(String name, String context) {
        this.name = name;
        this.context = context;
    }

    /** Starts an iteration; only measurement iterations are kept. */
    void beginIteration(boolean measurement) {
        measuring = measurement;
        iteration.reset();
        iterationEvents.clear();
        iteration.setStartTimeStamp(System.currentTimeMillis());
    }

    /** One latency, in host nanoseconds. */
    void record(long nanos) {
        iteration.recordValue(Math.max(1, nanos));
    }

    /** Adds every latency of {@code nanos} (host nanoseconds) to this iteration. */
    void recordAll(org.HdrHistogram.Histogram nanos) {
        iteration.add(nanos);
    }

    /** Counts {@code n} simulated events named {@code name} in this iteration; the summary reports them per operation. */
    void addEvents(String name, long n) {
        iterationEvents.merge(name, n, Long::sum);
    }

    /** Ends the iteration: a measurement iteration becomes one interval of the log. */
    void endIteration() {
        if (!measuring) {
            return;
        }
        iteration.setEndTimeStamp(System.currentTimeMillis());
        intervals.add(iteration.copy());
        total.add(iteration);
        iterationEvents.forEach((k, v) -> totalEvents.merge(k, v, Long::sum));
        recordTimerFloor(timerFloor, FLOOR_PAIRS);
    }

    /** Records {@code pairs} back-to-back {@code System.nanoTime} pairs with nothing between them into {@code into}. */
    static void recordTimerFloor(Histogram into, int pairs) {
        for (int i = 0; i < pairs; i++) {
            long t0 = System.nanoTime();
            long t1 = System.nanoTime();
            into.recordValue(Math.max(1, t1 - t0));
        }
    }

    /** The p50 of the empty pairs timed so far, in microseconds; 0 before the first measurement iteration ends. */
    double timerFloorP50Micros() {
        return timerFloor.getTotalCount() == 0 ? 0 : timerFloor.getValueAtPercentile(50) / 1e3;
    }

    /** All measurement iterations together. */
    Histogram total() {
        return total;
    }

    /** {@code name: n=… mean=… p50=… p90=… p99=… p99.9=… max=… us; EVENT/op=…; timer floor p50=… us (context)}. */
    String summary() {
        return String.format(Locale.ROOT,
                "%s: n=%d mean=%.3f p50=%.3f p90=%.3f p99=%.3f p99.9=%.3f max=%.3f us%s; timer floor p50=%.3f us (%s)",
                name, total.getTotalCount(), total.getMean() / 1e3, micros(50), micros(90), micros(99), micros(99.9),
                total.getMaxValue() / 1e3, eventsPerOperation(), timerFloorP50Micros(), context);
    }

    private String eventsPerOperation() {
        StringBuilder sb = new StringBuilder();
        long ops = Math.max(1, total.getTotalCount());
        totalEvents.forEach((k, v) -> sb.append(String.format(Locale.ROOT, "; %s/op=%.5f (%d)", k, (double) v / ops, v)));
        return sb.toString();
    }

    private double micros(double percentile) {
        return total.getValueAtPercentile(percentile) / 1e3;
    }

    /** Writes {@code NAME.hlog} and {@code NAME.csv} and prints the summary line. */
    void writeAndPrint() throws IOException {
        Path dir = outputDirectory();
        Files.createDirectories(dir);
        try (PrintStream out = new PrintStream(dir.resolve(name + ".hlog").toFile(), StandardCharsets.UTF_8)) {
            HistogramLogWriter writer = new HistogramLogWriter(out);
            writer.outputComment(name + ": host nanoseconds per operation, one interval per measurement iteration; "
                    + context);
            writer.outputLogFormatVersion();
            if (!intervals.isEmpty()) {
                writer.outputStartTime(intervals.get(0).getStartTimeStamp());
                writer.setBaseTime(intervals.get(0).getStartTimeStamp());
            }
            writer.outputLegend();
            for (Histogram h : intervals) {
                writer.outputIntervalHistogram(h);
            }
        }
        StringBuilder header = new StringBuilder("name,count,mean_us,p50_us,p90_us,p99_us,p99_9_us,max_us");
        StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "%s,%d,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f", name,
                total.getTotalCount(), total.getMean() / 1e3, micros(50), micros(90), micros(99), micros(99.9),
                total.getMaxValue() / 1e3));
        totalEvents.forEach((k, v) -> {
            header.append(',').append(k);
            row.append(',').append(v);
        });
        header.append(",timer_floor_p50_us");
        row.append(String.format(Locale.ROOT, ",%.3f", timerFloorP50Micros()));
        String csv = header + ",context\n" + row + ",\"" + context + "\"\n";
        Files.writeString(dir.resolve(name + ".csv"), csv);
        System.out.println();  // JMH has printed "Iteration N:" without a line end
        System.out.println(summary());
        System.out.println("  written: " + dir.resolve(name + ".hlog") + ", " + dir.resolve(name + ".csv"));
    }

    private static Path outputDirectory() {
        String configured = System.getProperty(OUT_PROPERTY);
        if (configured != null) {
            return Path.of(configured);
        }
        java.security.CodeSource source = HostLatencyLog.class.getProtectionDomain().getCodeSource();
        if (source == null) {
            return Path.of(".");
        }
        try {
            // benchmarks/target/benchmarks.jar → benchmarks/target; target/classes → target
            return Path.of(source.getLocation().toURI()).toAbsolutePath().getParent();
        } catch (URISyntaxException e) {
            return Path.of(".");
        }
    }
}
