package mmsim.run;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramLogWriter;

import mmsim.stats.StatsRegistry;
import mmsim.stats.StatsRegistry.LatencyRecorder;

/**
 * Writes one HdrHistogram interval log ({@code <metric>.hlog}) per latency metric of a run: a reporter
 * thread takes each recorder's interval histogram once per interval, so a log shows how latency moved
 * during the run (HdrHistogram's HistogramLogReader and plotters read it). Distributions kept elsewhere
 * (the shootdown statistics) are written as one interval at the end.
 */
final class IntervalLogs implements AutoCloseable {
    private final Path dir;
    private final StatsRegistry stats;
    private final long startMillis = System.currentTimeMillis();
    private final Map<LatencyRecorder, Log> logs = new IdentityHashMap<>();
    private final Thread reporter;
    private volatile boolean stopping;
    private double lastSeconds;

    private record Log(PrintStream out, HistogramLogWriter writer) {
    }

    IntervalLogs(Path dir, StatsRegistry stats, long intervalMillis) {
        this.dir = dir;
        this.stats = stats;
        this.reporter = new Thread(() -> {
            while (!stopping) {
                try {
                    Thread.sleep(intervalMillis);
                } catch (InterruptedException e) {
                    return;
                }
                takeIntervals();
            }
        }, "mmsim-hlog-reporter");
        reporter.setDaemon(true);
        reporter.start();
    }

    private synchronized void takeIntervals() {
        double now = (System.currentTimeMillis() - startMillis) / 1000.0;
        for (LatencyRecorder r : stats.recorders()) {
            Histogram interval = r.takeInterval();
            if (interval.getTotalCount() == 0 && logs.containsKey(r)) {
                continue;
            }
            interval.setStartTimeStamp(startMillis);
            Log log = logs.computeIfAbsent(r, k -> open(k.descriptor().name()));
            interval.setEndTimeStamp(System.currentTimeMillis());
            log.writer().outputIntervalHistogram(lastSeconds, now, interval, 1.0);
        }
        lastSeconds = now;
    }

    private Log open(String name) {
        try {
            PrintStream out = new PrintStream(Files.newOutputStream(dir.resolve(name + ".hlog")), false, StandardCharsets.UTF_8);
            HistogramLogWriter w = new HistogramLogWriter(out);
            w.outputLogFormatVersion();
            w.outputComment("mmsim metric " + name);
            w.outputStartTime(startMillis);
            w.setBaseTime(startMillis);
            w.outputLegend();
            return new Log(out, w);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes a distribution kept elsewhere as a one-interval log. */
    private void writeWhole(String name, Supplier<Histogram> histogram) {
        Log log = open(name);
        double now = (System.currentTimeMillis() - startMillis) / 1000.0;
        log.writer().outputIntervalHistogram(0, now, histogram.get(), 1.0);
        log.out().close();
    }

    /**
     * Stops the reporter, writes the last interval of every recorder, closes the logs, and writes every
     * distribution kept elsewhere (the registry's histogram sources) as one interval. Call once the run is
     * quiescent, so those sources are exact.
     */
    @Override
    public void close() throws InterruptedException {
        stopping = true;
        reporter.interrupt();
        reporter.join();
        takeIntervals();
        stats.histogramSources().forEach(this::writeWhole);
        List<Log> all = new ArrayList<>(logs.values());
        for (Log log : all) {
            log.out().close();
        }
    }
}
