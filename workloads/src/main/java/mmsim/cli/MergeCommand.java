package mmsim.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import mmsim.sweep.Merge;
import mmsim.sweep.PointRecord;
import mmsim.sweep.SweepException;

/** {@code mmsim merge DIR...}: one table of many runs, refusing mixed code versions and profiles. */
@Command(name = "merge", mixinStandardHelpOptions = true,
        description = {"Join run directories (a sweep's output from any number of shards and machines, comparisons, single runs) into "
                + "merged.csv: one row per run in the summary schema every run shares, plus the sweep's values and seed.",
                "Refuses runs of different code versions or cost profiles unless --force; says which of the sweep's runs are missing "
                        + "and which failed. Exit status 0 when every run of the sweep is there and passed, 1 otherwise."})
final class MergeCommand implements Callable<Integer> {
    private static final int LISTED = 20;

    @Parameters(paramLabel = "DIR", arity = "1..*", description = "Run directories, or directories of them (a sweep's --out).")
    List<Path> dirs = new ArrayList<>();

    @Option(names = "--out", paramLabel = "DIR", description = "Where merged.csv goes (default: the DIR, when one is given; needed with several).")
    Path out;

    @Option(names = "--sweep", paramLabel = "FILE", description = "The sweep file the runs came from (default: the sweep.yaml in the DIRs), "
            + "to say which runs are missing.")
    Path sweepFile;

    @Option(names = "--force", description = "Merge runs of different code versions or cost profiles (or the same run twice: the first is kept), "
            + "saying what differs.")
    boolean force;

    @Override
    public Integer call() throws Exception {
        if (out == null && dirs.size() > 1) {
            throw new Main.BadInput("merge of " + dirs.size() + " directories needs --out DIR: where merged.csv goes");
        }
        Path outDir = out != null ? out : dirs.get(0);
        Merge merge;
        try {
            merge = Merge.collect(dirs, sweepFile);
        } catch (SweepException e) {
            throw new Main.BadInput(e.getMessage());
        }
        List<String> differences = merge.differences();
        if (!differences.isEmpty() && !force) {
            throw new Main.BadInput("will not merge " + String.join("; and ", differences) + "; merge runs of one kind, or give --force");
        }
        differences.forEach(d -> System.out.println("warning (--force): " + d));
        List<Merge.Run> runs = merge.runs();
        long passed = runs.stream().filter(r -> r.outcome().equals(PointRecord.PASSED)).count();
        long failed = runs.stream().filter(r -> r.outcome().equals(PointRecord.FAILED)).count();
        long errors = runs.stream().filter(r -> r.outcome().equals(PointRecord.ERROR)).count();
        List<String> missing = merge.missing();
        String of = merge.sweep() == null ? "" : " of sweep " + merge.sweep().name() + "'s " + merge.sweep().points().size();
        System.out.printf("mmsim merge: %d runs%s from %d %s: %d passed, %d failed, %d errors%s%n", runs.size(), of, dirs.size(),
                dirs.size() == 1 ? "directory" : "directories", passed, failed, errors,
                merge.sweep() == null ? " (no sweep file found: cannot say what is missing)" : ", " + missing.size() + " missing");
        if (!runs.isEmpty()) {
            System.out.println("code " + runs.get(0).codeVersion() + ", cost profile "
                    + String.join(", ", runs.stream().map(r -> String.valueOf(r.config().getOrDefault("cost.profile", "?"))).distinct().toList()));
        }
        for (Merge.Run r : runs) {
            if (!r.outcome().equals(PointRecord.PASSED)) {
                List<String> problems = r.point() != null ? r.point().problems() : List.of(r.row().getOrDefault("problems", "?") + " problems (see its summary.json)");
                System.out.println((r.outcome().equals(PointRecord.ERROR) ? "ERROR  " : "FAILED ") + r.name() + ": "
                        + (problems.isEmpty() ? "" : problems.get(0)));
            }
        }
        list("missing", missing);
        list("incomplete (a shard still running, or stopped: run its mmsim sweep again)", merge.incomplete());
        list("not runs of the sweep (merged anyway)", merge.strangers());
        if (!missing.isEmpty() && merge.sweep() != null) {
            System.out.println("to run what is missing: mmsim sweep " + merge.sweep().file() + " --out " + outDir);
        }
        Path csv = merge.write(outDir);
        System.out.println("Merged: " + csv);
        boolean complete = missing.isEmpty() && merge.incomplete().isEmpty();
        return complete && passed == runs.size() ? 0 : Main.FAILED;
    }

    private static void list(String what, List<String> names) {
        if (names.isEmpty()) {
            return;
        }
        System.out.println(what + " (" + names.size() + "): " + String.join(", ", names.subList(0, Math.min(LISTED, names.size())))
                + (names.size() > LISTED ? ", ... (" + (names.size() - LISTED) + " more)" : ""));
    }
}
