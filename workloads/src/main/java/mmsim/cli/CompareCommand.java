package mmsim.cli;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import mmsim.config.MachineConfig;
import mmsim.run.Harness;
import mmsim.run.RunDirectory;
import mmsim.run.RunResult;
import mmsim.run.RunSpec;
import mmsim.run.SetupException;
import mmsim.run.Summary;
import mmsim.shootdown.Shootdowns;
import mmsim.workload.Workload;

/**
 * {@code mmsim compare}: the same workloads under several strategies, one table per workload with the
 * strategies side by side; every run gets its own run directory under one comparison directory, whose
 * summary.csv holds every run's row.
 */
@Command(name = "compare", mixinStandardHelpOptions = true,
        description = "Run workloads under several shootdown and/or fork strategies and print them side by side. "
                + "Writes <out>/compare-<time>/ with one run directory per run and a summary.csv of every run.")
final class CompareCommand implements Callable<Integer> {
    static final List<String> DEFAULT_WORKLOADS = List.of("snapshot", "munmap");

    @Parameters(paramLabel = "WORKLOAD", arity = "0..*", description = "Workloads (default: snapshot munmap).")
    List<String> names = new ArrayList<>();

    @Option(names = "--shootdown", paramLabel = "a,b,...|all", split = ",",
            description = "Shootdown strategies to compare, or all (default: all, unless --fork is given).")
    List<String> shootdowns = new ArrayList<>();

    @Option(names = "--fork", paramLabel = "a,b,...|all", split = ",",
            description = "Fork strategies to compare, or all (default: the configured one).")
    List<String> forks = new ArrayList<>();

    @Mixin
    RunOptions options;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        List<Workload> workloads = options.workloads(names.isEmpty() && options.workloadClass == null ? DEFAULT_WORKLOADS : names);
        Map<String, String> machine = options.machineSettings(workloads);
        List<String> shootdownList = expand("--shootdown", shootdowns, Shootdowns.NAMES,
                forks.isEmpty() ? Shootdowns.NAMES : List.of(configured(machine, MachineConfig.SHOOTDOWN_STRATEGY)));
        List<String> forkList = expand("--fork", forks, names(MachineConfig.ForkStrategy.values()),
                List.of(configured(machine, MachineConfig.FORK_STRATEGY)));

        List<String> commandLine = RunCommand.commandLine(spec);
        List<RunSpec> specs = new ArrayList<>();
        for (Workload w : workloads) {
            Map<String, String> settings = options.workloadSettings(w);
            for (String s : shootdownList) {
                for (String f : forkList) {
                    Map<String, String> m = new LinkedHashMap<>(machine);
                    m.put(MachineConfig.SHOOTDOWN_STRATEGY.key(), s);
                    m.put(MachineConfig.FORK_STRATEGY.key(), f);
                    specs.add(RunOptions.resolve(w, m, settings, options.check, options.timeout(), commandLine));
                }
            }
        }

        Instant started = Instant.now();
        Path dir = options.runDirectory("compare");
        if (!options.quiet) {
            System.out.printf("mmsim compare: %s under shootdown %s, fork %s; %d runs%s; %d host cores%n%n",
                    String.join(", ", workloads.stream().map(Workload::name).toList()), String.join(",", shootdownList),
                    String.join(",", forkList), specs.size(), specs.get(0).machine().deterministic() ? ", deterministic" : "",
                    Runtime.getRuntime().availableProcessors());
        }
        List<RunResult> results = new ArrayList<>();
        List<Map<String, Object>> rows = new ArrayList<>();
        try (Progress progress = Progress.over(specs.size(), options.quiet)) {
            for (int i = 0; i < specs.size(); i++) {
                RunSpec s = specs.get(i);
                Path runDir = java.nio.file.Files.createDirectory(dir.resolve(s.label()));
                RunResult r;
                try {
                    r = Harness.run(s, runDir, progress.start(i, s.label()));
                } catch (SetupException e) {
                    RunCommand.deleteIfEmpty(runDir);
                    RunCommand.deleteIfEmpty(dir);
                    throw new Main.BadInput(e.getMessage());
                }
                progress.finish();
                RunDirectory.write(runDir, r);
                results.add(r);
                rows.add(Summary.row(runDir.getFileName().toString(), r));
            }
        }
        Summary.writeCsv(dir.resolve("summary.csv"), rows);
        writeTopLevel(dir, workloads, shootdownList, forkList, machine, results, started);

        for (Workload w : workloads) {
            printTable(w, results);
        }
        printLegend(results);
        List<RunResult> failed = results.stream().filter(r -> !r.passed()).toList();
        for (RunResult r : failed) {
            System.out.println("FAILED " + r.spec().label() + ":");
            r.problems().forEach(p -> System.out.println("  " + p));
        }
        System.out.println("Results: " + dir);
        return failed.isEmpty() ? 0 : Main.FAILED;
    }

    private void writeTopLevel(Path dir, List<Workload> workloads, List<String> shootdownList, List<String> forkList,
                               Map<String, String> machine, List<RunResult> results, Instant started) throws java.io.IOException {
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("workloads", workloads.stream().map(Workload::name).toList());
        config.put("shootdown.strategies", shootdownList);
        config.put("fork.strategies", forkList);
        config.put("check", options.check);
        config.put("runs", results.stream().map(r -> r.spec().label()).toList());
        config.put("machine.overrides", machine);
        RunDirectory.writeJson(dir.resolve("config.json"), config);
        RunDirectory.writeJson(dir.resolve("manifest.json"),
                RunDirectory.manifest(results.get(0), RunCommand.commandLine(spec), started, Instant.now()));
        List<Map<String, Object>> runs = new ArrayList<>();
        for (RunResult r : results) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("run", r.spec().label());
            m.put("workload", r.spec().workload().name());
            m.put("shootdown.strategy", r.spec().machine().shootdownStrategy().toString());
            m.put("fork.strategy", r.spec().machine().forkStrategy().toString());
            m.put("outcome", r.passed() ? "passed" : "failed");
            m.put("problems", r.problems());
            m.put("metrics", Summary.metrics(r));
            runs.add(m);
        }
        RunDirectory.writeJson(dir.resolve("summary.json"), Map.of("runs", runs));
    }

    private static void printTable(Workload w, List<RunResult> results) {
        List<RunResult> mine = results.stream().filter(r -> r.spec().workload() == w).toList();
        if (mine.isEmpty()) {
            return;
        }
        var sample = mine.get(0).stats();
        boolean shootdowns = mine.stream().map(r -> r.spec().machine().shootdownStrategy()).distinct().count() > 1;
        boolean forks = mine.stream().map(r -> r.spec().machine().forkStrategy()).distinct().count() > 1;
        Table table = new Table().column(w.name(), "");
        if (shootdowns || !forks) {
            table.column("shootdown", "");
        }
        if (forks) {
            table.column("fork", "");
        }
        table.column("outcome", "");
        List<String> metrics = Report.columns(w);
        for (String name : metrics) {
            Report.addColumns(table, w.name(), name, sample);
        }
        table.column("wall", "host s");
        for (RunResult r : mine) {
            List<String> cells = new ArrayList<>(List.of(""));
            if (shootdowns || !forks) {
                cells.add(r.spec().machine().shootdownStrategy().toString());
            }
            if (forks) {
                cells.add(r.spec().machine().forkStrategy().toString());
            }
            cells.add(r.passed() ? "ok" : "FAILED");
            for (String name : metrics) {
                Report.addCells(cells, name, r.stats(), sample, r.spec().machine().costs().ghz);
            }
            cells.add(Format.number(r.wallNanos() / 1e9));
            table.row(cells);
        }
        System.out.printf("%s: %s%n", w.name(), w.description());
        System.out.println("settings: " + mine.get(0).spec().settings().asStrings());
        table.print(System.out);
        System.out.println();
    }

    private static void printLegend(List<RunResult> results) {
        String profiles = results.stream().map(r -> r.spec().machine().costProfile().name() + " at " + r.spec().machine().costs().ghz + " GHz")
                .distinct().collect(java.util.stream.Collectors.joining(", "));
        System.out.printf("model: the simulated machine (counts; cycles shown as us at the cost profile's clock: %s) - independent of the host.%n",
                profiles);
        System.out.printf("host: measured on this host (%d cores) - depends on it; report the core count with it.%n",
                Runtime.getRuntime().availableProcessors());
    }

    private static String configured(Map<String, String> machine, mmsim.config.Setting<?> setting) {
        String v = machine.get(setting.key());
        return v != null ? v : String.valueOf(setting.defaultValue());
    }

    private static List<String> expand(String flag, List<String> given, List<String> all, List<String> otherwise) {
        if (given.isEmpty()) {
            return otherwise;
        }
        if (given.size() == 1 && given.get(0).equals("all")) {
            return all;
        }
        for (String g : given) {
            if (!all.contains(g) && !g.equals("all")) {
                throw new Main.BadInput(flag + ": unknown strategy '" + g + "'; allowed: " + String.join(", ", all) + ", or all");
            }
        }
        if (given.contains("all")) {
            throw new Main.BadInput(flag + ": 'all' stands alone, not in a list (" + String.join(",", given) + "); give all, or a list of: "
                    + String.join(", ", all));
        }
        return given;
    }

    private static List<String> names(Enum<?>[] values) {
        return java.util.Arrays.stream(values).map(Object::toString).toList();
    }
}
