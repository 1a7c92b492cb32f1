package mmsim.calibrate;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.ToDoubleFunction;

import mmsim.config.CostProfile;
import mmsim.stats.CostModel.Parameter;

/**
 * Fits a cost profile to the kernel probe's measurements: each measured cost is set so that mmsim's own run of
 * the probe's microbenchmark ({@link ModeledProbe}) takes, in modeled time, what the kernel took. The fit is
 * exact and needs no knowledge of how the kernel composes its costs: a modeled latency is linear in each cost
 * (the deterministic mode makes it a pure function of the costs), so two modeled runs, with the cost at 0 and at
 * a probe value, give the line, and the measured time (ns × the measured clock) picks the point on it.
 *
 * <p>The costs are fitted one after another, each from the measurement that depends most directly on it, with
 * the ones before it already fitted:
 * <ol>
 *   <li>{@code cost.ghz}: the measured core clock ({@code clock_ghz}); then every ns is {@code ghz} cycles.</li>
 *   <li>{@code cost.syscall}: {@code null_syscall}. {@code cost.page_zero} and {@code cost.page_copy}: {@code page_zero}
 *       and {@code page_copy} (memset and memcpy of cold pages), read off directly.</li>
 *   <li>{@code cost.fault_entry_exit}: {@code fault_cow_reuse} (a fault that allocates, zeroes and copies nothing).</li>
 *   <li>{@code cost.page_alloc}: {@code fault_demand_zero}.</li>
 *   <li>{@code cost.fork_per_page}: the slope of {@code fork} between no and the most resident pages measured;
 *       {@code cost.fork_fixed}: {@code fork} with none.</li>
 *   <li>{@code cost.exec_fixed}, {@code cost.mmap_fixed}, {@code cost.munmap_fixed}, {@code cost.mprotect_fixed},
 *       {@code cost.madvise_fixed}: {@code exec}, {@code mmap}, {@code munmap}, {@code mprotect}, {@code madvise_dontneed}.</li>
 *   <li>{@code cost.ipi_delivery}: the IPI round trip, {@code ipi_roundtrip} less {@code membarrier_alone} (the call
 *       without an IPI), with the send, handler and acknowledgement costs of the base profile.</li>
 *   <li>{@code cost.context_switch}: {@code context_switch}.</li>
 * </ol>
 * Everything else (TLB and walk latencies, INVLPG, the hardware-broadcast and LATR costs) keeps the base profile's
 * value: the probe cannot see it from user space. A fit that would need a negative cost is clamped to 0 and says so.
 * The copy-on-write fault with a copy, the shootdown ops with a sibling and the intermediate fork sizes are fitted to
 * nothing: they are the predictions {@code mmsim fidelity} checks.
 *
 * <p>Not thread-safe; each fit boots many small deterministic machines (a few seconds in all).
 */
public final class Calibration {
    /** The probe value each cost takes for the second modeled run of its fit (cycles). */
    private static final long PROBE_VALUE = 100_000;

    /** One fitted cost: what it was fitted to, the value, and whether it had to be clamped at 0. */
    public record Step(Parameter parameter, String measurement, double measuredNs, long value, boolean clamped) {
    }

    /** A fitted profile and how each of its measured values was found. */
    public record Result(CostProfile profile, List<Step> steps) {
    }

    private Calibration() {
    }

    /**
     * Fits a profile named {@code name} to {@code measured}, over the built-in profile {@code base} for what is not
     * measured; {@code host} (the probe's host facts plus whatever the caller adds) goes into the profile.
     *
     * @throws CalibrationException when the clock or a measurement a fitted cost needs is missing
     */
    public static Result fit(String name, String base, MeasuredSummary measured, Map<String, String> host) {
        CostProfile baseProfile = CostProfile.load(base);
        double ghz = require(measured, "clock_ghz", 0).median();
        Map<String, String> costs = new LinkedHashMap<>();
        costs.put("cost.profile", base);
        costs.put(Parameter.GHZ.key(), Double.toString(round3(ghz)));
        EnumMap<Parameter, String> sources = new EnumMap<>(Parameter.class);
        List<Step> steps = new ArrayList<>();
        sources.put(Parameter.GHZ, describe(require(measured, "clock_ghz", 0), "GHz") + ": the core clock from a chain of dependent adds");

        fitTo(steps, sources, costs, measured, ghz, Parameter.SYSCALL, "null_syscall", 0, p -> p.measure("null_syscall", 0));
        direct(steps, sources, costs, measured, ghz, Parameter.PAGE_ZERO, "page_zero");
        direct(steps, sources, costs, measured, ghz, Parameter.PAGE_COPY, "page_copy");
        fitTo(steps, sources, costs, measured, ghz, Parameter.FAULT_ENTRY_EXIT, "fault_cow_reuse", 0, p -> p.measure("fault_cow_reuse", 0));
        fitTo(steps, sources, costs, measured, ghz, Parameter.PAGE_ALLOC, "fault_demand_zero", 0, p -> p.measure("fault_demand_zero", 0));
        List<Long> forkSizes = measured.params("fork");
        if (forkSizes.size() >= 2 && forkSizes.get(0) == 0) {
            long big = forkSizes.get(forkSizes.size() - 1);
            double slopeNs = require(measured, "fork", big).median() - require(measured, "fork", 0).median();
            fitValue(steps, sources, costs, ghz, Parameter.FORK_PER_PAGE, "fork(" + big + " pages) - fork(0 pages)", slopeNs,
                    p -> p.measure("fork", big) - p.measure("fork", 0));
            fitTo(steps, sources, costs, measured, ghz, Parameter.FORK_FIXED, "fork", 0, p -> p.measure("fork", 0));
        }
        fitTo(steps, sources, costs, measured, ghz, Parameter.EXEC_FIXED, "exec", 0, p -> p.measure("exec", 0));
        fitTo(steps, sources, costs, measured, ghz, Parameter.MMAP_FIXED, "mmap", 0, p -> p.measure("mmap", 0));
        fitTo(steps, sources, costs, measured, ghz, Parameter.MUNMAP_FIXED, "munmap", 0, p -> p.measure("munmap", 0));
        fitTo(steps, sources, costs, measured, ghz, Parameter.MPROTECT_FIXED, "mprotect", 0, p -> p.measure("mprotect", 0));
        fitTo(steps, sources, costs, measured, ghz, Parameter.MADVISE_FIXED, "madvise_dontneed", 0, p -> p.measure("madvise_dontneed", 0));
        Optional<MeasuredSummary.Row> ipi = measured.find("ipi_roundtrip", 0);
        Optional<MeasuredSummary.Row> alone = measured.find("membarrier_alone", 0);
        if (ipi.isPresent() && alone.isPresent()) {
            fitValue(steps, sources, costs, ghz, Parameter.IPI_DELIVERY, "ipi_roundtrip - membarrier_alone",
                    ipi.get().median() - alone.get().median(), p -> p.measure("ipi_roundtrip", 0));
        }
        fitTo(steps, sources, costs, measured, ghz, Parameter.CONTEXT_SWITCH, "context_switch", 0, p -> p.measure("context_switch", 0));
        String delivery = costs.get(Parameter.IPI_DELIVERY.key());
        if (delivery != null) {
            // one socket is all a user-space probe sees: the remote delivery keeps the base profile's cross-socket extra
            long extra = Math.round(baseProfile.values().get(Parameter.IPI_DELIVERY_REMOTE) - baseProfile.values().get(Parameter.IPI_DELIVERY));
            costs.put(Parameter.IPI_DELIVERY_REMOTE.key(), Long.toString(Long.parseLong(delivery) + extra));
            sources.put(Parameter.IPI_DELIVERY_REMOTE, "not measured (the probe sees one socket): the fitted cost.ipi_delivery plus "
                    + base + "'s cross-socket extra, " + extra + " cycles");
        }

        EnumMap<Parameter, Double> values = new EnumMap<>(baseProfile.values());
        for (Parameter p : Parameter.values()) {
            String v = costs.get(p.key());
            if (v != null) {
                values.put(p, Double.parseDouble(v));
            } else {
                sources.put(p, "from " + base + " (the probe cannot see it from user space): " + baseProfile.sources().get(p));
            }
        }
        String description = "Measured by mmsim calibrate on " + host.getOrDefault("cpu_model", "an unknown CPU") + ", "
                + host.getOrDefault("virtualization", "?") + ", Linux " + host.getOrDefault("kernel", "?") + ", "
                + host.getOrDefault("cores", "?") + " CPUs";
        CostProfile profile = new CostProfile(name, "calibrated", description, values, sources, host);
        return new Result(profile, steps);
    }

    private static MeasuredSummary.Row require(MeasuredSummary measured, String op, long param) {
        return measured.find(op, param).orElseThrow(() -> new CalibrationException("the measurements have no " + op
                + (param == 0 ? "" : " at " + param) + (measured.skipped().containsKey(op) ? " (skipped: " + measured.skipped().get(op) + ")" : "")
                + "; a calibration needs it"));
    }

    /** A cost read off a measurement directly (ns × clock). */
    private static void direct(List<Step> steps, Map<Parameter, String> sources, Map<String, String> costs, MeasuredSummary measured,
                               double ghz, Parameter parameter, String op) {
        Optional<MeasuredSummary.Row> row = measured.find(op, 0);
        if (row.isEmpty()) {
            return;
        }
        long v = Math.round(row.get().median() * ghz);
        costs.put(parameter.key(), Long.toString(v));
        sources.put(parameter, describe(row.get(), "ns") + " x " + round3(ghz) + " GHz");
        steps.add(new Step(parameter, op, row.get().median(), v, false));
    }

    /** Fits {@code parameter} so that the modeled op at {@code param} takes what the kernel's did; skipped when unmeasured. */
    private static void fitTo(List<Step> steps, Map<Parameter, String> sources, Map<String, String> costs, MeasuredSummary measured,
                              double ghz, Parameter parameter, String op, long param, ToDoubleFunction<ModeledProbe> modeled) {
        Optional<MeasuredSummary.Row> row = measured.find(op, param);
        if (row.isEmpty()) {
            return;
        }
        fitValue(steps, sources, costs, ghz, parameter, describe(row.get(), "ns"), row.get().median(), modeled);
    }

    private static void fitValue(List<Step> steps, Map<Parameter, String> sources, Map<String, String> costs, double ghz,
                                 Parameter parameter, String what, double targetNs, ToDoubleFunction<ModeledProbe> modeled) {
        ModeledProbe at0 = new ModeledProbe(with(costs, parameter, 0));
        ModeledProbe atProbe = new ModeledProbe(with(costs, parameter, PROBE_VALUE));
        double m0 = modeled.applyAsDouble(at0);
        double slope = (modeled.applyAsDouble(atProbe) - m0) / PROBE_VALUE;
        if (!(slope > 0)) {
            throw new IllegalStateException(parameter.key() + " does not change the modeled " + what + " (slope " + slope
                    + "): the model no longer charges it there, so it cannot be fitted to that measurement");
        }
        double target = targetNs * ghz;
        double exact = (target - m0) / slope;
        boolean clamped = exact < 0;
        long v = clamped ? 0 : Math.round(exact);
        costs.put(parameter.key(), Long.toString(v));
        sources.put(parameter, "fitted so that mmsim's modeled " + what.replaceFirst(" median", "") + " matches the kernel's"
                + (clamped ? String.format(Locale.ROOT, " (clamped at 0: mmsim's other costs already take %.0f cycles, more than "
                + "the %.0f measured)", m0, target) : ""));
        steps.add(new Step(parameter, what, targetNs, v, clamped));
    }

    private static Map<String, String> with(Map<String, String> costs, Parameter parameter, long value) {
        Map<String, String> m = new LinkedHashMap<>(costs);
        m.put(parameter.key(), Long.toString(value));
        return m;
    }

    /** "op median X ns (p10-p90 A-B, n=N)". */
    static String describe(MeasuredSummary.Row r, String unit) {
        return String.format(Locale.ROOT, "%s%s median %s %s (p10-p90 %s-%s, n=%d)", r.op(), r.param() == 0 ? "" : "(" + r.param() + ")",
                fmt(r.median()), unit, fmt(r.p10()), fmt(r.p90()), r.n());
    }

    static String fmt(double v) {
        return v >= 100 ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.3g", v);
    }

    private static double round3(double v) {
        return Math.round(v * 1000) / 1000.0;
    }
}
