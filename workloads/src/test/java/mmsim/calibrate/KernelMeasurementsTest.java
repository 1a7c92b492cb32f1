package mmsim.calibrate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class KernelMeasurementsTest {
    private static final double EXACT = 1e-9;

    private static final String CANNED = String.join("\n",
        "# a comment",
        "host,cpu_model,AMD EPYC family 26 model 2",
        "host,kernel,6.1.0 #1 SMP, with a comma",
        "unit,clock_ghz,GHz",
        "sample,clock_ghz,0,3.0",
        "sample,clock_ghz,0,2.0",
        "",
        "unit,fork,ns",
        "sample,fork,0,40",
        "sample,fork,0,10",
        "sample,fork,0,30",
        "sample,fork,0,20",
        "sample,fork,65536,12345678.5",
        "sample,null_syscall,0,119.25",
        "skipped,ipi_roundtrip,only one CPU available",
        "host,probe_wall_ms,2155",
        "");

    @Test
    void parseKeepsHostFactsInOrderWithCommasInValues() {
        KernelMeasurements m = KernelMeasurements.parse(CANNED);
        assertEquals(List.of("cpu_model", "kernel", "probe_wall_ms"), new ArrayList<>(m.host().keySet()));
        assertEquals("6.1.0 #1 SMP, with a comma", m.host().get("kernel"));
        assertEquals(Map.of("ipi_roundtrip", "only one CPU available"), m.skipped());
    }

    @Test
    void summaryStatisticsInterpolateBetweenClosestRanks() {
        KernelMeasurements.Measurement fork = KernelMeasurements.parse(CANNED).find("fork", 0).orElseThrow();
        // sorted: 10 20 30 40; rank of p is 3p/100
        assertEquals(4, fork.n());
        assertEquals(25, fork.median(), EXACT);
        assertEquals(10, fork.min(), EXACT);
        assertEquals(40, fork.max(), EXACT);
        assertEquals(13, fork.p10(), EXACT, "rank 0.3: 10 + 0.3 * (20 - 10)");
        assertEquals(37, fork.p90(), EXACT, "rank 2.7: 30 + 0.7 * (40 - 30)");
        assertArrayEquals(new double[] {40, 10, 30, 20}, fork.samples(), "raw samples in the order taken");
    }

    @Test
    void clockGhzIsInGhzAndEveryOtherOpInNs() {
        KernelMeasurements m = KernelMeasurements.parse(CANNED);
        assertEquals(KernelMeasurements.UNIT_GHZ, m.find("clock_ghz", 0).orElseThrow().unit());
        assertEquals(2.5, m.median("clock_ghz", 0), EXACT);
        assertEquals(KernelMeasurements.UNIT_NS, m.find("fork", 0).orElseThrow().unit());
        assertEquals(KernelMeasurements.UNIT_NS, m.find("null_syscall", 0).orElseThrow().unit(), "no unit line means ns");
    }

    @Test
    void measurementsAreKeptPerParamInOrderTaken() {
        KernelMeasurements m = KernelMeasurements.parse(CANNED);
        List<String> keys = m.all().stream().map(x -> x.op() + "@" + x.param()).toList();
        assertEquals(List.of("clock_ghz@0", "fork@0", "fork@65536", "null_syscall@0"), keys);
        assertEquals(12345678.5, m.median("fork", 65536), EXACT);
        assertTrue(m.find("fork", 1024).isEmpty());
    }

    @Test
    void medianOfASkippedOpSaysWhyItIsMissing() {
        KernelMeasurements m = KernelMeasurements.parse(CANNED);
        NoSuchElementException e = assertThrows(NoSuchElementException.class, () -> m.median("ipi_roundtrip", 0));
        assertTrue(e.getMessage().contains("only one CPU available"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"sample,fork,many,12", "sample,fork,0", "sample,fork,0,12,13", "sample,fork,0,-5",
        "sample,fork,0,NaN", "sample,Fork,0,1", "unit,fork", "unit,fork,GHz", "bogus,line", "host,cpu_model,again",
        "no commas"})
    void aMalformedLineIsAnErrorNamingTheLine(String bad) {
        String output = "host,cpu_model,AMD EPYC\nunit,fork,ns\n" + bad + "\n";
        CalibrationException e = assertThrows(CalibrationException.class, () -> KernelMeasurements.parse(output));
        assertTrue(e.getMessage().contains("line 3 "), e.getMessage());
        assertTrue(e.getMessage().contains("'" + bad + "'"), e.getMessage());
    }

    @Test
    void rawCsvHoldsEverySampleAndReadsBackExactly(@TempDir Path dir) throws IOException {
        KernelMeasurements m = KernelMeasurements.parse(CANNED);
        Path csv = dir.resolve("raw.csv");
        m.writeRaw(csv);
        List<String> lines = Files.readAllLines(csv);
        assertEquals("op,param,sample,ns,unit", lines.get(0));
        Map<String, List<Double>> read = new LinkedHashMap<>();
        for (String line : lines.subList(1, lines.size())) {
            String[] f = line.split(",");
            assertEquals(5, f.length, line);
            List<Double> values = read.computeIfAbsent(f[0] + "@" + f[1] + " " + f[4], k -> new ArrayList<>());
            assertEquals(values.size(), Integer.parseInt(f[2]), "sample index: " + line);
            values.add(Double.parseDouble(f[3]));
        }
        Map<String, List<Double>> expected = new LinkedHashMap<>();
        for (KernelMeasurements.Measurement x : m.all()) {
            List<Double> values = new ArrayList<>();
            for (double v : x.samples()) {
                values.add(v);
            }
            expected.put(x.op() + "@" + x.param() + " " + x.unit(), values);
        }
        assertEquals(expected, read);
        assertTrue(lines.contains("fork,65536,0,12345678.5,ns"), "no exponent notation: " + lines);
    }

    @Test
    void summaryCsvHoldsOneRowPerMeasurement(@TempDir Path dir) throws IOException {
        KernelMeasurements m = KernelMeasurements.parse(CANNED);
        Path csv = dir.resolve("summary.csv");
        m.writeSummary(csv);
        List<String> lines = Files.readAllLines(csv);
        assertEquals("op,param,n,median_ns,min_ns,max_ns,p10_ns,p90_ns,unit", lines.get(0));
        assertEquals(1 + m.all().size(), lines.size());
        String[] fork = lines.get(2).split(",");
        assertEquals(List.of("fork", "0", "4"), List.of(fork[0], fork[1], fork[2]));
        double[] stats = {25, 10, 40, 13, 37};
        for (int i = 0; i < stats.length; i++) {
            assertEquals(stats[i], Double.parseDouble(fork[3 + i]), EXACT, "column " + (3 + i) + " of " + lines.get(2));
        }
        assertEquals("ns", fork[8]);
        assertTrue(lines.get(1).startsWith("clock_ghz,0,2,2.5,") && lines.get(1).endsWith(",GHz"), lines.get(1));
    }
}
