package mmsim.stats;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * The one tree of a run's statistics, registered once (by the machine at boot, the kernel, the workload)
 * and read by the reporter: counters, gauges read at report time, and latency histograms. Modeled on
 * zsim's stats tree: a fixed set of named metrics, each updated as cheaply as the place that writes it
 * allows, summarised in one schema.
 *
 * <p>Every metric has a {@link Kind}: {@link Kind#MODELED} for what the simulated machine did (event
 * counts, modeled cycles), which does not depend on host speed, and {@link Kind#HOST} for what the host
 * measured (nanoseconds of host time), which does. Names are dotted paths ({@code faults.cow_copy},
 * {@code snapshot.write_ns}); a workload's own metrics start with the workload's name.
 *
 * <p>Thread-safety: registration is synchronized and may happen at any time before the final
 * {@link #snapshot()}; {@link Counter#add} and {@link LatencyRecorder#record} may be called from any
 * number of threads at once ({@link LongAdder}, HdrHistogram {@link Recorder}). Sources registered with
 * {@link #gauge} and {@link #histogramSource} are read on the reporting thread, and must be safe to read
 * there (most are exact only once the machine is quiescent, as at the end of a run).
 */
public final class StatsRegistry {
    /** Where a number comes from. */
    public enum Kind {
        /** The simulated machine: event counts and modeled cycles. Independent of the host's speed. */
        MODELED,
        /** The host: wall-clock nanoseconds the simulator took. Report with the host's core count. */
        HOST;

        /** {@code modeled} or {@code host}, as written in summary files. */
        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** What every metric declares about itself. */
    public record Descriptor(String name, Kind kind, String unit, String doc) {
        public Descriptor {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(kind, "kind");
            Objects.requireNonNull(unit, "unit");
            Objects.requireNonNull(doc, "doc");
            if (name.isBlank() || !name.matches("[a-z0-9_.\\-]+")) {
                throw new IllegalArgumentException("metric name '" + name + "': use lower-case letters, digits, '.', '_' and '-'");
            }
        }
    }

    /** A monotonically increasing count, added to from any thread. */
    public static final class Counter {
        private final Descriptor descriptor;
        private final LongAdder sum = new LongAdder();

        private Counter(Descriptor descriptor) {
            this.descriptor = descriptor;
        }

        public Descriptor descriptor() {
            return descriptor;
        }

        public void add(long delta) {
            sum.add(delta);
        }

        public void increment() {
            sum.increment();
        }

        public long value() {
            return sum.sum();
        }
    }

    /**
     * A latency distribution written from any number of threads through an HdrHistogram {@link Recorder}.
     * The reporter takes interval histograms ({@link #takeInterval()}) and keeps their running total.
     */
    public static final class LatencyRecorder {
        private final Descriptor descriptor;
        private final Recorder recorder = new Recorder(3);
        private final Histogram total = new Histogram(3);
        private Histogram recycled;

        private LatencyRecorder(Descriptor descriptor) {
            this.descriptor = descriptor;
        }

        public Descriptor descriptor() {
            return descriptor;
        }

        /** Records one value in the metric's unit; negative values are recorded as 0. */
        public void record(long value) {
            recorder.recordValue(Math.max(0, value));
        }

        /**
         * The values recorded since the last call, also added to the running total. Call from one
         * reporting thread; the returned histogram is valid until the next call.
         */
        public synchronized Histogram takeInterval() {
            Histogram interval = recorder.getIntervalHistogram(recycled);
            recycled = interval;
            total.add(interval);
            return interval;
        }

        /** Every value recorded up to the last {@link #takeInterval()}. */
        public synchronized Histogram total() {
            return total.copy();
        }
    }

    private record Gauge(Descriptor descriptor, LongSupplier read) {
    }

    private record HistogramSource(Descriptor descriptor, Supplier<Histogram> read) {
    }

    private final Map<String, Object> metrics = new LinkedHashMap<>();

    /** Registers a counter. @throws IllegalArgumentException when the name is taken */
    public synchronized Counter counter(String name, Kind kind, String unit, String doc) {
        Counter c = new Counter(new Descriptor(name, kind, unit, doc));
        put(name, c);
        return c;
    }

    /** Registers a value read at report time (a machine counter summed over CPUs, a peak). */
    public synchronized void gauge(String name, Kind kind, String unit, String doc, LongSupplier read) {
        put(name, new Gauge(new Descriptor(name, kind, unit, doc), read));
    }

    /** Registers a latency distribution recorded by the caller through the returned recorder. */
    public synchronized LatencyRecorder latency(String name, Kind kind, String unit, String doc) {
        LatencyRecorder r = new LatencyRecorder(new Descriptor(name, kind, unit, doc));
        put(name, r);
        return r;
    }

    /** Registers a distribution kept elsewhere (the shootdown statistics), read once at report time. */
    public synchronized void histogramSource(String name, Kind kind, String unit, String doc, Supplier<Histogram> read) {
        put(name, new HistogramSource(new Descriptor(name, kind, unit, doc), read));
    }

    private void put(String name, Object metric) {
        if (metrics.containsKey(name)) {
            throw new IllegalArgumentException("metric '" + name + "' is already registered");
        }
        metrics.put(name, metric);
    }

    /** The distributions kept elsewhere ({@link #histogramSource}), by name, for a reporter that logs them once at the end. */
    public synchronized Map<String, Supplier<Histogram>> histogramSources() {
        Map<String, Supplier<Histogram>> out = new LinkedHashMap<>();
        for (Object m : metrics.values()) {
            if (m instanceof HistogramSource h) {
                out.put(h.descriptor().name(), h.read());
            }
        }
        return out;
    }

    /** The recorders, for a reporter that writes interval logs. */
    public synchronized List<LatencyRecorder> recorders() {
        List<LatencyRecorder> out = new ArrayList<>();
        for (Object m : metrics.values()) {
            if (m instanceof LatencyRecorder r) {
                out.add(r);
            }
        }
        return out;
    }

    /** Every registered metric's descriptor, in registration order. */
    public synchronized List<Descriptor> descriptors() {
        List<Descriptor> out = new ArrayList<>();
        for (Object m : metrics.values()) {
            out.add(descriptorOf(m));
        }
        return out;
    }

    private static Descriptor descriptorOf(Object m) {
        if (m instanceof Counter c) {
            return c.descriptor();
        } else if (m instanceof Gauge g) {
            return g.descriptor();
        } else if (m instanceof LatencyRecorder r) {
            return r.descriptor();
        }
        return ((HistogramSource) m).descriptor();
    }

    /**
     * Reads every metric: counters and gauges as values, recorders' totals (after taking a last interval)
     * and histogram sources as distributions. Call once the run is quiescent for exact figures.
     */
    public synchronized StatsSnapshot snapshot() {
        Map<String, StatsSnapshot.Value> values = new LinkedHashMap<>();
        Map<String, StatsSnapshot.Distribution> distributions = new LinkedHashMap<>();
        for (Object m : metrics.values()) {
            if (m instanceof Counter c) {
                values.put(c.descriptor().name(), new StatsSnapshot.Value(c.descriptor(), c.value()));
            } else if (m instanceof Gauge g) {
                values.put(g.descriptor().name(), new StatsSnapshot.Value(g.descriptor(), g.read().getAsLong()));
            } else if (m instanceof LatencyRecorder r) {
                r.takeInterval();
                distributions.put(r.descriptor().name(), new StatsSnapshot.Distribution(r.descriptor(), r.total()));
            } else {
                HistogramSource s = (HistogramSource) m;
                distributions.put(s.descriptor().name(), new StatsSnapshot.Distribution(s.descriptor(), s.read().get().copy()));
            }
        }
        return new StatsSnapshot(Collections.unmodifiableMap(values), Collections.unmodifiableMap(distributions));
    }
}
