package mmsim.cli;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import mmsim.calibrate.CalibrationException;
import mmsim.calibrate.Fidelity;
import mmsim.calibrate.MeasuredSummary;
import mmsim.config.ConfigException;
import mmsim.config.CostProfile;
import mmsim.config.MachineConfig;
import mmsim.run.RunDirectory;

/**
 * {@code mmsim fidelity}: the kernel probe's microbenchmarks run in mmsim under a profile, beside what the kernel
 * measured (the profile's own measurements, or another file's), with the ratio of each; then the published
 * directions the strategies must reproduce.
 */
@Command(name = "fidelity", mixinStandardHelpOptions = true,
        description = "Run the calibration's microbenchmarks in mmsim (deterministic mode) under a cost profile and print, for each, "
                + "the kernel's measured latency, mmsim's modeled one and their ratio (goal: 0.5-2.0 under the profile calibrated on "
                + "that host), then whether the published directions hold (LATR vs linux munmap, batching's IPIs, hw-broadcast's "
                + "interrupted cycles, linux's growth from 2 to 32 CPUs; on a bare-metal profile also the research strategies', as mmsim directions "
                + "prints them). Exit status 0 whatever the ratios and directions (it is a report), 2 for bad input.")
final class FidelityCommand implements Callable<Integer> {
    /** The profile compared unless --set cost.profile says otherwise: the one measured on this project's host kind. */
    static final String DEFAULT_PROFILE = "epyc-zen5-microvm";

    @Option(names = "--set", paramLabel = "key=value",
            description = "Machine settings for mmsim's side (repeatable); above all cost.profile=NAME|FILE (default " + DEFAULT_PROFILE + ").")
    List<String> sets = new java.util.ArrayList<>();

    @Option(names = "--measurements", paramLabel = "FILE",
            description = "The kernel's measurements: a summary.csv from mmsim calibrate (default: the profile's own, beside it).")
    Path measurements;

    @Option(names = "--no-directions", description = "Only the table, not the published directions.")
    boolean noDirections;

    @Option(names = "--out", paramLabel = "DIR", description = "Where to write fidelity.txt, fidelity.csv and manifest.json (default: runs/fidelity-<UTC time>).")
    Path out;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Instant started = Instant.now();
        Map<String, String> settings = RunOptions.keyValues(sets);
        settings.putIfAbsent("cost.profile", DEFAULT_PROFILE);
        MachineConfig config;
        try {
            config = MachineConfig.parse(settings);
        } catch (ConfigException e) {
            throw new Main.BadInput(e.getMessage());
        }
        CostProfile profile = config.costProfile();
        MeasuredSummary measured;
        String from;
        try {
            if (measurements != null) {
                if (!Files.isRegularFile(measurements)) {
                    throw new Main.BadInput("--measurements " + measurements + ": no such file (a summary.csv from mmsim calibrate)");
                }
                from = measurements.toString();
                measured = MeasuredSummary.read(Files.readString(measurements, StandardCharsets.UTF_8), from);
            } else if (profile.origin().equals("built-in")) {
                String resource = "/mmsim/cost/" + profile.name() + ".summary.csv";
                try (InputStream in = MachineConfig.class.getResourceAsStream(resource)) {
                    if (in == null) {
                        throw new Main.BadInput("profile " + profile.name() + " was not measured (it has no " + profile.name() + ".summary.csv): give "
                                + "--measurements FILE, or a measured profile (" + DEFAULT_PROFILE + ", or one mmsim calibrate wrote)");
                    }
                    from = "built-in " + profile.name() + ".summary.csv";
                    measured = MeasuredSummary.read(new String(in.readAllBytes(), StandardCharsets.UTF_8), from);
                }
            } else {
                String file = profile.origin();
                Path summary = Path.of(file.endsWith(".properties") ? file.substring(0, file.length() - ".properties".length()) + ".summary.csv"
                        : file + ".summary.csv");
                if (!Files.isRegularFile(summary)) {
                    throw new Main.BadInput("profile " + file + " has no measurements beside it (" + summary + "): give --measurements FILE");
                }
                from = summary.toString();
                measured = MeasuredSummary.read(Files.readString(summary, StandardCharsets.UTF_8), from);
            }
        } catch (CalibrationException e) {
            throw new Main.BadInput(e.getMessage());
        }
        Fidelity.Report report = Fidelity.compare(measured, settings, !noDirections);
        String text = Fidelity.format(report, from);
        System.out.print(text);
        Path dir = RunOptions.reportDirectory(out, "fidelity");
        Files.writeString(dir.resolve("fidelity.txt"), text, StandardCharsets.UTF_8);
        Files.writeString(dir.resolve("fidelity.csv"), Fidelity.csv(report), StandardCharsets.UTF_8);
        Map<String, Object> manifest = RunDirectory.hostManifest(RunCommand.commandLine(spec), started, Instant.now());
        manifest.put("cost.profile", profile.name());
        manifest.put("cost.profile.origin", profile.origin());
        manifest.put("measurements", from);
        manifest.put("machine", report.config().asStrings());
        RunDirectory.writeJson(dir.resolve("manifest.json"), manifest);
        System.out.println("Results: " + dir);
        return 0;
    }
}
