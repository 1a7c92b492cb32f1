package mmsim.run;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.csv.CsvGenerator;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvSchema;

import mmsim.stats.CostModel;
import mmsim.stats.StatsSnapshot.Distribution;
import mmsim.stats.StatsSnapshot.Value;

/**
 * The one summary schema every workload's runs share: one row per run, so that rows of any runs can be
 * merged into one table. Columns, in order:
 * <ol>
 *   <li>{@code run}, {@code workload}, {@code outcome} ({@code passed}/{@code failed}), {@code problems}
 *       (how many), {@code init} (how init ended), {@code code.version}, {@code host.cores};</li>
 *   <li>every machine setting ({@code cpus}, {@code memory}, ... {@code seed}), then the workload's own
 *       ({@code snapshot.data}, ...): config values as {@code config.json} writes them;</li>
 *   <li>every metric, machine's first, then the workload's: a counter or gauge as
 *       {@code <kind>:<name>}, a distribution as {@code <kind>:<name>:<stat>} for stat in count, mean,
 *       p50, p90, p99, p99.9, max; kind is {@code modeled} (the simulated machine) or {@code host}
 *       (measured on the host).</li>
 * </ol>
 * Runs of different workloads share columns 1, the machine settings and the machine's metrics, by name
 * and in the same order.
 */
public final class Summary {
    /** The statistics written for each distribution, in order. */
    public static final List<String> DISTRIBUTION_STATS = List.of("count", "mean", "p50", "p90", "p99", "p99.9", "max");

    private Summary() {
    }

    /** The run's row: column → value (numbers stay numbers). */
    public static Map<String, Object> row(String runName, RunResult r) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("run", runName);
        row.put("workload", r.spec().workload().name());
        row.put("outcome", r.passed() ? "passed" : "failed");
        row.put("problems", r.problems().size());
        row.put("init", r.init() == null ? "not finished" : r.init().toString());
        row.put("code.version", BuildInfo.current().codeVersion());
        row.put("host.cores", Runtime.getRuntime().availableProcessors());
        row.putAll(r.spec().settingsAsStrings());
        for (Value v : r.stats().values().values()) {
            row.put(v.descriptor().kind().label() + ":" + v.descriptor().name(), v.value());
        }
        for (Distribution d : r.stats().distributions().values()) {
            String prefix = d.descriptor().kind().label() + ":" + d.descriptor().name() + ":";
            row.put(prefix + "count", d.count());
            row.put(prefix + "mean", Math.round(d.mean() * 100) / 100.0);
            row.put(prefix + "p50", d.at(50));
            row.put(prefix + "p90", d.at(90));
            row.put(prefix + "p99", d.at(99));
            row.put(prefix + "p99.9", d.at(99.9));
            row.put(prefix + "max", d.max());
        }
        return row;
    }

    /**
     * The metrics of a run as nested JSON-ready maps: name → kind, unit, doc and value or percentiles; a
     * distribution in modeled cycles also as µs ({@code p50_us}, {@code p99_us}, {@code max_us}).
     */
    public static Map<String, Object> metrics(RunResult r) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (Value v : r.stats().values().values()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("kind", v.descriptor().kind().label());
            m.put("unit", v.descriptor().unit());
            m.put("value", v.value());
            m.put("doc", v.descriptor().doc());
            out.put(v.descriptor().name(), m);
        }
        CostModel costs = r.spec().machine().costs();
        for (Distribution d : r.stats().distributions().values()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("kind", d.descriptor().kind().label());
            m.put("unit", d.descriptor().unit());
            m.put("count", d.count());
            m.put("mean", Math.round(d.mean() * 100) / 100.0);
            for (double p : Distribution.PERCENTILES) {
                m.put("p" + (p == Math.rint(p) ? Long.toString((long) p) : Double.toString(p)), d.at(p));
            }
            m.put("max", d.max());
            if (d.descriptor().unit().equals("cycles")) {
                // modeled cycles as time at the cost model's clock rate
                m.put("p50_us", micros(costs, d.at(50)));
                m.put("p99_us", micros(costs, d.at(99)));
                m.put("max_us", micros(costs, d.max()));
            }
            m.put("doc", d.descriptor().doc());
            out.put(d.descriptor().name(), m);
        }
        return out;
    }

    /** {@code cycles} in µs at the run's cost profile's clock ({@code cost.ghz}), to the nanosecond. */
    private static double micros(CostModel costs, long cycles) {
        return Math.round(costs.micros(cycles) * 1000) / 1000.0;
    }

    /** Writes rows as CSV with a header that is the union of their columns, in first-seen order; missing cells are empty. */
    public static void writeCsv(Path file, List<Map<String, Object>> rows) throws IOException {
        LinkedHashSet<String> columns = new LinkedHashSet<>();
        for (Map<String, Object> row : rows) {
            columns.addAll(row.keySet());
        }
        CsvSchema.Builder schema = CsvSchema.builder().setUseHeader(true);
        for (String c : columns) {
            schema.addColumn(c);
        }
        List<Map<String, Object>> full = new ArrayList<>();
        for (Map<String, Object> row : rows) {
            Map<String, Object> f = new LinkedHashMap<>();
            for (String c : columns) {
                Object v = row.get(c);
                f.put(c, v == null ? "" : v instanceof Double d ? String.format(Locale.ROOT, "%s", d) : v);
            }
            full.add(f);
        }
        new CsvMapper().enable(CsvGenerator.Feature.STRICT_CHECK_FOR_QUOTING).writerFor(Map.class).with(schema.build()).writeValues(file.toFile()).writeAll(full).close();
    }

    /** Reads a summary CSV back: one map (column → text) per row, columns in file order. */
    public static List<Map<String, String>> readCsv(Path file) throws IOException {
        CsvMapper mapper = new CsvMapper();
        CsvSchema schema = CsvSchema.emptySchema().withHeader();
        List<Map<String, String>> rows = new ArrayList<>();
        try (MappingIterator<Map<String, String>> it = mapper.readerFor(Map.class).with(schema).readValues(Files.newBufferedReader(file))) {
            while (it.hasNext()) {
                rows.add(new LinkedHashMap<>(it.next()));
            }
        }
        return rows;
    }

    /** The header of a summary CSV, in file order. */
    public static List<String> readHeader(Path file) throws IOException {
        String first;
        try (var reader = Files.newBufferedReader(file)) {
            first = reader.readLine();
        }
        if (first == null) {
            return List.of();
        }
        CsvSchema schema = CsvSchema.emptySchema().withHeader();
        try (MappingIterator<Map<String, String>> it = new CsvMapper().readerFor(Map.class).with(schema).readValues(first + "\n")) {
            it.hasNext();
            List<String> names = new ArrayList<>();
            for (CsvSchema.Column c : (CsvSchema) it.getParserSchema()) {
                names.add(c.getName());
            }
            return names;
        }
    }
}
