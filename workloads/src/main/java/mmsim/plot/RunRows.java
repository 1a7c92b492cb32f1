package mmsim.plot;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import mmsim.run.RunDirectory;
import mmsim.run.Summary;
import mmsim.sweep.Merge;
import mmsim.sweep.Sweep;
import mmsim.sweep.SweepException;

/**
 * The runs a directory holds, as rows of the summary schema ({@link Summary}): a sweep's or any merge's
 * {@code merged.csv}, a comparison's {@code summary.csv}, or one run's. Each row keeps the run directory it came
 * from where that is still beside it (its {@code .hlog} files give whole latency distributions). Immutable.
 */
public final class RunRows {
    /** What the directory is. */
    public enum Kind {
        /** One run directory. */
        RUN,
        /** A {@code mmsim compare} directory. */
        COMPARISON,
        /** A merged sweep ({@code merged.csv} with the sweep's columns). */
        SWEEP,
        /** A merge of runs that are not one sweep's. */
        MERGED
    }

    /** Settings that follow from others, so that their differing says nothing of its own. */
    private static final Set<String> DERIVED = Set.of("topology.cores_per_socket", "sched.quantum.cycles", "sched.quantum.us",
            "sim.parallelism", "checking");
    /** The leading columns of the summary schema, which are not settings. */
    private static final Set<String> LEADING = Set.of("run", "workload", "outcome", "problems", "init", "code.version", "host.cores");

    private final Path dir;
    private final Kind kind;
    private final List<Row> rows;
    private final List<String> columns;
    private final Sweep sweep;

    /** One run: its columns (text, as the CSV holds them) and its run directory, or null. */
    public record Row(Map<String, String> values, Path runDir) {
        public String get(String column) {
            return values.getOrDefault(column, "");
        }

        /** The column as a number; NaN when it is empty or not a number. */
        public double number(String column) {
            String v = values.get(column);
            if (v == null || v.isEmpty()) {
                return Double.NaN;
            }
            try {
                return Double.parseDouble(v);
            } catch (NumberFormatException e) {
                return Double.NaN;
            }
        }

        /** The cost profile's clock, GHz: modeled cycles per ns. */
        public double ghz() {
            double g = number("cost.ghz");
            return Double.isNaN(g) || g <= 0 ? 1 : g;
        }

        public String workload() {
            return get("workload");
        }

        /** Whether the run ended with a verdict and metrics (passed or failed; not an error). */
        public boolean hasMetrics() {
            return !get("outcome").equals("error") && !get("outcome").isEmpty();
        }
    }

    private RunRows(Path dir, Kind kind, List<Row> rows, List<String> columns, Sweep sweep) {
        this.dir = dir;
        this.kind = kind;
        this.rows = List.copyOf(rows);
        this.columns = List.copyOf(columns);
        this.sweep = sweep;
    }

    /**
     * Reads the runs {@code dir} holds.
     *
     * @throws SweepException naming the directory and what it should hold (a sweep output without a merge says to merge it)
     */
    public static RunRows load(Path dir) throws SweepException {
        if (!Files.isDirectory(dir)) {
            throw new SweepException(dir + ": no such directory");
        }
        try {
            Path merged = dir.resolve(Merge.FILE);
            if (Files.isRegularFile(merged)) {
                List<String> header = Summary.readHeader(merged);
                Sweep sweep = null;
                if (header.contains("sweep:point") && Files.isRegularFile(dir.resolve(Sweep.FILE_IN_OUTPUT))) {
                    sweep = Sweep.load(dir.resolve(Sweep.FILE_IN_OUTPUT));
                }
                return new RunRows(dir, header.contains("sweep:point") ? Kind.SWEEP : Kind.MERGED, rows(dir, merged, false), header, sweep);
            }
            if (Files.isRegularFile(dir.resolve("config.json")) && Files.isRegularFile(dir.resolve("summary.csv"))
                    && RunDirectory.readJson(dir.resolve("config.json")).containsKey("workload")) {
                return new RunRows(dir, Kind.RUN, rows(dir, dir.resolve("summary.csv"), true), Summary.readHeader(dir.resolve("summary.csv")), null);
            }
            if (Files.isRegularFile(dir.resolve("summary.csv"))) {
                return new RunRows(dir, Kind.COMPARISON, rows(dir, dir.resolve("summary.csv"), false),
                        Summary.readHeader(dir.resolve("summary.csv")), null);
            }
        } catch (IOException e) {
            throw new SweepException(dir + ": cannot be read (" + e.getClass().getSimpleName() + ": " + e.getMessage() + ")");
        }
        if (Files.isRegularFile(dir.resolve(Sweep.FILE_IN_OUTPUT))) {
            throw new SweepException(dir + " is a sweep's output that has not been merged: run 'mmsim merge " + dir + "' first");
        }
        throw new SweepException(dir + " holds no runs to plot; give a run directory, a comparison directory (summary.csv) "
                + "or a merged sweep (merged.csv)");
    }

    private static List<Row> rows(Path dir, Path csv, boolean single) throws IOException {
        List<Row> out = new ArrayList<>();
        for (Map<String, String> values : Summary.readCsv(csv)) {
            Path runDir = single ? dir : dir.resolve(values.getOrDefault("run", ""));
            out.add(new Row(java.util.Collections.unmodifiableMap(new LinkedHashMap<>(values)),
                    Files.isDirectory(runDir) && !values.getOrDefault("run", "").isEmpty() ? runDir : null));
        }
        return out;
    }

    /** The runs whose columns have every one of {@code values}. */
    public RunRows where(Map<String, String> values) {
        List<Row> kept = rows.stream().filter(r -> values.entrySet().stream().allMatch(e -> r.get(e.getKey()).equals(e.getValue()))).toList();
        return new RunRows(dir, kind, kept, columns, sweep);
    }

    public Path dir() {
        return dir;
    }

    public Kind kind() {
        return kind;
    }

    public List<Row> rows() {
        return rows;
    }

    /** The table's columns, in order. */
    public List<String> columns() {
        return columns;
    }

    /** The sweep, when this is a merged sweep whose file is beside it; else null. */
    public Sweep sweep() {
        return sweep;
    }

    /** The workloads of the rows, in order of appearance. */
    public List<String> workloads() {
        Set<String> w = new LinkedHashSet<>();
        rows.forEach(r -> w.add(r.workload()));
        return new ArrayList<>(w);
    }

    /** The rows of one workload. */
    public List<Row> of(String workload) {
        return rows.stream().filter(r -> r.workload().equals(workload)).toList();
    }

    /**
     * The settings that differ between {@code subset}'s rows: a sweep's varied keys (in the sweep file's order) where
     * the sweep is known, else every setting column (in column order) with more than one value (leaving out those that follow from
     * others and the cost values a differing {@code cost.profile} explains), then {@code seed} if it differs.
     */
    public List<String> varying(List<Row> subset) {
        List<String> out = new ArrayList<>();
        boolean profileVaries = distinct(subset, "cost.profile").size() > 1;
        List<String> candidates = sweep != null ? new ArrayList<>(sweep.vary().keySet()) : columns;
        for (String c : candidates) {
            if (LEADING.contains(c) || c.contains(":") || DERIVED.contains(c) || c.equals("seed")) {
                continue;
            }
            if (sweep != null && !sweep.vary().containsKey(c)) {
                continue;
            }
            if (profileVaries && c.startsWith("cost.") && !c.equals("cost.profile")) {
                continue;
            }
            if (distinct(subset, c).size() > 1) {
                out.add(c);
            }
        }
        if (distinct(subset, "seed").size() > 1) {
            out.add("seed");
        }
        return out;
    }

    /** The distinct values of {@code column} among {@code subset}, in order of appearance. */
    public static List<String> distinct(List<Row> subset, String column) {
        Set<String> v = new LinkedHashSet<>();
        subset.forEach(r -> v.add(r.get(column)));
        return new ArrayList<>(v);
    }
}
