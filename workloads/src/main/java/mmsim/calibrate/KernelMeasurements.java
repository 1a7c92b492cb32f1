package mmsim.calibrate;

import java.io.BufferedWriter;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * What one run of the kernel probe measured: facts about the host, and for each measurement (an op and
 * its integer param) the raw samples with a summary.
 *
 * <p>Samples are in nanoseconds, except those of {@code clock_ghz}, which are GHz; each
 * {@link Measurement} names its unit. Percentiles interpolate linearly between the two closest ranks
 * (NumPy's default), so the median of an even number of samples is the mean of the middle two.
 *
 * <p>Immutable; safe to share between threads.
 */
public final class KernelMeasurements {
    /** The unit of every op's samples but clock_ghz's. */
    public static final String UNIT_NS = "ns";
    /** The unit of clock_ghz's samples: cycles per nanosecond. */
    public static final String UNIT_GHZ = "GHz";

    private static final Pattern OP_NAME = Pattern.compile("[a-z0-9_]+");

    private final Map<String, String> host;
    private final List<Measurement> all;
    private final Map<String, String> skipped;

    private KernelMeasurements(Map<String, String> host, List<Measurement> all, Map<String, String> skipped) {
        this.host = Collections.unmodifiableMap(new LinkedHashMap<>(host));
        this.all = List.copyOf(all);
        this.skipped = Collections.unmodifiableMap(new LinkedHashMap<>(skipped));
    }

    /**
     * Parses the probe's stdout (the format is described in {@link KernelProbe}). Blank lines and lines
     * starting with {@code #} are ignored.
     *
     * @throws CalibrationException naming the line and what was expected, if a line is malformed, a
     *         host key is given twice, an op is given two units, or a sample is negative or not a finite number
     */
    public static KernelMeasurements parse(String stdout) {
        Map<String, String> host = new LinkedHashMap<>();
        Map<String, String> units = new LinkedHashMap<>();
        Map<String, String> skipped = new LinkedHashMap<>();
        Map<String, Map<Long, List<Double>>> samples = new LinkedHashMap<>();
        String[] lines = stdout.split("\r?\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            Line at = new Line(i + 1, line);
            String kind = line.substring(0, Math.max(0, line.indexOf(',')));
            switch (kind) {
                case "host" -> {
                    String[] f = at.fields(3, true, "host,<key>,<value>");
                    at.require(!f[1].isEmpty(), "host,<key>,<value>");
                    at.require(host.put(f[1], f[2]) == null, "each host key once");
                }
                case "unit" -> {
                    String[] f = at.fields(3, false, "unit,<op>,<unit>");
                    at.require(OP_NAME.matcher(f[1]).matches() && !f[2].isEmpty(), "unit,<op>,<unit>");
                    String before = units.put(f[1], f[2]);
                    at.require(before == null || before.equals(f[2]), "one unit per op, here " + before);
                }
                case "sample" -> {
                    String[] f = at.fields(4, false, "sample,<op>,<param>,<value>");
                    at.require(OP_NAME.matcher(f[1]).matches(), "sample,<op>,<param>,<value> with op in [a-z0-9_]+");
                    long param = at.parseLong(f[2], "sample,<op>,<param>,<value> with an integer param");
                    double value = at.parseDouble(f[3], "sample,<op>,<param>,<value> with a finite value >= 0");
                    at.require(Double.isFinite(value) && value >= 0, "sample,<op>,<param>,<value> with a finite value >= 0");
                    samples.computeIfAbsent(f[1], op -> new LinkedHashMap<>()).computeIfAbsent(param, p -> new ArrayList<>()).add(value);
                }
                case "skipped" -> {
                    String[] f = at.fields(3, true, "skipped,<op>,<reason>");
                    at.require(OP_NAME.matcher(f[1]).matches(), "skipped,<op>,<reason>");
                    skipped.put(f[1], f[2]);
                }
                default -> throw at.malformed("a line starting host, unit, sample or skipped");
            }
        }
        List<Measurement> all = new ArrayList<>();
        samples.forEach((op, byParam) -> byParam.forEach((param, values) -> {
            double[] raw = values.stream().mapToDouble(Double::doubleValue).toArray();
            all.add(new Measurement(op, param, units.getOrDefault(op, UNIT_NS), raw));
        }));
        return new KernelMeasurements(host, all, skipped);
    }

    /** The same measurements with {@code key} → {@code value} added to (or replaced in) the host facts. */
    KernelMeasurements withHost(String key, String value) {
        Map<String, String> more = new LinkedHashMap<>(host);
        more.put(key, value);
        return new KernelMeasurements(more, all, skipped);
    }

    /** Facts about the host and the run's settings, in the order the probe printed them (unmodifiable). */
    public Map<String, String> host() {
        return host;
    }

    /** Op → why the probe could not measure it here (unmodifiable). */
    public Map<String, String> skipped() {
        return skipped;
    }

    /** Every measurement, in the order the probe took them (unmodifiable). */
    public List<Measurement> all() {
        return all;
    }

    /** The measurement of {@code op} at {@code param} (pages for fork, else 0), if the probe took it. */
    public Optional<Measurement> find(String op, long param) {
        for (Measurement m : all) {
            if (m.op.equals(op) && m.param == param) {
                return Optional.of(m);
            }
        }
        return Optional.empty();
    }

    /**
     * The median sample of {@code op} at {@code param}, in the op's unit (ns, GHz for clock_ghz).
     *
     * @throws NoSuchElementException if the probe did not measure it; the message says why if it skipped it
     */
    public double median(String op, long param) {
        return find(op, param).orElseThrow(() -> new NoSuchElementException("no samples of " + op + " at param " + param
            + (skipped.containsKey(op) ? ": the probe skipped it (" + skipped.get(op) + ")" : ""))).median();
    }

    /**
     * Writes every raw sample as CSV: header {@code op,param,sample,ns,unit}, one row per sample, where
     * {@code sample} is the sample's index within its measurement and the {@code ns} column holds the
     * value in the row's {@code unit} (GHz for clock_ghz).
     *
     * @throws IOException if the file cannot be written
     */
    public void writeRaw(Path csv) throws IOException {
        try (BufferedWriter out = Files.newBufferedWriter(csv, StandardCharsets.UTF_8)) {
            out.write("op,param,sample,ns,unit\n");
            for (Measurement m : all) {
                for (int i = 0; i < m.samples.length; i++) {
                    out.write(m.op + "," + m.param + "," + i + "," + number(m.samples[i]) + "," + m.unit + "\n");
                }
            }
        }
    }

    /**
     * Writes one row per measurement as CSV: header
     * {@code op,param,n,median_ns,min_ns,max_ns,p10_ns,p90_ns,unit}; the value columns are in the row's
     * {@code unit} (GHz for clock_ghz, despite the column names).
     *
     * @throws IOException if the file cannot be written
     */
    public void writeSummary(Path csv) throws IOException {
        try (BufferedWriter out = Files.newBufferedWriter(csv, StandardCharsets.UTF_8)) {
            out.write("op,param,n,median_ns,min_ns,max_ns,p10_ns,p90_ns,unit\n");
            for (Measurement m : all) {
                out.write(m.op + "," + m.param + "," + m.n() + "," + number(m.median()) + "," + number(m.min()) + ","
                    + number(m.max()) + "," + number(m.p10()) + "," + number(m.p90()) + "," + m.unit + "\n");
            }
        }
    }

    /** The shortest decimal that reads back as {@code value}, without an exponent. */
    private static String number(double value) {
        return BigDecimal.valueOf(value).toPlainString();
    }

    /**
     * The samples of one op at one param, with their summary. Immutable.
     */
    public static final class Measurement {
        private final String op;
        private final long param;
        private final String unit;
        private final double[] samples;
        private final double[] sorted;

        Measurement(String op, long param, String unit, double[] samples) {
            if (samples.length == 0) {
                throw new IllegalArgumentException("a measurement needs at least one sample: " + op + " at " + param);
            }
            this.op = op;
            this.param = param;
            this.unit = unit;
            this.samples = samples.clone();
            this.sorted = samples.clone();
            Arrays.sort(this.sorted);
        }

        /** The op's name, as listed in {@link KernelProbe#OPS}. */
        public String op() {
            return op;
        }

        /** The op's parameter: resident pages for fork, 0 for every other op. */
        public long param() {
            return param;
        }

        /** The samples' unit: {@link #UNIT_NS} or, for clock_ghz, {@link #UNIT_GHZ}. */
        public String unit() {
            return unit;
        }

        /** The raw samples, in the order taken (a copy). */
        public double[] samples() {
            return samples.clone();
        }

        /** How many samples. */
        public int n() {
            return samples.length;
        }

        /** The median sample, in {@link #unit()}. */
        public double median() {
            return percentile(50);
        }

        /** The smallest sample, in {@link #unit()}. */
        public double min() {
            return sorted[0];
        }

        /** The largest sample, in {@link #unit()}. */
        public double max() {
            return sorted[sorted.length - 1];
        }

        /** The 10th percentile, in {@link #unit()}. */
        public double p10() {
            return percentile(10);
        }

        /** The 90th percentile, in {@link #unit()}. */
        public double p90() {
            return percentile(90);
        }

        /**
         * The {@code p}th percentile in {@link #unit()}, interpolated linearly between the closest ranks.
         *
         * @param p from 0 to 100
         * @throws IllegalArgumentException if p is out of range
         */
        public double percentile(double p) {
            if (!(p >= 0 && p <= 100)) {
                throw new IllegalArgumentException("percentile must be from 0 to 100: " + p);
            }
            double rank = (sorted.length - 1) * p / 100;
            int below = (int) Math.floor(rank);
            int above = Math.min(below + 1, sorted.length - 1);
            return sorted[below] + (rank - below) * (sorted[above] - sorted[below]);
        }

        @Override
        public String toString() {
            return op + "@" + param + ": n=" + n() + " median=" + median() + " " + unit;
        }
    }

    /** One line of the probe's output, to split and to blame. */
    private record Line(int number, String text) {
        String[] fields(int count, boolean lastMayHoldCommas, String expected) {
            String[] f = text.split(",", count);
            require(f.length == count && (lastMayHoldCommas || !f[count - 1].contains(",")), expected);
            return f;
        }

        void require(boolean ok, String expected) {
            if (!ok) {
                throw malformed(expected);
            }
        }

        long parseLong(String s, String expected) {
            try {
                return Long.parseLong(s);
            } catch (NumberFormatException e) {
                throw malformed(expected);
            }
        }

        double parseDouble(String s, String expected) {
            try {
                return Double.parseDouble(s);
            } catch (NumberFormatException e) {
                throw malformed(expected);
            }
        }

        CalibrationException malformed(String expected) {
            return new CalibrationException("line " + number + " of the kernel probe's output is malformed (expected "
                + expected + "): '" + text + "'");
        }
    }
}
