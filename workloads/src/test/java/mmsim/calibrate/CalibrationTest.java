package mmsim.calibrate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import mmsim.config.CostProfile;
import mmsim.config.MachineConfig;
import mmsim.stats.CostModel;
import mmsim.stats.CostModel.Parameter;

/**
 * The fit recovers a known machine: "kernel measurements" made by mmsim itself under a profile whose costs we chose
 * give back exactly those costs; and the fidelity table and the directions flag what they should.
 */
class CalibrationTest {
    /** The machine to recover: every fitted cost changed from skylake-server's. */
    private static final Map<String, String> TRUTH = Map.ofEntries(
            Map.entry("cost.ghz", "2.5"), Map.entry("cost.syscall", "400"), Map.entry("cost.page_zero", "500"),
            Map.entry("cost.page_copy", "900"), Map.entry("cost.fault_entry_exit", "3000"), Map.entry("cost.page_alloc", "700"),
            Map.entry("cost.fork_per_page", "111"), Map.entry("cost.fork_fixed", "99999"), Map.entry("cost.exec_fixed", "500000"),
            Map.entry("cost.mmap_fixed", "3333"), Map.entry("cost.munmap_fixed", "4444"), Map.entry("cost.mprotect_fixed", "2222"),
            Map.entry("cost.madvise_fixed", "1111"), Map.entry("cost.ipi_delivery", "20000"),
            // the fit derives the remote delivery from the local one and the base profile's cross-socket extra (3300 - 2400)
            Map.entry("cost.ipi_delivery_remote", "20900"), Map.entry("cost.context_switch", "5000"));

    /** What the probe would have measured on the machine {@code settings} describe: mmsim's modeled latencies, as ns. */
    static MeasuredSummary measuredOn(Map<String, String> settings) {
        ModeledProbe probe = new ModeledProbe(settings);
        double ghz = probe.config().costs().ghz;
        List<MeasuredSummary.Row> rows = new ArrayList<>();
        rows.add(row("clock_ghz", 0, ghz));
        rows.add(row("membarrier_alone", 0, 100));
        for (String op : ModeledProbe.OPS) {
            if (op.equals("fork")) {
                for (long pages : List.of(0L, 1024L, 4096L)) {
                    rows.add(row("fork", pages, probe.measure("fork", pages) / ghz));
                }
            } else {
                double ns = probe.measure(op, 0) / ghz;
                rows.add(row(op, 0, op.equals("ipi_roundtrip") ? ns + 100 : ns));
            }
        }
        return new MeasuredSummary(rows, Map.of());
    }

    private static MeasuredSummary.Row row(String op, long param, double median) {
        return new MeasuredSummary.Row(op, param, 1, median, median, median, median, median, op.equals("clock_ghz") ? "GHz" : "ns");
    }

    @Test
    void theFitRecoversTheCostsOfTheMachineThatWasMeasured() {
        MeasuredSummary measured = measuredOn(TRUTH);
        Calibration.Result fit = Calibration.fit("truth", CostProfile.DEFAULT, measured, Map.of("cores", "2"));
        CostModel expected = MachineConfig.parse(TRUTH).costs();
        for (Parameter p : Parameter.values()) {
            double want = expected.value(p);
            double got = fit.profile().values().get(p);
            assertEquals(want, got, p == Parameter.GHZ ? 1e-9 : 1.0, p.key() + " recovered");
        }
        assertTrue(fit.steps().stream().noneMatch(Calibration.Step::clamped), fit.steps().toString());
        assertEquals("2", fit.profile().host().get("cores"));
        // what was not measured keeps the base's value and says so
        assertTrue(fit.profile().sources().get(Parameter.INVLPG).startsWith("from skylake-server"), fit.profile().sources().get(Parameter.INVLPG));
        // the profile written reads back as the same profile
        CostProfile back = CostProfile.parse(fit.profile().toText(List.of("test")), "text");
        assertEquals(fit.profile().values(), back.values());
        assertEquals(fit.profile().host(), back.host());
    }

    @Test
    void aMeasurementBelowWhatTheModelAlreadyChargesIsClampedAndSaysSo() {
        Map<String, String> cheap = new LinkedHashMap<>(TRUTH);
        MeasuredSummary measured = measuredOn(cheap);
        List<MeasuredSummary.Row> rows = new ArrayList<>();
        for (MeasuredSummary.Row r : measured.rows()) {
            rows.add(r.op().equals("mmap") ? row("mmap", 0, 1) : r);   // 1 ns: less than the system call alone
        }
        Calibration.Result fit = Calibration.fit("clamped", CostProfile.DEFAULT, new MeasuredSummary(rows, Map.of()), Map.of());
        assertEquals(0, fit.profile().values().get(Parameter.MMAP_FIXED));
        assertTrue(fit.steps().stream().anyMatch(s -> s.parameter() == Parameter.MMAP_FIXED && s.clamped()));
        assertTrue(fit.profile().sources().get(Parameter.MMAP_FIXED).contains("clamped at 0"));
    }

    @Test
    void fidelityMatchesTheMachineItWasFittedToAndFlagsAMeasurementThatDisagrees() {
        MeasuredSummary measured = measuredOn(TRUTH);
        Fidelity.Report same = Fidelity.compare(measured, TRUTH, false);
        for (Fidelity.Row r : same.rows()) {
            assertEquals(1.0, r.ratio(), 1e-6, r.op() + " " + r.param());
        }
        assertTrue(same.allWithinGoal());
        // a planted disagreement: the kernel took three times as long for munmap with a sibling
        List<MeasuredSummary.Row> rows = new ArrayList<>();
        for (MeasuredSummary.Row r : measured.rows()) {
            rows.add(r.op().equals("munmap_sibling") ? row("munmap_sibling", 0, 3 * r.median()) : r);
        }
        Fidelity.Report off = Fidelity.compare(new MeasuredSummary(rows, Map.of()), TRUTH, false);
        assertFalse(off.allWithinGoal());
        Fidelity.Row flagged = off.rows().stream().filter(r -> r.op().equals("munmap_sibling")).findFirst().orElseThrow();
        assertFalse(flagged.withinGoal());
        assertEquals(1 / 3.0, flagged.ratio(), 1e-6);
        assertTrue(Fidelity.format(off, "test").contains("OUTSIDE 0.5-2.0"));
    }

    @Test
    void theDirectionCheckersFailWhenTheModelContradictsThePapers() {
        // LATR made slower than linux: posting a lazy invalidation costs more than a whole IPI round
        Directions.Direction latr = Directions.latr(Map.of("cost.lazy_post", "1000000"));
        assertFalse(latr.holds(), latr.evidence());
        // IPIs that cost nothing to send or acknowledge: linux's cost no longer grows with the CPUs it interrupts
        Directions.Direction flat = Directions.linuxGrowth(Map.of("cost.ipi_send", "0", "cost.ipi_ack", "0", "cost.ipi_handler", "0"));
        assertFalse(flat.holds(), flat.evidence());
        // a "batched" strategy that is per-range after all sends as many IPIs per page
        Directions.Direction unbatched = Directions.batching(Map.of(), "targeted");
        assertFalse(unbatched.holds(), unbatched.evidence());
        // a "hardware broadcast" that interrupts its targets, as linux does
        Directions.Direction interrupting = Directions.hardwareBroadcast(Map.of(), "linux");
        assertFalse(interrupting.holds(), interrupting.evidence());
    }
}
