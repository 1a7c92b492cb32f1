package mmsim.cli;

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

import mmsim.calibrate.Directions;
import mmsim.config.ConfigException;
import mmsim.config.MachineConfig;
import mmsim.run.RunDirectory;

/**
 * {@code mmsim directions}: whether the shootdown strategies reproduce the published results, in modeled time,
 * under a cost profile (no kernel measurements needed, unlike {@code mmsim fidelity}).
 */
@Command(name = "directions", mixinStandardHelpOptions = true,
        description = "Check, in modeled time (deterministic mode), whether the shootdown strategies reproduce the published results under "
                + "a cost profile (default skylake-server): LATR, batching, hw-broadcast, linux's growth with CPUs, and on a bare-metal "
                + "profile the research strategies (linux's growth on 8 sockets, multicast, abis, early-ack, didi). Prints each with its "
                + "evidence and writes directions.txt and manifest.json. Exit status 0 whatever holds (it is a report), 2 for bad input.")
final class DirectionsCommand implements Callable<Integer> {
    @Option(names = "--set", paramLabel = "key=value",
            description = "Machine settings (repeatable); above all cost.profile=NAME|FILE (default skylake-server).")
    List<String> sets = new java.util.ArrayList<>();

    @Option(names = "--out", paramLabel = "DIR", description = "Where to write directions.txt and manifest.json (default: runs/directions-<UTC time>).")
    Path out;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Instant started = Instant.now();
        Map<String, String> settings = RunOptions.keyValues(sets);
        MachineConfig config;
        try {
            config = MachineConfig.parse(settings);
        } catch (ConfigException e) {
            throw new Main.BadInput(e.getMessage());
        }
        String text = "mmsim directions under cost profile " + config.costProfile().name() + "\n"
                + Directions.format(Directions.check(settings));
        System.out.print(text);
        Path dir = RunOptions.reportDirectory(out, "directions");
        Files.writeString(dir.resolve("directions.txt"), text, StandardCharsets.UTF_8);
        Map<String, Object> manifest = RunDirectory.hostManifest(RunCommand.commandLine(spec), started, Instant.now());
        manifest.put("cost.profile", config.costProfile().name());
        manifest.put("cost.profile.origin", config.costProfile().origin());
        manifest.put("machine", config.asStrings());
        RunDirectory.writeJson(dir.resolve("manifest.json"), manifest);
        System.out.println("Results: " + dir);
        return 0;
    }
}
