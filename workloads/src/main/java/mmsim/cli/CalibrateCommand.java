package mmsim.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import mmsim.calibrate.Calibration;
import mmsim.calibrate.CalibrationException;
import mmsim.calibrate.Fidelity;
import mmsim.calibrate.KernelMeasurements;
import mmsim.calibrate.KernelProbe;
import mmsim.calibrate.MeasuredSummary;
import mmsim.config.ConfigException;
import mmsim.config.CostProfile;
import mmsim.run.RunDirectory;

/**
 * {@code mmsim calibrate}: measures this host's Linux kernel with the kernel probe (a C program compiled with gcc
 * here), fits a cost profile to it, and writes the profile, the raw measurements, their summary, how each cost
 * was fitted and a manifest; then prints how well mmsim under the new profile predicts what it was not fitted to.
 */
@Command(name = "calibrate", mixinStandardHelpOptions = true,
        description = "Measure this host's Linux kernel (faults, fork, exec, munmap/mprotect/madvise with and without an IPI, "
                + "an IPI round trip, a context switch) with a small C program compiled by gcc, and write a cost profile fitted "
                + "to it: NAME.properties (use it with --set cost.profile=DIR/NAME.properties), NAME.summary.csv, NAME.raw.csv, "
                + "NAME.fit.csv, NAME.manifest.json.")
final class CalibrateCommand implements Callable<Integer> {
    @Option(names = "--name", paramLabel = "NAME", description = "The profile's name and its files' stem (default: host).")
    String name = "host";

    @Option(names = "--out", paramLabel = "DIR", description = "Where to write the profile and measurements (default: runs/calibrate-<UTC time>).")
    Path out;

    @Option(names = "--quick", description = "Fewer repetitions and fork sizes up to 16 MiB (seconds, for a try; not for a profile you publish).")
    boolean quick;

    @Option(names = "--reps", paramLabel = "N", description = "Repetitions per measurement (default: the probe's, 1000; 100 with --quick).")
    int reps;

    @Option(names = "--compiler", paramLabel = "CC", description = "The C compiler (default: gcc on the PATH).")
    String compiler = KernelProbe.DEFAULT_COMPILER;

    @Option(names = "--base", paramLabel = "PROFILE", description = "The built-in profile for what the probe cannot measure (default: "
            + CostProfile.DEFAULT + ").")
    String base = CostProfile.DEFAULT;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (!name.matches("[A-Za-z0-9][A-Za-z0-9._-]*")) {
            throw new Main.BadInput("--name '" + name + "': letters, digits, '.', '_' and '-' only (it names files)");
        }
        if (reps < 0) {
            throw new Main.BadInput("--reps: '" + reps + "' is not allowed; allowed: a positive number of repetitions");
        }
        if (!CostProfile.BUILT_IN.contains(base)) {
            throw new Main.BadInput("--base " + base + ": not a built-in profile; built-in: " + String.join(", ", CostProfile.BUILT_IN));
        }
        Instant started = Instant.now();
        Path dir = RunOptions.reportDirectory(out, "calibrate");
        KernelProbe.Settings settings = (quick ? KernelProbe.Settings.QUICK : KernelProbe.Settings.FULL).withReps(reps);
        System.out.printf("mmsim calibrate: measuring this host's kernel with kprobe.c (%s, %s)...%n", compiler, quick ? "quick" : "full");
        KernelMeasurements measured;
        try {
            measured = new KernelProbe(compiler).run(dir.resolve(name + ".work"), settings);
        } catch (CalibrationException e) {
            // nothing measured: leave nothing behind but what the user's --out already held
            deleteTree(dir.resolve(name + ".work"));
            RunCommand.deleteIfEmpty(dir);
            throw new Main.BadInput("calibrate: " + e.getMessage().replace('\n', ' '));
        }
        MeasuredSummary summary = MeasuredSummary.of(measured);
        Map<String, String> host = new LinkedHashMap<>(measured.host());
        host.put("calibrated_at", started.toString());
        host.put("mmsim_code_version", mmsim.run.BuildInfo.current().codeVersion());
        System.out.println("fitting the cost model to the measurements (mmsim runs the same microbenchmarks)...");
        Calibration.Result fit = Calibration.fit(name, base, summary, host);

        List<String> header = List.of("mmsim cost profile written by mmsim calibrate at " + started,
                "command: " + String.join(" ", RunCommand.commandLine(spec)),
                "measurements: " + name + ".summary.csv (medians, spreads) and " + name + ".raw.csv (every sample); fit: " + name + ".fit.csv",
                "each cost.<name>.source says what it was fitted to; cycles at cost.ghz");
        Path profileFile = dir.resolve(name + ".properties");
        Files.writeString(profileFile, fit.profile().toText(header), StandardCharsets.UTF_8);
        measured.writeSummary(dir.resolve(name + ".summary.csv"));
        measured.writeRaw(dir.resolve(name + ".raw.csv"));
        StringBuilder fitCsv = new StringBuilder("parameter,measurement,measured_ns,value,clamped\n");
        for (Calibration.Step s : fit.steps()) {
            fitCsv.append(String.format(Locale.ROOT, "%s,\"%s\",%.1f,%d,%s%n", s.parameter().key(), s.measurement(), s.measuredNs(), s.value(), s.clamped()));
        }
        Files.writeString(dir.resolve(name + ".fit.csv"), fitCsv.toString(), StandardCharsets.UTF_8);

        System.out.println();
        System.out.printf("%-24s %10s  %s%n", "cost", "value", "fitted to");
        System.out.printf("%-24s %10s  %s%n", "cost.ghz", fit.profile().values().get(mmsim.stats.CostModel.Parameter.GHZ), "clock_ghz");
        for (Calibration.Step s : fit.steps()) {
            System.out.printf("%-24s %10d  %s%s%n", s.parameter().key(), s.value(), s.measurement(), s.clamped() ? "  (clamped at 0)" : "");
        }
        System.out.println();
        Fidelity.Report report;
        try {
            report = Fidelity.compare(summary, Fidelity.profile(profileFile.toString()), false);
        } catch (ConfigException e) {
            throw new IllegalStateException("the profile just written does not read back: " + e.getMessage(), e);
        }
        String text = Fidelity.format(report, dir.resolve(name + ".summary.csv").toString());
        System.out.print(text);
        Files.writeString(dir.resolve(name + ".fidelity.txt"), text, StandardCharsets.UTF_8);
        Map<String, Object> manifest = RunDirectory.hostManifest(RunCommand.commandLine(spec), started, Instant.now());
        manifest.put("probe.quick", quick);
        manifest.put("probe.reps", reps == 0 ? "default" : reps);
        manifest.put("probe.compiler", compiler);
        manifest.put("profile.base", base);
        manifest.put("measured.host", measured.host());
        manifest.put("measured.skipped", measured.skipped());
        List<Map<String, Object>> steps = new ArrayList<>();
        for (Calibration.Step s : fit.steps()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("parameter", s.parameter().key());
            m.put("measurement", s.measurement());
            m.put("measured_ns", s.measuredNs());
            m.put("value", s.value());
            m.put("clamped", s.clamped());
            steps.add(m);
        }
        manifest.put("fit", steps);
        RunDirectory.writeJson(dir.resolve(name + ".manifest.json"), manifest);
        System.out.println();
        System.out.println("Profile: " + profileFile + "  (use it: --set cost.profile=" + profileFile + "; compare: mmsim fidelity --set cost.profile="
                + profileFile + ")");
        return 0;
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (var paths = Files.walk(root)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
