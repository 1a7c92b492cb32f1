package mmsim.plot;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

import org.HdrHistogram.EncodableHistogram;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramLogReader;

import mmsim.config.ConfigException;
import mmsim.config.Setting;
import mmsim.plot.RunRows.Row;
import mmsim.workload.Workload;
import mmsim.workload.Workloads;

/**
 * What {@code mmsim plot} draws from a set of runs, as data (rendering is {@link Charts}'). Per workload, whichever
 * apply:
 * <ul>
 *   <li>latency percentile curves, one series per strategy: the modeled shootdown latency on the initiating CPU, the
 *       modeled latency of the workload's operation ({@link #MODELED_OPERATION}), and the workload's host-time
 *       distributions among its headline metrics. Runs that differ in more than the strategy are cut to one slice:
 *       the most CPUs, the lowest seed, the first value of anything else (choose another with {@code --where});</li>
 *   <li>modeled shootdown latency (p50) against simulated CPUs, one series per shootdown strategy, when the runs
 *       have more than one CPU count;</li>
 *   <li>IPIs sent and page faults (not-present and protection) per operation, where an operation is one sample of
 *       the workload's first headline distribution (one munmap, one fork, ...): against CPUs when the CPU count
 *       varies, else as bars per strategy;</li>
 *   <li>fork latency (modeled, and host where the workload measures it) against the resident size
 *       ({@link #RESIDENT_SIZE}) per fork strategy, when the size varies.</li>
 * </ul>
 * Runs that differ in other settings too are drawn as one figure per combination of those (a facet, named in the
 * title), at most {@link #MAX_FACETS} per kind; values over seeds are averaged, with the standard deviation as error
 * bars. Modeled cycles are shown as µs at the runs' cost profile clock ({@code cost.ghz}); host nanoseconds as µs.
 * Thread-safe: no state.
 */
public final class Figures {
    /** At most this many facets per kind of figure and workload; the rest are named in the figure's note. */
    static final int MAX_FACETS = 6;

    /** Per workload, the setting that says how much memory its forking process has resident. */
    static final Map<String, String> RESIDENT_SIZE = Map.of("forkserver", "forkserver.heap", "forkexec", "forkexec.resident",
            "snapshot", "snapshot.data", "prefork", "prefork.data");

    /**
     * Per workload, the modeled latency distribution of its operation ({@code fork} means the run's own fork strategy's
     * {@code latency.fork.<strategy>}).
     */
    static final Map<String, String> MODELED_OPERATION = Map.of("munmap", "latency.munmap", "madvise", "latency.madvise",
            "mprotect", "latency.mprotect", "forkserver", "fork", "forkexec", "fork", "snapshot", "latency.fault.cow_copy",
            "prefork", "latency.fault.cow_copy");

    private static final List<String> STRATEGY_KEYS = List.of("shootdown.strategy", "fork.strategy");

    private Figures() {
    }

    /** How a figure is drawn. */
    public enum Kind {
        /** x against y, one line per series. */
        LINE,
        /** latency against percentile, x in "nines": x = log10(1 / (1 - q)). */
        PERCENTILE,
        /** bars: one group per category, one bar per series. */
        BAR
    }

    /** One series: its points (x is ignored for bars: y follows the categories) and optional error bars. */
    public record Series(String name, double[] x, double[] y, double[] error) {
    }

    /**
     * One figure: its file name ({@code .png}), workload, title (which says the workload and the machine), axis
     * titles with units, kind, series, bar categories, and a note (what was left out), or "".
     */
    public record Figure(String file, String workload, String title, String xTitle, String yTitle, Kind kind, List<Series> series,
                         List<String> categories, String note) {
        /**
         * Whether x is better drawn on a base-2 logarithmic axis (CPU counts, sizes): positive, spanning eightfold or
         * more.
         */
        public boolean log2X() {
            if (kind != Kind.LINE) {
                return false;
            }
            double min = series.stream().flatMapToDouble(s -> java.util.Arrays.stream(s.x())).min().orElse(0);
            double max = series.stream().flatMapToDouble(s -> java.util.Arrays.stream(s.x())).max().orElse(0);
            return min > 0 && max / min >= 8;
        }
    }

    /** Every figure that applies to {@code runs}, workload by workload. */
    public static List<Figure> of(RunRows runs) {
        List<Figure> out = new ArrayList<>();
        for (String workload : runs.workloads()) {
            List<Row> rows = runs.of(workload).stream().filter(Row::hasMetrics).toList();
            if (rows.isEmpty()) {
                continue;
            }
            out.addAll(percentiles(runs, workload, rows));
            out.addAll(shootdownVsCpus(runs, workload, rows));
            out.addAll(perOperation(runs, workload, rows));
            out.addAll(forkVsResident(runs, workload, rows));
        }
        return out;
    }

    // ---- percentile curves

    private static List<Figure> percentiles(RunRows runs, String workload, List<Row> rows) {
        List<String> varying = runs.varying(rows);
        List<String> series = seriesKeys(varying);
        Map<String, String> slice = new LinkedHashMap<>();
        List<Row> sliced = rows;
        for (String key : varying) {
            if (series.contains(key)) {
                continue;
            }
            List<String> values = RunRows.distinct(sliced, key);
            String pick = key.equals("cpus") ? values.stream().max(Comparator.comparingDouble(Figures::parse)).orElseThrow()
                    : key.equals("seed") ? values.stream().min(Comparator.comparingDouble(Figures::parse)).orElseThrow() : values.get(0);
            slice.put(key, pick);
            sliced = sliced.stream().filter(r -> r.get(key).equals(pick)).toList();
        }
        String sliceNote = slice.isEmpty() ? "" : "the runs with " + describe(slice) + " (another slice: --where key=value)";
        List<Figure> out = new ArrayList<>();
        List<Metric> metrics = new ArrayList<>();
        if (sliced.stream().anyMatch(r -> r.number("modeled:shootdown.initiator_cycles:count") > 0)) {
            metrics.add(new Metric("shootdown.initiator_cycles", "shootdown latency at the initiator", true));
        }
        String op = MODELED_OPERATION.get(workload);
        if (op != null) {
            String title = op.equals("fork") ? "fork latency" : op.startsWith("latency.fault.") ? op.substring("latency.fault.".length()) + " fault latency"
                    : op.substring(op.lastIndexOf('.') + 1) + " latency";
            metrics.add(new Metric(op, title, true));
        }
        for (String name : headlineDistributions(workload, sliced.get(0))) {
            String op2 = operationName(name);
            metrics.add(new Metric(name, op2.equals(workload) ? workload + " duration" : op2 + " latency", false));
        }
        for (Metric m : metrics) {
            List<Series> lines = new ArrayList<>();
            for (Row r : sliced) {
                String name = m.name().equals("fork") ? "latency.fork." + r.get("fork.strategy") : m.name();
                Series s = percentileCurve(label(r, series), r, (m.modeled() ? "modeled:" : "host:") + name, m.modeled());
                if (s != null) {
                    lines.add(s);
                }
            }
            if (lines.isEmpty()) {
                continue;
            }
            String kind = m.modeled() ? "modeled" : "host";
            out.add(new Figure(file(workload, "percentiles-" + kind + "-" + m.name(), ""), workload,
                    workload + ": " + m.title() + " percentiles, " + kind + machine(sliced, m.modeled()),
                    "percentile", "latency (µs, " + (m.modeled() ? "modeled at " + clock(sliced) : "host time on " + hostCores(sliced)) + ")",
                    Kind.PERCENTILE, lines, List.of(), sliceNote));
        }
        return out;
    }

    private record Metric(String name, String title, boolean modeled) {
    }

    /** A run's distribution as a percentile curve, in µs: from its .hlog file when the run directory is there, else its row. */
    private static Series percentileCurve(String label, Row r, String column, boolean modeled) {
        double toMicros = modeled ? 1 / (r.ghz() * 1000) : 1 / 1000.0;
        String metric = column.substring(column.indexOf(':') + 1);
        Histogram h = r.runDir() == null ? null : readLog(r.runDir().resolve(metric + ".hlog"));
        List<Double> xs = new ArrayList<>();
        List<Double> ys = new ArrayList<>();
        if (h != null && h.getTotalCount() > 0) {
            double top = Math.min(4, Math.log10(h.getTotalCount()));
            for (double x = 0; x <= top + 1e-9; x += 0.05) {
                xs.add(x);
                ys.add(h.getValueAtPercentile(100 * (1 - Math.pow(10, -x))) * toMicros);
            }
            xs.add(Math.max(top, 0.05) + 0.02);
            ys.add(h.getMaxValue() * toMicros);
        } else {
            double count = r.number(column + ":count");
            if (!(count > 0)) {
                return null;
            }
            String[] stats = {"p50", "p90", "p99", "p99.9"};
            double[] at = {Math.log10(2), 1, 2, 3};
            for (int i = 0; i < stats.length; i++) {
                double v = r.number(column + ":" + stats[i]);
                if (!Double.isNaN(v)) {
                    xs.add(at[i]);
                    ys.add(v * toMicros);
                }
            }
        }
        return xs.isEmpty() ? null : new Series(label, unbox(xs), unbox(ys), null);
    }

    private static Histogram readLog(Path file) {
        if (!Files.isRegularFile(file)) {
            return null;
        }
        Histogram total = new Histogram(3);
        try (HistogramLogReader reader = new HistogramLogReader(file.toFile())) {
            EncodableHistogram h;
            while ((h = reader.nextIntervalHistogram()) != null) {
                if (h instanceof Histogram hist) {
                    total.add(hist);
                }
            }
        } catch (IOException | RuntimeException e) {
            return null;
        }
        return total;
    }

    /** The workload's headline metrics that are host-time distributions and that the row has. */
    static List<String> headlineDistributions(String workload, Row sample) {
        List<String> out = new ArrayList<>();
        for (String name : headline(workload)) {
            if (!Double.isNaN(sample.number("host:" + name + ":count"))) {
                out.add(name);
            }
        }
        return out;
    }

    private static List<String> headline(String workload) {
        try {
            return Workloads.named(workload).headline();
        } catch (ConfigException e) {
            return List.of();
        }
    }

    // ---- shootdown cost against CPUs

    private static List<Figure> shootdownVsCpus(RunRows runs, String workload, List<Row> rows) {
        if (RunRows.distinct(rows, "cpus").size() < 2 || rows.stream().noneMatch(r -> r.number("modeled:shootdown.initiator_cycles:count") > 0)) {
            return List.of();
        }
        return againstCpus(runs, workload, rows, "shootdown-vs-cpus", "shootdown latency at the initiator (p50, modeled) vs CPUs",
                facetRows -> "latency (µs, modeled at " + clock(facetRows) + ")", true,
                r -> r.number("modeled:shootdown.initiator_cycles:count") > 0 ? r.number("modeled:shootdown.initiator_cycles:p50") / (r.ghz() * 1000)
                        : Double.NaN);
    }

    private static List<Figure> againstCpus(RunRows runs, String workload, List<Row> rows, String what, String title,
                                            java.util.function.Function<List<Row>, String> yTitle,
                                            boolean modeled, java.util.function.ToDoubleFunction<Row> value) {
        List<String> varying = runs.varying(rows);
        String seriesKey = varying.contains("shootdown.strategy") ? "shootdown.strategy" : varying.contains("fork.strategy") ? "fork.strategy"
                : "shootdown.strategy";
        List<String> facetKeys = varying.stream().filter(k -> !k.equals("cpus") && !k.equals(seriesKey) && !k.equals("seed")).toList();
        List<Figure> out = new ArrayList<>();
        Map<String, List<Row>> facets = facets(rows, facetKeys);
        int n = 0;
        for (Map.Entry<String, List<Row>> facet : facets.entrySet()) {
            if (n++ == MAX_FACETS) {
                break;
            }
            List<Series> lines = new ArrayList<>();
            for (String s : RunRows.distinct(facet.getValue(), seriesKey)) {
                List<Row> mine = facet.getValue().stream().filter(r -> r.get(seriesKey).equals(s)).toList();
                Series line = meanOver(s, mine, "cpus", value);
                if (line != null) {
                    lines.add(line);
                }
            }
            if (!lines.isEmpty()) {
                out.add(new Figure(file(workload, what, facet.getKey()), workload,
                        workload + ": " + title + (facet.getKey().isEmpty() ? "" : ", " + facet.getKey())
                                + machine(facet.getValue(), modeled, facet.getKey()),
                        "simulated CPUs", yTitle.apply(facet.getValue()), Kind.LINE, lines, List.of(),
                        facetNote(facets.size(), facet.getValue())));
            }
        }
        return out;
    }

    // ---- IPIs and faults per operation

    private static List<Figure> perOperation(RunRows runs, String workload, List<Row> rows) {
        String op = operation(workload, rows.get(0));
        if (op == null) {
            return List.of();
        }
        String opName = operationName(op);
        String countColumn = "host:" + op + ":count";
        java.util.function.ToDoubleFunction<Row> ipis = r -> r.number("modeled:shootdown.ipis_sent") / r.number(countColumn);
        java.util.function.ToDoubleFunction<Row> faults = r -> (r.number("modeled:faults.not_present") + r.number("modeled:faults.protection"))
                / r.number(countColumn);
        if (RunRows.distinct(rows, "cpus").size() >= 2) {
            List<Figure> out = new ArrayList<>(againstCpus(runs, workload, rows, "ipis-per-op", "IPIs sent per " + opName + " vs CPUs (modeled)",
                    facetRows -> "IPIs per " + opName + " (modeled events)", true, ipis));
            out.addAll(againstCpus(runs, workload, rows, "faults-per-op", "page faults per " + opName + " vs CPUs (modeled)",
                    facetRows -> "faults per " + opName + " (modeled events)", true, faults));
            return out;
        }
        List<String> keys = runs.varying(rows).stream().filter(k -> !k.equals("seed")).toList();
        Map<String, List<Row>> groups = facets(rows, keys);
        List<String> categories = new ArrayList<>();
        double[] ipiMeans = new double[groups.size()];
        double[] faultMeans = new double[groups.size()];
        int i = 0;
        for (Map.Entry<String, List<Row>> g : groups.entrySet()) {
            categories.add(g.getKey().isEmpty() ? g.getValue().get(0).get("shootdown.strategy") : shortLabel(g.getValue().get(0), keys));
            ipiMeans[i] = mean(g.getValue(), ipis);
            faultMeans[i] = mean(g.getValue(), faults);
            i++;
        }
        String xTitle = keys.isEmpty() ? "shootdown strategy" : String.join(", ", keys);
        return List.of(new Figure(file(workload, "ipis-per-op", ""), workload, workload + ": IPIs sent per " + opName + " (modeled)" + machine(rows, true),
                        xTitle, "IPIs per " + opName + " (modeled events)", Kind.BAR, List.of(new Series("IPIs sent per " + opName, null, ipiMeans, null)),
                        categories, seedsNote(rows)),
                new Figure(file(workload, "faults-per-op", ""), workload, workload + ": page faults per " + opName + " (modeled)" + machine(rows, true),
                        xTitle, "faults per " + opName + " (modeled events)", Kind.BAR,
                        List.of(new Series("page faults per " + opName, null, faultMeans, null)), categories, seedsNote(rows)));
    }

    /**
     * What one sample of a host-time distribution is called: its name without the workload and {@code _ns}
     * ({@code munmap.munmap_ns} → munmap, {@code forkserver.fork_ns} → fork), or the workload's name for a
     * {@code duration} ({@code snapshot.duration_ns} → snapshot: one snapshot).
     */
    static String operationName(String metric) {
        String stem = metric.substring(metric.indexOf('.') + 1).replaceFirst("_ns$", "");
        return stem.equals("duration") ? metric.substring(0, metric.indexOf('.')) : stem;
    }

    /** The workload's operation: its first headline distribution the row has (host time), or null. */
    static String operation(String workload, Row sample) {
        List<String> d = headlineDistributions(workload, sample);
        return d.isEmpty() ? null : d.get(0);
    }

    // ---- fork latency against resident size

    private static List<Figure> forkVsResident(RunRows runs, String workload, List<Row> rows) {
        String sizeKey = RESIDENT_SIZE.get(workload);
        if (sizeKey == null || RunRows.distinct(rows, sizeKey).size() < 2) {
            return List.of();
        }
        List<String> facetKeys = runs.varying(rows).stream().filter(k -> !k.equals(sizeKey) && !k.equals("fork.strategy") && !k.equals("seed"))
                .toList();
        Map<String, List<Row>> facets = facets(rows, facetKeys);
        String hostFork = headlineDistributions(workload, rows.get(0)).stream().filter(n -> n.contains("fork")).findFirst().orElse(null);
        List<Figure> out = new ArrayList<>();
        int n = 0;
        for (Map.Entry<String, List<Row>> facet : facets.entrySet()) {
            if (n++ == MAX_FACETS) {
                break;
            }
            for (boolean modeled : new boolean[] {true, false}) {
                if (!modeled && hostFork == null) {
                    continue;
                }
                List<Series> lines = new ArrayList<>();
                for (String f : RunRows.distinct(facet.getValue(), "fork.strategy")) {
                    List<Row> mine = facet.getValue().stream().filter(r -> r.get("fork.strategy").equals(f)).toList();
                    java.util.function.ToDoubleFunction<Row> latency = modeled
                            ? r -> r.number("modeled:latency.fork." + f + ":p50") / (r.ghz() * 1000)
                            : r -> r.number("host:" + hostFork + ":p50") / 1000;
                    Series line = meanOver(f, mine.stream().map(r -> withMiB(r, workload, sizeKey)).toList(), "resident.mib", latency);
                    if (line != null) {
                        lines.add(line);
                    }
                }
                if (lines.isEmpty()) {
                    continue;
                }
                String kind = modeled ? "modeled" : "host";
                out.add(new Figure(file(workload, "fork-vs-resident-" + kind, facet.getKey()), workload,
                        workload + ": fork latency (p50, " + kind + ") vs resident size" + (facet.getKey().isEmpty() ? "" : ", " + facet.getKey())
                                + machine(facet.getValue(), modeled, facet.getKey()),
                        "resident size (MiB, " + sizeKey + ")", "fork latency (µs, " + (modeled ? "modeled at " + clock(facet.getValue())
                        : "host time on " + hostCores(facet.getValue())) + ")", Kind.LINE, lines, List.of(), facetNote(facets.size(), facet.getValue())));
            }
        }
        return out;
    }

    /** The row with a column {@code resident.mib}: the size setting in MiB. */
    private static Row withMiB(Row r, String workload, String sizeKey) {
        Map<String, String> v = new LinkedHashMap<>(r.values());
        v.put("resident.mib", Double.toString(bytes(workload, sizeKey, r.get(sizeKey)) / (1024.0 * 1024.0)));
        return new Row(v, r.runDir());
    }

    private static double bytes(String workload, String key, String text) {
        try {
            Workload w = Workloads.named(workload);
            for (Setting<?> s : w.settings()) {
                if (s.key().equals(key)) {
                    return ((Number) s.parse(text)).doubleValue();
                }
            }
        } catch (ConfigException | ClassCastException e) {
            // fall through to a plain number
        }
        return parse(text);
    }

    // ---- shared

    /** One series of mean values over the rows that share an x, sorted by x; error bars when some x had several rows. */
    private static Series meanOver(String name, List<Row> rows, String xColumn, java.util.function.ToDoubleFunction<Row> value) {
        TreeMap<Double, List<Double>> byX = new TreeMap<>();
        for (Row r : rows) {
            double y = value.applyAsDouble(r);
            double x = r.number(xColumn);
            if (!Double.isNaN(y) && !Double.isInfinite(y) && !Double.isNaN(x)) {
                byX.computeIfAbsent(x, k -> new ArrayList<>()).add(y);
            }
        }
        if (byX.isEmpty()) {
            return null;
        }
        double[] xs = new double[byX.size()];
        double[] ys = new double[byX.size()];
        double[] err = new double[byX.size()];
        boolean spread = false;
        int i = 0;
        for (Map.Entry<Double, List<Double>> e : byX.entrySet()) {
            xs[i] = e.getKey();
            List<Double> values = e.getValue();
            double m = values.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
            ys[i] = m;
            double squares = values.stream().mapToDouble(y -> (y - m) * (y - m)).sum();
            err[i] = values.size() > 1 ? Math.sqrt(squares / (values.size() - 1)) : 0;
            spread |= e.getValue().size() > 1;
            i++;
        }
        return new Series(name, xs, ys, spread ? err : null);
    }

    static double mean(List<Row> rows, java.util.function.ToDoubleFunction<Row> value) {
        return rows.stream().mapToDouble(value).filter(v -> !Double.isNaN(v) && !Double.isInfinite(v)).average().orElse(0);
    }

    /** Rows grouped by their values of {@code keys} ("key=value, ..."), in order of appearance. */
    static Map<String, List<Row>> facets(List<Row> rows, List<String> keys) {
        Map<String, List<Row>> out = new LinkedHashMap<>();
        for (Row r : rows) {
            Map<String, String> v = new LinkedHashMap<>();
            keys.forEach(k -> v.put(k, r.get(k)));
            out.computeIfAbsent(describe(v), k -> new ArrayList<>()).add(r);
        }
        return out;
    }

    private static String facetNote(int facets, List<Row> rows) {
        int seeds = RunRows.distinct(rows, "seed").size();
        String s = seeds > 1 ? "mean of " + seeds + " seeds; error bars: their standard deviation" : "";
        if (facets > MAX_FACETS) {
            s += (s.isEmpty() ? "" : "; ") + "the first " + MAX_FACETS + " of " + facets + " combinations of the other settings "
                    + "(choose others with --where key=value)";
        }
        return s;
    }

    private static String seedsNote(List<Row> rows) {
        int seeds = RunRows.distinct(rows, "seed").size();
        return seeds > 1 ? "mean of " + seeds + " seeds" : "";
    }

    private static List<String> seriesKeys(List<String> varying) {
        return STRATEGY_KEYS.stream().filter(varying::contains).toList();
    }

    private static String label(Row r, List<String> keys) {
        if (keys.isEmpty()) {
            return r.get("shootdown.strategy") + "/" + r.get("fork.strategy");
        }
        return String.join("/", keys.stream().map(r::get).toList());
    }

    private static String shortLabel(Row r, List<String> keys) {
        return String.join(" ", keys.stream().map(k -> STRATEGY_KEYS.contains(k) ? r.get(k) : shortKey(k) + "=" + r.get(k)).toList());
    }

    private static String shortKey(String key) {
        return key.substring(key.lastIndexOf('.') + 1);
    }

    private static String describe(Map<String, String> values) {
        return String.join(", ", values.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList());
    }

    /** " — <profile> at <GHz>, <N CPUs>, deterministic": the machine the figure's runs had in common. */
    private static String machine(List<Row> rows, boolean modeled) {
        return machine(rows, modeled, "");
    }

    /** {@link #machine(List, boolean)} for a facet: a profile the facet's own name already gives is not said twice. */
    private static String machine(List<Row> rows, boolean modeled, String facet) {
        List<String> parts = new ArrayList<>();
        List<String> profiles = RunRows.distinct(rows, "cost.profile");
        if ((modeled || profiles.size() == 1) && !facet.contains("cost.profile=")) {
            parts.add(profiles.size() == 1 ? profiles.get(0) : profiles.size() + " cost profiles");
        }
        List<String> cpus = RunRows.distinct(rows, "cpus");
        if (cpus.size() == 1) {
            parts.add(cpus.get(0) + (cpus.get(0).equals("1") ? " CPU" : " CPUs"));
        }
        List<String> det = RunRows.distinct(rows, "sim.deterministic");
        parts.add(det.equals(List.of("true")) ? "deterministic" : det.equals(List.of("false")) ? "default mode" : "mixed modes");
        return " — " + String.join(", ", parts);
    }

    private static String clock(List<Row> rows) {
        List<String> ghz = RunRows.distinct(rows, "cost.ghz");
        return ghz.size() == 1 ? ghz.get(0) + " GHz" : "each profile's clock";
    }

    private static String hostCores(List<Row> rows) {
        List<String> cores = RunRows.distinct(rows, "host.cores");
        return cores.size() == 1 ? cores.get(0) + " host cores" : "hosts of " + String.join("/", cores) + " cores";
    }

    private static String file(String workload, String what, String facet) {
        String name = workload + "-" + what + (facet.isEmpty() ? "" : "-" + facet);
        return name.replaceAll("[^A-Za-z0-9.+-]+", "_") + ".png";
    }

    private static double parse(String s) {
        try {
            return Double.parseDouble(s);
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }

    private static double[] unbox(List<Double> values) {
        return values.stream().mapToDouble(Double::doubleValue).toArray();
    }

    /** Formats a number for a table: 3 significant digits, no exponent below a million. */
    static String number(double v) {
        if (Double.isNaN(v)) {
            return "";
        }
        double a = Math.abs(v);
        if (a == 0) {
            return "0";
        }
        if (a >= 1e6) {
            return String.format(Locale.ROOT, "%.3g", v);
        }
        if (a >= 100) {
            return String.format(Locale.ROOT, "%.0f", v);
        }
        return a >= 10 ? String.format(Locale.ROOT, "%.1f", v) : String.format(Locale.ROOT, "%.3g", v);
    }
}
