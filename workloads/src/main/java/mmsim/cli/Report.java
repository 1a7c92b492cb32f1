package mmsim.cli;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

import mmsim.run.RunResult;
import mmsim.stats.StatsSnapshot;
import mmsim.stats.StatsSnapshot.Distribution;
import mmsim.workload.Workload;

/** What {@code run} and {@code compare} print: a workload's headline metrics, labelled modeled or host. */
final class Report {
    /** Machine metrics every table shows after a workload's own headline (when not already in it). */
    static final List<String> COMMON = List.of("shootdown.initiated", "shootdown.ipis_sent", "shootdown.initiator_cycles");

    private Report() {
    }

    /** The metric names a table shows for {@code workload}, headline first. */
    static List<String> columns(Workload workload) {
        List<String> names = new ArrayList<>(workload.headline());
        for (String c : COMMON) {
            if (!names.contains(c)) {
                names.add(c);
            }
        }
        return names;
    }

    /** Adds the header columns of metric {@code name}, as {@code sample} describes it (skipped when absent). */
    static void addColumns(Table table, String workload, String name, StatsSnapshot sample) {
        String shortName = name.startsWith(workload + ".") ? name.substring(workload.length() + 1) : name;
        Distribution d = sample.distribution(name);
        if (d != null) {
            // the unit line says µs: drop the recorded unit from the name
            shortName = shortName.replaceAll("_(ns|cycles)$", "");
            String how = Format.kind(d.descriptor().kind()) + " " + Format.displayUnit(d.descriptor());
            table.column(shortName, "p50 " + how);
            table.column("", "p99 " + how);
            return;
        }
        StatsSnapshot.Value v = sample.values().get(name);
        if (v != null) {
            table.column(shortName, Format.kind(v.descriptor().kind()) + " " + Format.valueUnit(v.descriptor()));
        }
    }

    /** The cells of metric {@code name} for one run, matching {@link #addColumns}. */
    static void addCells(List<String> cells, String name, StatsSnapshot stats, StatsSnapshot sample, double ghz) {
        if (sample.distribution(name) != null) {
            Distribution d = stats.distribution(name);
            cells.add(d == null ? "-" : Format.distribution(d, "p50", ghz));
            cells.add(d == null ? "-" : Format.distribution(d, "p99", ghz));
        } else if (sample.values().get(name) != null) {
            StatsSnapshot.Value v = stats.values().get(name);
            cells.add(v == null ? "-" : Format.value(v));
        }
    }

    /** One run's account, as {@code mmsim run} prints it. */
    static void printRun(PrintStream out, RunResult r) {
        var m = r.spec().machine();
        out.printf("%s: %d CPUs, %s, shootdown %s, fork %s, seed %d%s%s; %d host cores%n", r.spec().workload().name(), m.cpus(),
                m.asStrings().get("memory"), m.shootdownStrategy(), m.forkStrategy(), m.seed(),
                r.spec().check() ? ", checking" : "", m.deterministic() ? ", deterministic" : "",
                Runtime.getRuntime().availableProcessors());
        out.println("settings: " + r.spec().settings().asStrings());
        out.printf("cost profile: %s (%s; cycles shown as us at %s GHz)%n", m.costProfile().name(), m.costProfile().origin(), m.costs().ghz);
        out.println();
        Table table = new Table().column("metric", "").column("p50 / value", "").column("p99", "").column("max", "").column("", "");
        for (String name : columns(r.spec().workload())) {
            Distribution d = r.stats().distribution(name);
            if (d != null) {
                double ghz = m.costs().ghz;
                table.row(List.of(name, Format.distribution(d, "p50", ghz), Format.distribution(d, "p99", ghz), Format.distribution(d, "max", ghz),
                        Format.kind(d.descriptor().kind()) + " " + Format.displayUnit(d.descriptor()) + " (" + d.count() + " samples)"));
                continue;
            }
            StatsSnapshot.Value v = r.stats().values().get(name);
            if (v != null) {
                table.row(List.of(name, Format.value(v), "", "", Format.kind(v.descriptor().kind()) + " " + Format.valueUnit(v.descriptor())));
            }
        }
        table.print(out);
        out.println();
        out.printf("outcome: %s (host wall %.1f s)%n", r.passed() ? "passed" : "FAILED", r.wallNanos() / 1e9);
        for (String p : r.problems()) {
            out.println("  problem: " + p);
        }
    }
}
