package mmsim.calibrate;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import mmsim.config.MachineConfig;

/**
 * {@code mmsim fidelity}'s comparison: each operation the kernel probe measured, run in mmsim under a profile
 * ({@link ModeledProbe}, deterministic mode, same sizes and placement), beside the kernel's median: the ratio
 * modeled / measured, and whether it is within the goal (0.5 to 2.0). Then the published directions the
 * strategies must reproduce ({@link Directions}).
 *
 * <p>Operations a calibration fits to ({@link #CALIBRATION_INPUTS}) match by construction under the profile fitted
 * to these very measurements; the others (the copy-on-write fault with a copy; a sibling's IPI added to munmap,
 * mprotect and madvise; fork at the sizes between) are predictions, and are what the table tests.
 */
public final class Fidelity {
    /** The goal every ratio must meet under the calibrated profile of the host it was measured on. */
    public static final double LOW = 0.5;
    public static final double HIGH = 2.0;

    /** The measurements a calibration fits costs to (fork at its smallest and largest size), by op name. */
    public static final Set<String> CALIBRATION_INPUTS = Set.of("null_syscall", "page_zero", "page_copy", "fault_cow_reuse",
            "fault_demand_zero", "exec", "mmap", "munmap", "mprotect", "madvise_dontneed", "ipi_roundtrip", "context_switch");

    /** One operation: the kernel's median and spread (ns), mmsim's modeled latency (cycles and ns), their ratio. */
    public record Row(String op, long param, double kernelNs, double kernelP10, double kernelP90, int kernelN,
                      double modeledCycles, double modeledNs, boolean calibrationInput) {
        /** mmsim over the kernel. */
        public double ratio() {
            return modeledNs / kernelNs;
        }

        /** Whether the ratio is within [{@link #LOW}, {@link #HIGH}]. */
        public boolean withinGoal() {
            return ratio() >= LOW && ratio() <= HIGH;
        }
    }

    /** The whole comparison. */
    public record Report(MachineConfig config, List<Row> rows, List<String> notCompared, List<Directions.Direction> directions) {
        /** Whether every row is within the goal. */
        public boolean allWithinGoal() {
            return rows.stream().allMatch(Row::withinGoal);
        }
    }

    private Fidelity() {
    }

    /**
     * Compares {@code measured} with mmsim under {@code settings} (machine settings; the profile above all), and
     * checks the directions unless {@code directions} is false.
     */
    public static Report compare(MeasuredSummary measured, Map<String, String> settings, boolean directions) {
        ModeledProbe probe = new ModeledProbe(settings);
        MachineConfig config = probe.config();
        double ghz = config.costs().ghz;
        List<Row> rows = new ArrayList<>();
        List<String> notCompared = new ArrayList<>();
        List<Long> forkSizes = measured.params("fork");
        for (MeasuredSummary.Row r : measured.rows()) {
            String op = r.op();
            if (op.equals("clock_ghz") || op.equals("membarrier_alone")) {
                continue;
            }
            if (!ModeledProbe.OPS.contains(op)) {
                notCompared.add(op + ": mmsim has no such operation");
                continue;
            }
            double kernel = r.median();
            double p10 = r.p10();
            double p90 = r.p90();
            if (op.equals("ipi_roundtrip")) {
                // the IPI alone: the membarrier call without one is the baseline
                double alone = measured.find("membarrier_alone", 0).map(MeasuredSummary.Row::median).orElse(0.0);
                kernel -= alone;
                p10 -= alone;
                p90 -= alone;
            }
            double cycles = probe.measure(op, r.param());
            boolean input = CALIBRATION_INPUTS.contains(op)
                    || op.equals("fork") && (r.param() == forkSizes.get(0) || r.param() == forkSizes.get(forkSizes.size() - 1));
            rows.add(new Row(op, r.param(), kernel, p10, p90, r.n(), cycles, cycles / ghz, input));
        }
        measured.skipped().forEach((op, why) -> notCompared.add(op + ": not measured (" + why + ")"));
        List<Directions.Direction> dirs = directions ? Directions.check(settings) : List.of();
        return new Report(config, rows, notCompared, dirs);
    }

    /** The report as the text {@code mmsim fidelity} prints. */
    public static String format(Report report, String measuredFrom) {
        StringBuilder b = new StringBuilder();
        var profile = report.config().costProfile();
        b.append(String.format(Locale.ROOT, "mmsim fidelity: kernel measurements %s vs mmsim under cost profile %s (%s), %s GHz; "
                + "deterministic mode, 2 CPUs, linux shootdowns, fork cow%n", measuredFrom, profile.name(), profile.origin(), report.config().costs().ghz));
        if (!profile.host().isEmpty()) {
            b.append("profile measured on: ").append(profile.host().getOrDefault("cpu_model", "?")).append(", ")
                    .append(profile.host().getOrDefault("virtualization", "?")).append(", Linux ")
                    .append(profile.host().getOrDefault("kernel", "?")).append('\n');
        }
        b.append('\n');
        b.append(String.format(Locale.ROOT, "%-26s %8s %12s %23s %12s %14s %7s  %s%n", "operation", "param", "kernel ns", "kernel p10-p90 ns",
                "mmsim ns", "mmsim cycles", "ratio", "role"));
        for (Row r : report.rows()) {
            b.append(String.format(Locale.ROOT, "%-26s %8s %12.0f %23s %12.0f %14.0f %7.2f  %s%s%n", r.op(), r.param() == 0 && !r.op().equals("fork") ? "" : r.param(),
                    r.kernelNs(), String.format(Locale.ROOT, "%.0f-%.0f", r.kernelP10(), r.kernelP90()), r.modeledNs(), r.modeledCycles(), r.ratio(),
                    r.calibrationInput() ? "calibration input" : "prediction", r.withinGoal() ? "" : "  OUTSIDE 0.5-2.0"));
        }
        long outside = report.rows().stream().filter(r -> !r.withinGoal()).count();
        b.append(String.format(Locale.ROOT, "%n%d of %d ratios within %.1f-%.1f%s%n", report.rows().size() - outside, report.rows().size(), LOW, HIGH,
                outside == 0 ? "" : "; outside: " + String.join(", ", report.rows().stream().filter(r -> !r.withinGoal())
                        .map(r -> r.op() + (r.op().equals("fork") ? "(" + r.param() + ")" : "")).toList())));
        b.append("ratio = mmsim / kernel. ipi_roundtrip's kernel figure is membarrier with a sibling less membarrier alone (the IPI only).\n");
        for (String n : report.notCompared()) {
            b.append("not compared: ").append(n).append('\n');
        }
        if (!report.directions().isEmpty()) {
            b.append('\n').append(Directions.format(report.directions()));
        }
        return b.toString();
    }

    /** The rows as CSV: op,param,kernel_ns,kernel_p10_ns,kernel_p90_ns,kernel_n,mmsim_cycles,mmsim_ns,ratio,role. */
    public static String csv(Report report) {
        StringBuilder b = new StringBuilder("op,param,kernel_ns,kernel_p10_ns,kernel_p90_ns,kernel_n,mmsim_cycles,mmsim_ns,ratio,role\n");
        for (Row r : report.rows()) {
            b.append(String.format(Locale.ROOT, "%s,%d,%.1f,%.1f,%.1f,%d,%.1f,%.1f,%.3f,%s%n", r.op(), r.param(), r.kernelNs(), r.kernelP10(),
                    r.kernelP90(), r.kernelN(), r.modeledCycles(), r.modeledNs(), r.ratio(), r.calibrationInput() ? "calibration_input" : "prediction"));
        }
        return b.toString();
    }

    /** Settings with {@code cost.profile} set, for callers that only name a profile. */
    public static Map<String, String> profile(String nameOrPath) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("cost.profile", nameOrPath);
        return m;
    }
}
