package mmsim.calibrate;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/**
 * The kernel probe's results as medians and spreads, one row per (op, param): what a calibration is fitted to
 * and what {@code mmsim fidelity} compares with. Read from a measurement ({@link #of(KernelMeasurements)}) or from
 * the {@code summary.csv} that {@link KernelMeasurements#writeSummary} wrote, so a stored profile's measurements
 * can be compared again without measuring. Values are ns, but {@code clock_ghz}'s (GHz). Immutable.
 *
 * @param rows      one per measured op and param
 * @param skipped   ops the probe could not measure, with the reason (empty when read from a summary file)
 */
public record MeasuredSummary(List<Row> rows, java.util.Map<String, String> skipped) {

    /** One op at one param: sample count and the median, extremes and 10th/90th percentiles, in {@code unit}. */
    public record Row(String op, long param, int n, double median, double min, double max, double p10, double p90, String unit) {
    }

    public MeasuredSummary {
        rows = List.copyOf(rows);
        skipped = Collections.unmodifiableMap(new java.util.LinkedHashMap<>(skipped));
    }

    /** The summary of a fresh measurement. */
    public static MeasuredSummary of(KernelMeasurements m) {
        List<Row> rows = new ArrayList<>();
        for (KernelMeasurements.Measurement x : m.all()) {
            rows.add(new Row(x.op(), x.param(), x.n(), x.median(), x.min(), x.max(), x.p10(), x.p90(), x.unit()));
        }
        return new MeasuredSummary(rows, m.skipped());
    }

    /**
     * Reads the text of a {@code summary.csv} (header {@code op,param,n,median_ns,min_ns,max_ns,p10_ns,p90_ns,unit}).
     *
     * @throws CalibrationException naming {@code origin} and the line when the text is not such a file
     */
    public static MeasuredSummary read(String csv, String origin) {
        List<Row> rows = new ArrayList<>();
        String[] lines = csv.split("\n");
        if (lines.length == 0 || !lines[0].trim().equals("op,param,n,median_ns,min_ns,max_ns,p10_ns,p90_ns,unit")) {
            throw new CalibrationException(origin + ": not a kernel probe summary (its first line must be "
                    + "op,param,n,median_ns,min_ns,max_ns,p10_ns,p90_ns,unit)");
        }
        for (int i = 1; i < lines.length; i++) {
            String line = lines[i].trim();
            if (line.isEmpty()) {
                continue;
            }
            String[] f = line.split(",");
            try {
                if (f.length != 9) {
                    throw new NumberFormatException(f.length + " fields, not 9");
                }
                rows.add(new Row(f[0], Long.parseLong(f[1]), Integer.parseInt(f[2]), Double.parseDouble(f[3]),
                        Double.parseDouble(f[4]), Double.parseDouble(f[5]), Double.parseDouble(f[6]), Double.parseDouble(f[7]), f[8]));
            } catch (NumberFormatException e) {
                throw new CalibrationException(origin + " line " + (i + 1) + ": '" + line + "': " + e.getMessage());
            }
        }
        return new MeasuredSummary(rows, java.util.Map.of());
    }

    /** The row of {@code op} at {@code param}, if measured. */
    public Optional<Row> find(String op, long param) {
        return rows.stream().filter(r -> r.op().equals(op) && r.param() == param).findFirst();
    }

    /** The params measured for {@code op}, ascending. */
    public List<Long> params(String op) {
        return rows.stream().filter(r -> r.op().equals(op)).map(Row::param).sorted().toList();
    }
}
