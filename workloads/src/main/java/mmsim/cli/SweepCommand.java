package mmsim.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import mmsim.sweep.JavaCommand;
import mmsim.sweep.PointRecord;
import mmsim.sweep.Shard;
import mmsim.sweep.Sweep;
import mmsim.sweep.SweepException;
import mmsim.sweep.SweepRunner;

/** {@code mmsim sweep FILE}: one shard of a sweep file's runs, J at a time, resumable. */
@Command(name = "sweep", mixinStandardHelpOptions = true,
        description = {"Run a sweep file's runs (or one shard of them), each in its own JVM (or N to a JVM), J at a time; one run directory per "
                + "run, named from its values, under --out. Runs already complete there are skipped; incomplete ones are redone.",
                "The sweep file's format: see README.md, 'Sweeps'."})
final class SweepCommand implements Callable<Integer> {
    @Parameters(paramLabel = "FILE", description = "The sweep file (YAML).")
    Path file;

    @Option(names = "--out", paramLabel = "DIR", description = "Where the runs go (default: runs/<sweep name>); every shard of a sweep uses the same one.")
    Path out;

    @Option(names = "--shard", paramLabel = "i/N", description = "Run only shard i of N (0 <= i < N): the runs at positions i, i+N, i+2N, ... "
            + "of the sweep's product (default: 0/1, every run).")
    String shard;

    @Option(names = "--jobs", paramLabel = "J", defaultValue = "1", description = "Runs at a time on this machine (default: ${DEFAULT-VALUE}).")
    int jobs;

    @Option(names = "--runs-per-jvm", paramLabel = "N", defaultValue = "1", description = "Runs one after another in each JVM a job "
            + "starts (default: ${DEFAULT-VALUE}, every run in a fresh JVM). More saves each run a JVM's start and warm-up, seconds "
            + "for a short run; modeled figures are the same, host times of later runs are a warm JVM's (the manifest's sweep.jvm_run).")
    int runsPerJvm;

    @Override
    public Integer call() throws Exception {
        Sweep sweep = load(file);
        Shard s = shard == null ? Shard.ALL : parseShard(shard);
        if (jobs < 1) {
            throw new Main.BadInput("--jobs: '" + jobs + "' is not allowed; allowed: a whole number of runs at a time from 1");
        }
        if (runsPerJvm < 1) {
            throw new Main.BadInput("--runs-per-jvm: '" + runsPerJvm + "' is not allowed; allowed: a whole number of runs from 1");
        }
        Path dir = out != null ? out : Path.of("runs", sweep.name());
        try {
            SweepRunner.prepareOutput(sweep, dir);
        } catch (SweepException e) {
            throw new Main.BadInput(e.getMessage());
        }
        int mine = sweep.points(s).size();
        System.out.printf("mmsim sweep %s: %s; shard %s: %d of its %d runs, %d at a time%s; %d host cores%n", sweep.name(), describe(sweep),
                s, mine, sweep.points().size(), jobs, runsPerJvm == 1 ? "" : ", up to " + runsPerJvm + " in each JVM",
                Runtime.getRuntime().availableProcessors());
        SweepRunner.Tally t = new SweepRunner(sweep, dir, s, jobs, runsPerJvm, JavaCommand.current(), System.out).run();
        System.out.printf("shard %s of sweep %s: %d runs: %d passed, %d failed, %d errors (%d were already complete)%n",
                s, sweep.name(), t.runs(), t.passed(), t.failed(), t.errors(), t.skipped());
        for (PointRecord r : t.notPassed()) {
            System.out.println((r.outcome().equals(PointRecord.FAILED) ? "FAILED " : "ERROR  ") + r.point() + ":");
            r.problems().stream().limit(5).forEach(p -> System.out.println("  " + p));
        }
        System.out.println("Results: " + dir + "  (when every shard is done: mmsim merge " + dir + ")");
        return t.allPassed() ? 0 : Main.FAILED;
    }

    static Sweep load(Path file) {
        try {
            return Sweep.load(file);
        } catch (SweepException e) {
            throw new Main.BadInput(e.getMessage());
        }
    }

    static Shard parseShard(String text) {
        try {
            return Shard.parse(text);
        } catch (SweepException e) {
            throw new Main.BadInput(e.getMessage());
        }
    }

    /** "munmap, snapshot × shootdown.strategy (3) × cpus (2) × 2 seeds = 12 runs". */
    static String describe(Sweep sweep) {
        StringBuilder b = new StringBuilder(String.join(", ", sweep.workloads().stream().map(w -> w.name()).toList()));
        sweep.vary().forEach((k, v) -> b.append(" x ").append(k).append(" (").append(v.size()).append(')'));
        b.append(" x ").append(sweep.seeds().size()).append(sweep.seeds().size() == 1 ? " seed" : " seeds");
        b.append(" = ").append(sweep.points().size()).append(" runs");
        return b.toString();
    }
}
