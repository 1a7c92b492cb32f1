package mmsim.cli;

import static mmsim.cli.CommandLineTest.mmsim;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import mmsim.config.MachineConfig;

/** mmsim calibrate and mmsim fidelity as a user meets them. */
class CalibrateCommandTest {
    @TempDir
    Path out;

    @Test
    void fidelityUnderTheCalibratedProfileOfThisHostKindMeetsTheGoalAndEveryDirectionHolds() throws Exception {
        CommandLineTest.Outcome o = mmsim("fidelity", "--out", out.toString());
        assertEquals(0, o.status(), o.stderr());
        String text = o.stdout();
        assertTrue(text.contains("cost profile epyc-zen5-microvm (built-in)"), text);
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+) of (\\d+) ratios within 0.5-2.0").matcher(text);
        assertTrue(m.find(), text);
        assertEquals(m.group(2), m.group(1), "every ratio within the goal under the calibrated profile:\n" + text);
        assertTrue(Integer.parseInt(m.group(2)) >= 20, "every operation compared: " + text);
        assertEquals(4, text.lines().filter(l -> l.trim().startsWith("holds")).count(), text);
        assertFalse(text.contains("DOES NOT"), text);
        for (String f : List.of("fidelity.txt", "fidelity.csv", "manifest.json")) {
            assertTrue(Files.isRegularFile(out.resolve(f)), f);
        }
        Map<String, Object> manifest = mmsim.run.RunDirectory.readJson(out.resolve("manifest.json"));
        assertEquals("epyc-zen5-microvm", manifest.get("cost.profile"));
        assertTrue(String.valueOf(manifest.get("command")).contains("fidelity"));
    }

    @Test
    void directionsUnderTheBareMetalProfileIncludeTheResearchStrategiesAndAllHold() throws Exception {
        CommandLineTest.Outcome o = mmsim("directions", "--out", out.toString());
        assertEquals(0, o.status(), o.stderr());
        String text = o.stdout();
        assertTrue(text.contains("under cost profile skylake-server"), text);
        assertEquals(9, text.lines().filter(l -> l.trim().startsWith("holds")).count(), text);
        assertFalse(text.contains("DOES NOT"), text);
        assertTrue(text.contains("multicast") && text.contains("abis") && text.contains("early-ack") && text.contains("didi"), text);
        assertEquals(text, Files.readString(out.resolve("directions.txt")) + "Results: " + out + System.lineSeparator());
        Map<String, Object> manifest = mmsim.run.RunDirectory.readJson(out.resolve("manifest.json"));
        assertEquals("skylake-server", manifest.get("cost.profile"));

        CommandLineTest.Outcome vm = mmsim("directions", "--set", "cost.profile=epyc-zen5-microvm", "--out", out.resolve("vm").toString());
        assertEquals(0, vm.status(), vm.stderr());
        assertEquals(4, vm.stdout().lines().filter(l -> l.trim().startsWith("holds")).count(), vm.stdout());
        assertTrue(vm.stdout().contains("are left out: this profile's host is virtualised"), vm.stdout());

        CommandLineTest.Outcome bad = mmsim("directions", "--set", "topology.sockets=3");
        assertEquals(2, bad.status());
        assertTrue(bad.stderr().contains("topology.sockets=3 does not divide cpus=2"), bad.stderr());
    }

    @Test
    void aProfileWithoutMeasurementsIsComparedWithAnotherProfilesMeasurements() throws Exception {
        Path summary = out.resolve("host.summary.csv");
        try (InputStream in = MachineConfig.class.getResourceAsStream("/mmsim/cost/epyc-zen5-microvm.summary.csv")) {
            Files.write(summary, in.readAllBytes());
        }
        CommandLineTest.Outcome o = mmsim("fidelity", "--set", "cost.profile=skylake-server", "--measurements", summary.toString(),
                "--no-directions", "--out", out.resolve("f").toString());
        assertEquals(0, o.status(), o.stderr());
        assertTrue(o.stdout().contains("cost profile skylake-server"), o.stdout());
        assertFalse(o.stdout().contains("Published directions"), o.stdout());
    }

    @Test
    void badFidelityInputExitsTwoWithOneLine() {
        for (String[] args : List.of(
                new String[] {"fidelity", "--set", "cost.profile=nope"},
                new String[] {"fidelity", "--set", "cost.profile=skylake-server"},
                new String[] {"fidelity", "--measurements", "/no/such/summary.csv"},
                new String[] {"fidelity", "--set", "cost.page_zero=-1"})) {
            CommandLineTest.Outcome o = mmsim(args);
            assertEquals(2, o.status(), String.join(" ", args) + ": " + o.stderr() + o.stdout());
            String err = o.stderr().strip();
            assertFalse(err.contains("\n") || err.contains("\tat "), err);
        }
        assertTrue(mmsim("fidelity", "--set", "cost.profile=skylake-server").stderr().contains("--measurements"));
        assertTrue(mmsim("fidelity", "--set", "cost.profile=nope").stderr().contains("cost.profile=nope"));
    }

    @Test
    void calibrateWithoutACompilerSaysSoAndLeavesNothing() throws Exception {
        Path dir = out.resolve("cal");
        CommandLineTest.Outcome o = mmsim("calibrate", "--compiler", "/no/such/gcc", "--out", dir.toString());
        assertEquals(2, o.status(), o.stderr() + o.stdout());
        String err = o.stderr().strip();
        assertFalse(err.contains("\n"), err);
        assertTrue(err.contains("gcc") && err.contains("install"), err);
        assertFalse(Files.exists(dir), "nothing left behind");
    }

    @Test
    void calibrateWritesAProfileThatRunsAndFidelityReadsWithItsMeasurements() throws Exception {
        assumeTrue(onPath("gcc"), "gcc not on PATH: mmsim calibrate needs it to compile its kernel probe");
        Path dir = out.resolve("cal");
        CommandLineTest.Outcome o = mmsim("calibrate", "--quick", "--name", "here", "--out", dir.toString());
        assertEquals(0, o.status(), o.stderr() + o.stdout());
        for (String f : List.of("here.properties", "here.summary.csv", "here.raw.csv", "here.fit.csv", "here.manifest.json", "here.fidelity.txt")) {
            assertTrue(Files.isRegularFile(dir.resolve(f)), f + " in " + o.stdout());
        }
        MachineConfig c = MachineConfig.parse(Map.of("cost.profile", dir.resolve("here.properties").toString()));
        assertEquals("here", c.costProfile().name());
        assertTrue(c.costProfile().host().containsKey("cpu_model"), c.costProfile().host().toString());
        assertTrue(c.costs().ghz > 0.3 && c.costs().ghz < 10, "clock " + c.costs().ghz);
        CommandLineTest.Outcome f = mmsim("fidelity", "--set", "cost.profile=" + dir.resolve("here.properties"), "--no-directions",
                "--out", out.resolve("f").toString());
        assertEquals(0, f.status(), f.stderr());
        assertTrue(f.stdout().contains(dir.resolve("here.summary.csv").toString()), f.stdout());
        try (Stream<Path> runs = Files.list(dir)) {
            assertTrue(runs.anyMatch(p -> p.getFileName().toString().equals("here.work")), "the probe's work directory is kept for inspection");
        }
        String profile = Files.readString(dir.resolve("here.properties"), StandardCharsets.UTF_8);
        assertTrue(profile.contains("cost.fault_entry_exit.source=fitted so that"), profile);
    }

    @Test
    void listShowsTheChosenProfilesValuesAndSources() {
        CommandLineTest.Outcome o = mmsim("list", "--set", "cost.profile=epyc-zen5-microvm", "--set", "cost.invlpg=999");
        assertEquals(0, o.status(), o.stderr());
        assertTrue(o.stdout().contains("Cost model: profile epyc-zen5-microvm"), o.stdout());
        assertTrue(o.stdout().contains("measured on:"), o.stdout());
        assertTrue(o.stdout().contains("set on the command line (the profile says 260.0)"), o.stdout());
        assertTrue(o.stdout().contains("fitted so that mmsim's modeled"), o.stdout());
    }

    private static boolean onPath(String tool) {
        String path = System.getenv("PATH");
        return path != null && Stream.of(path.split(java.io.File.pathSeparator)).anyMatch(d -> Files.isExecutable(Path.of(d, tool)));
    }
}
