package mmsim.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import mmsim.run.Harness;
import mmsim.run.RunDirectory;
import mmsim.run.RunResult;
import mmsim.run.RunSpec;
import mmsim.run.SetupException;
import mmsim.workload.Workload;

/** {@code mmsim run WORKLOAD}: one run, a readable summary, a run directory. */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = "Run one workload once; print a summary and write a run directory (config.json, manifest.json, "
                + "summary.json, summary.csv, *.hlog).")
final class RunCommand implements Callable<Integer> {
    @Parameters(paramLabel = "WORKLOAD", arity = "0..1", description = "A workload name (see 'mmsim list'); omit with --workload-class.")
    String workload;

    @Option(names = "--shootdown", paramLabel = "NAME", description = "Shootdown strategy (machine setting shootdown.strategy).")
    String shootdown;

    @Option(names = "--fork", paramLabel = "NAME", description = "Fork strategy (machine setting fork.strategy).")
    String fork;

    @Mixin
    RunOptions options;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if ((workload == null) == (options.workloadClass == null)) {
            throw new Main.BadInput(workload == null
                    ? "run needs a WORKLOAD (one of " + String.join(", ", mmsim.workload.Workloads.names()) + ") or --workload-class CLASS"
                    : "run takes a WORKLOAD or --workload-class, not both");
        }
        List<Workload> ws = options.workloads(workload == null ? List.of() : List.of(workload));
        Workload w = ws.get(0);
        var machine = options.machineSettings(ws);
        if (shootdown != null) {
            machine.put("shootdown.strategy", shootdown);
        }
        if (fork != null) {
            machine.put("fork.strategy", fork);
        }
        RunSpec runSpec = RunOptions.resolve(w, machine, options.workloadSettings(w), options.check, options.timeout(), commandLine(spec));
        Path dir = options.runDirectory(w.name());
        RunResult r;
        try (Progress progress = Progress.over(1, options.quiet)) {
            r = Harness.run(runSpec, dir, progress.start(0, runSpec.label()));
            progress.finish();
        } catch (SetupException e) {
            deleteIfEmpty(dir);
            throw new Main.BadInput(e.getMessage());
        }
        RunDirectory.write(dir, r);
        if (options.quiet) {
            System.out.println((r.passed() ? "passed " : "FAILED ") + dir);
            r.problems().forEach(p -> System.out.println("  problem: " + p));
        } else {
            Report.printRun(System.out, r);
            System.out.println("Results: " + dir);
        }
        return r.passed() ? 0 : Main.FAILED;
    }

    static List<String> commandLine(CommandSpec spec) {
        List<String> line = new ArrayList<>(List.of("mmsim"));
        var parse = spec.root().commandLine().getParseResult();
        if (parse != null) {
            line.addAll(parse.originalArgs());
        } else {
            line.add(spec.name());
        }
        return line;
    }

    static void deleteIfEmpty(Path dir) {
        try (var files = java.nio.file.Files.list(dir)) {
            if (files.findAny().isEmpty()) {
                java.nio.file.Files.delete(dir);
            }
        } catch (java.io.IOException e) {
            // leave it: an empty directory is harmless
        }
    }
}
