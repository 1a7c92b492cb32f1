package mmsim.plot;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import javax.imageio.ImageIO;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import mmsim.cli.CommandLineTestAccess;
import mmsim.cli.CommandLineTestAccess.Outcome;
import mmsim.plot.Figures.Figure;
import mmsim.plot.Figures.Kind;
import mmsim.plot.Figures.Series;
import mmsim.run.Summary;
import mmsim.sweep.SweepTestAccess;

/** {@code mmsim plot}: which figures a set of runs gets, with which data, axes and titles; the PNGs and the report. */
class PlotTest {
    @TempDir
    Path tmp;

    private static Figure named(List<Figure> figures, String file) {
        return figures.stream().filter(f -> f.file().equals(file)).findFirst()
                .orElseThrow(() -> new AssertionError(file + " is not among " + figures.stream().map(Figure::file).toList()));
    }

    @Test
    void aSweepOverCpusGetsShootdownLatencyAndPerOperationCountsAgainstCpusPerStrategy() throws Exception {
        Path whole = SweepTestAccess.smallSweep().resolve("whole");
        RunRows runs = RunRows.load(whole);
        assertEquals(RunRows.Kind.SWEEP, runs.kind());
        assertEquals(List.of("shootdown.strategy", "cpus"), runs.varying(runs.rows()));
        List<Figure> figures = Figures.of(runs);

        Figure cost = named(figures, "munmap-shootdown-vs-cpus.png");
        assertEquals(Kind.LINE, cost.kind());
        assertEquals(List.of("linux", "latr"), cost.series().stream().map(Series::name).toList());
        assertTrue(cost.title().startsWith("munmap: ") && cost.title().contains("skylake-server") && cost.title().contains("deterministic"),
                cost.title());
        assertEquals("simulated CPUs", cost.xTitle());
        assertEquals("latency (µs, modeled at 3.0 GHz)", cost.yTitle());
        List<Map<String, String>> rows = Summary.readCsv(whole.resolve("merged.csv"));
        for (Series s : cost.series()) {
            assertArrayEquals(new double[] {1, 2}, s.x());
            for (int i = 0; i < 2; i++) {
                String cpus = i == 0 ? "1" : "2";
                Map<String, String> row = rows.stream().filter(r -> r.get("shootdown.strategy").equals(s.name()) && r.get("cpus").equals(cpus))
                        .findFirst().orElseThrow();
                assertEquals(Double.parseDouble(row.get("modeled:shootdown.initiator_cycles:p50")) / 3000, s.y()[i], 1e-9,
                        "p50 cycles as µs at 3 GHz");
            }
            assertNull(s.error(), "one seed: no error bars");
        }
        Figure ipis = named(figures, "munmap-ipis-per-op.png");
        Map<String, String> linux2 = rows.stream().filter(r -> r.get("run").equals("munmap__shootdown.strategy-linux__cpus-2__seed-1")).findFirst()
                .orElseThrow();
        assertEquals(Double.parseDouble(linux2.get("modeled:shootdown.ipis_sent")) / Double.parseDouble(linux2.get("host:munmap.munmap_ns:count")),
                ipis.series().get(0).y()[1], 1e-9, "IPIs per munmap");
        assertEquals("IPIs per munmap (modeled events)", ipis.yTitle());
        named(figures, "munmap-faults-per-op.png");

        Figure percentiles = named(figures, "munmap-percentiles-modeled-shootdown.initiator_cycles.png");
        assertEquals(Kind.PERCENTILE, percentiles.kind());
        assertTrue(percentiles.title().contains("2 CPUs"), "the slice with the most CPUs: " + percentiles.title());
        assertTrue(percentiles.note().contains("cpus=2"), percentiles.note());
        assertEquals(List.of("linux", "latr"), percentiles.series().stream().map(Series::name).toList());
        Figure host = named(figures, "munmap-percentiles-host-munmap.munmap_ns.png");
        assertTrue(host.yTitle().contains("host time"), host.yTitle());
        assertTrue(host.title().contains("host"), host.title());
        assertFalse(figures.stream().anyMatch(f -> f.file().contains("fork-vs-resident")), "no resident size varies");
    }

    @Test
    void aPercentileCurveFromTheRunsIntervalLogEndsAtItsMaximum() throws Exception {
        Path whole = SweepTestAccess.smallSweep().resolve("whole");
        Path run = whole.resolve("munmap__shootdown.strategy-linux__cpus-2__seed-1");
        Map<String, String> row = Summary.readCsv(run.resolve("summary.csv")).get(0);
        Figure f = named(Figures.of(RunRows.load(run)), "munmap-percentiles-modeled-latency.munmap.png");
        Series s = f.series().get(0);
        assertEquals(0, s.x()[0]);
        assertEquals(Double.parseDouble(row.get("modeled:latency.munmap:max")) / 3000, s.y()[s.y().length - 1], 1e-3, "ends at the max");
        assertTrue(s.x().length > 10, "a curve, not five points: " + s.x().length);
        for (int i = 1; i < s.y().length; i++) {
            assertTrue(s.y()[i] >= s.y()[i - 1], "percentiles never fall");
        }
    }

    @Test
    void forkLatencyAgainstResidentSizeIsAveragedOverSeedsPerForkStrategy() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("synthetic"));
        StringBuilder csv = new StringBuilder("run,workload,outcome,host.cores,cpus,fork.strategy,seed,forkserver.heap,cost.profile,cost.ghz,"
                + "sim.deterministic,modeled:latency.fork.cow:p50,modeled:latency.fork.eager:p50,host:forkserver.fork_ns:count,"
                + "host:forkserver.fork_ns:p50,sweep:point\n");
        String[][] runs = {
                {"cow", "1", "1MiB", "3000", ""}, {"cow", "2", "1MiB", "9000", ""}, {"cow", "1", "16MiB", "6000", ""},
                {"eager", "1", "1MiB", "", "30000"}, {"eager", "1", "16MiB", "", "300000"}};
        int n = 0;
        for (String[] r : runs) {
            csv.append("r").append(n++).append(",forkserver,passed,2,2,").append(r[0]).append(',').append(r[1]).append(',').append(r[2])
                    .append(",skylake-server,3.0,true,").append(r[3]).append(',').append(r[4]).append(",8,1000,p\n");
        }
        Files.writeString(dir.resolve("merged.csv"), csv, StandardCharsets.UTF_8);
        List<Figure> figures = Figures.of(RunRows.load(dir));
        Figure modeled = named(figures, "forkserver-fork-vs-resident-modeled.png");
        assertEquals("resident size (MiB, forkserver.heap)", modeled.xTitle());
        Series cow = modeled.series().get(0);
        assertEquals("cow", cow.name());
        assertArrayEquals(new double[] {1, 16}, cow.x());
        assertArrayEquals(new double[] {2, 2}, cow.y(), 1e-9, "(3000 + 9000) / 2 cycles = 2 µs at 3 GHz; 6000 cycles = 2 µs");
        assertArrayEquals(new double[] {Math.sqrt(2), 0}, cow.error(), 1e-9, "the standard deviation over seeds: 1 and 3 µs at 1 MiB");
        Series eager = modeled.series().get(1);
        assertArrayEquals(new double[] {10, 100}, eager.y(), 1e-9);
        assertTrue(modeled.log2X(), "1 to 16 MiB: a base-2 axis");
        assertTrue(figures.stream().anyMatch(f -> f.file().equals("forkserver-fork-vs-resident-host.png")), "and the host's fork latency");
    }

    @Test
    void aComparisonGetsBarsPerStrategyAndTheCommandWritesPngsAndAReportBesideThem() throws Exception {
        Outcome c = CommandLineTestAccess.mmsim("compare", "munmap", "--shootdown", "linux,latr", "--deterministic", "--cpus", "2",
                "--set", "munmap.rounds=4", "--memory", "64MiB", "--out", tmp.toString(), "--quiet");
        assertEquals(0, c.status(), c.stdout() + c.stderr());
        Path compare;
        try (Stream<Path> s = Files.list(tmp)) {
            compare = s.filter(p -> p.getFileName().toString().startsWith("compare-")).findFirst().orElseThrow();
        }
        List<Figure> figures = Figures.of(RunRows.load(compare));
        Figure bars = named(figures, "munmap-ipis-per-op.png");
        assertEquals(Kind.BAR, bars.kind());
        assertEquals(List.of("linux", "latr"), bars.categories());

        Path out = tmp.resolve("plots-here");
        Outcome p = CommandLineTestAccess.mmsim("plot", compare.toString(), "--out", out.toString());
        assertEquals(0, p.status(), p.stdout() + p.stderr());
        String report = Files.readString(out.resolve("report.html"));
        for (Figure f : figures) {
            BufferedImage image = ImageIO.read(out.resolve("plots").resolve(f.file()).toFile());
            assertEquals(Charts.WIDTH, image.getWidth(), f.file());
            assertEquals(Charts.HEIGHT, image.getHeight(), f.file());
            assertTrue(report.contains("src=\"plots/" + f.file() + "\""), "the report shows " + f.file());
        }
        assertTrue(report.contains("href=\"../" + compare.getFileName() + "/summary.csv\""), "links the table");
        assertTrue(report.contains("<td class=\"k\">linux</td>") && report.contains("<td class=\"k\">latr</td>"), "one table row per strategy");
        assertTrue(p.stdout().contains("Report: " + out.resolve("report.html")), p.stdout());
    }

    static Stream<Arguments> badInputs() {
        return Stream.of(
                Arguments.of(List.of("plot", "{tmp}/nosuch"), "nosuch: no such directory"),
                Arguments.of(List.of("plot", "{tmp}"), "holds no runs to plot"),
                Arguments.of(List.of("plot", "{unmerged}"), "run 'mmsim merge"),
                Arguments.of(List.of("plot", "{small}", "--where", "cpu=2"), "--where cpu: no such column"),
                Arguments.of(List.of("plot", "{small}", "--where", "cpus=3"), "no run has it; its values here: 1, 2"));
    }

    @ParameterizedTest
    @MethodSource("badInputs")
    void badInputExitsTwoWithOneLine(List<String> template, String culprit) throws Exception {
        Path unmerged = Files.createDirectories(tmp.resolve("unmerged"));
        Files.writeString(unmerged.resolve("sweep.yaml"), "workloads: [munmap]\n");
        Path small = SweepTestAccess.smallSweep().resolve("whole");
        String[] args = template.stream().map(a -> a.replace("{tmp}", tmp.toString()).replace("{unmerged}", unmerged.toString())
                .replace("{small}", small.toString())).toArray(String[]::new);
        Outcome o = CommandLineTestAccess.mmsim(args);
        assertEquals(2, o.status(), o.stdout() + o.stderr());
        assertFalse(o.stderr().strip().contains("\n"), o.stderr());
        assertTrue(o.stderr().contains(culprit), o.stderr());
    }

    @Test
    void aTitleTooLongForTheChartIsDrawnSmallerButAShortOneIsNot() {
        java.awt.font.FontRenderContext frc = new java.awt.font.FontRenderContext(null, true, true);
        assertEquals(14, Charts.titleFont("munmap: shootdown latency").getSize());
        String longTitle = "munmap: shootdown latency at the initiator (p50, modeled) vs CPUs, cost.profile=epyc-zen5-microvm"
                + " — epyc-zen5-microvm, deterministic";
        java.awt.Font font = Charts.titleFont(longTitle);
        assertTrue(font.getSize() < 14, "14 pt is wider than the chart: " + font);
        assertTrue(font.getStringBounds(longTitle, frc).getWidth() <= Charts.WIDTH - 40, "it fits at " + font.getSize() + " pt");
    }

    @Test
    void axisLabelsReadAsPercentilesPowersOfTwoAndRoundNumbers() {
        assertEquals("0%", Charts.nines(0));
        assertEquals("90%", Charts.nines(1));
        assertEquals("99%", Charts.nines(2));
        assertEquals("99.9%", Charts.nines(3));
        assertEquals("99.99%", Charts.nines(4));
        assertEquals("", Charts.nines(0.5));
        assertEquals("64", Charts.powerOfTwo(6));
        assertEquals("0.5", Charts.powerOfTwo(-1));
        assertEquals("", Charts.powerOfTwo(1.58));
        assertEquals(3, Charts.niceCeiling(2.73), 1e-12);
        assertEquals(4, Charts.niceCeiling(3.003), 1e-12);
        assertEquals(0.4, Charts.niceCeiling(0.375 * 1.05), 1e-12);
        assertEquals(1, Charts.niceCeiling(0));
    }
}
