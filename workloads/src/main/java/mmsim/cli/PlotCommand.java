package mmsim.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import mmsim.plot.Charts;
import mmsim.plot.Figures;
import mmsim.plot.HtmlReport;
import mmsim.plot.RunRows;
import mmsim.sweep.Merge;
import mmsim.sweep.SweepException;

/** {@code mmsim plot DIR}: PNG plots and a one-page HTML report of a run, a comparison or a merged sweep. */
@Command(name = "plot", mixinStandardHelpOptions = true,
        description = {"Plot a run directory, a comparison directory or a merged sweep (merged.csv): latency percentile curves per "
                + "strategy (modeled and host), modeled shootdown latency vs CPUs, IPIs and faults per operation, fork latency vs resident "
                + "size per fork strategy, whichever apply; PNGs in <out>/plots/ and a one-page report, <out>/report.html, with the table "
                + "beside the plots."})
final class PlotCommand implements Callable<Integer> {
    @Parameters(paramLabel = "DIR", description = "A run, comparison or merged sweep directory.")
    Path dir;

    @Option(names = "--out", paramLabel = "DIR", description = "Where plots/ and report.html go (default: DIR).")
    Path out;

    @Option(names = "--where", paramLabel = "key=value", description = "Plot only the runs with this setting (repeatable), e.g. --where seed=1 "
            + "--where cpus=4.")
    List<String> where = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        RunRows runs;
        try {
            runs = RunRows.load(dir);
        } catch (SweepException e) {
            throw new Main.BadInput(e.getMessage());
        }
        runs = filter(runs);
        Path outDir = out != null ? out : dir;
        Path plots = outDir.resolve("plots");
        List<Figures.Figure> figures = Figures.of(runs);
        Files.createDirectories(plots);
        for (Figures.Figure f : figures) {
            Charts.write(f, plots);
        }
        Path csv = dir.resolve(runs.kind() == RunRows.Kind.SWEEP || runs.kind() == RunRows.Kind.MERGED ? Merge.FILE : "summary.csv");
        Path report = HtmlReport.write(runs, figures, outDir, plots, outDir.toAbsolutePath().normalize().relativize(csv.toAbsolutePath().normalize()).toString());
        System.out.printf("mmsim plot: %d runs of %s (%s): %d plots in %s%n", runs.rows().size(), String.join(", ", runs.workloads()),
                runs.kind().toString().toLowerCase(java.util.Locale.ROOT), figures.size(), plots);
        figures.forEach(f -> System.out.println("  " + f.file() + "  " + f.title()));
        System.out.println("Report: " + report);
        return 0;
    }

    private RunRows filter(RunRows runs) {
        if (where.isEmpty()) {
            return runs;
        }
        Map<String, String> wanted = RunOptions.keyValues(where);
        for (Map.Entry<String, String> w : wanted.entrySet()) {
            if (!runs.columns().contains(w.getKey())) {
                throw new Main.BadInput("--where " + w.getKey() + ": no such column; settings that differ here: "
                        + String.join(", ", runs.varying(runs.rows())));
            }
            List<String> values = RunRows.distinct(runs.rows(), w.getKey());
            if (!values.contains(w.getValue())) {
                throw new Main.BadInput("--where " + w.getKey() + "=" + w.getValue() + ": no run has it; its values here: " + String.join(", ", values));
            }
        }
        try {
            return runs.where(wanted);
        } catch (IllegalArgumentException e) {
            throw new Main.BadInput("--where: " + e.getMessage());
        }
    }
}
