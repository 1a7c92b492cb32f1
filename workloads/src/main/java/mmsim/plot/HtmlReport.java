package mmsim.plot;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;

import mmsim.config.ConfigException;
import mmsim.plot.Figures.Figure;
import mmsim.plot.RunRows.Row;
import mmsim.run.RunDirectory;
import mmsim.workload.Workloads;

/**
 * The one-page report of a set of runs, {@code report.html}: what they are (the sweep file, code version, cost
 * profiles, mode, host), then per workload its table beside its plots. The table has one row per combination of
 * the settings that differ (seeds averaged: the {@code runs} column says over how many) and the figures every
 * workload shares: modeled shootdown latency, IPIs and faults per operation, the modeled and host latency of the
 * operation, modeled time; every column of every run is in the CSV it links to. Self-contained but for the PNGs
 * it names relative to itself. Thread-safe: no state.
 */
public final class HtmlReport {
    /** The report's file name. */
    public static final String FILE = "report.html";

    private HtmlReport() {
    }

    /** Writes {@code outDir/report.html} for {@code runs} and their figures in {@code plotsDir}; returns the file. */
    public static Path write(RunRows runs, List<Figure> figures, Path outDir, Path plotsDir, String csvName) throws IOException {
        StringBuilder h = new StringBuilder();
        String what = switch (runs.kind()) {
            case SWEEP -> "Sweep " + (runs.sweep() != null ? runs.sweep().name() : runs.dir().getFileName());
            case COMPARISON -> "Comparison " + runs.dir().getFileName();
            case RUN -> "Run " + runs.dir().getFileName();
            case MERGED -> "Runs merged in " + runs.dir().getFileName();
        };
        h.append("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>mmsim: ").append(esc(what)).append("</title>\n")
                .append("<style>\n")
                .append("body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}h1{margin-bottom:.2em}h2{margin-top:1.6em;border-bottom:1px solid #ccc}\n")
                .append(".meta{color:#555}.pair{display:flex;gap:1.5em;align-items:flex-start;flex-wrap:wrap}\n")
                .append(".table{flex:1 1 40%;overflow-x:auto}.plots{flex:1 1 50%;min-width:480px}\n")
                .append("table{border-collapse:collapse;font-size:13px}th,td{padding:3px 7px;border-bottom:1px solid #e3e3e3;text-align:right}\n")
                .append("th{background:#f4f4f4;vertical-align:bottom}td.k,th.k{text-align:left}tr.bad td{color:#b00}\n")
                .append("figure{margin:0 0 1.2em 0}img{width:100%;border:1px solid #ddd}figcaption{font-size:12px;color:#555}\n")
                .append("pre{background:#f7f7f7;padding:.6em;font-size:12px;overflow-x:auto}\n</style></head><body>\n");
        h.append("<h1>").append(esc(what)).append("</h1>\n");
        h.append("<p class=\"meta\">").append(esc(summary(runs))).append(" &middot; table: <a href=\"").append(esc(csvName)).append("\">")
                .append(esc(csvName)).append("</a></p>\n");
        if (runs.sweep() != null) {
            h.append("<details><summary>sweep file</summary><pre>").append(esc(runs.sweep().text())).append("</pre></details>\n");
            h.append("<p>Made by <code>mmsim sweep ").append(esc(runs.sweep().name())).append(".yaml</code>, <code>mmsim merge</code> and "
                    + "<code>mmsim plot</code>; each run directory's manifest.json gives the <code>mmsim run</code> command that remakes "
                    + "that run alone.</p>\n");
        }
        for (String workload : runs.workloads()) {
            List<Row> rows = runs.of(workload);
            h.append("<h2>").append(esc(workload)).append("</h2>\n<p>").append(esc(description(workload))).append("</p>\n");
            h.append("<div class=\"pair\"><div class=\"table\">\n");
            table(h, runs, workload, rows);
            h.append("</div><div class=\"plots\">\n");
            for (Figure f : figures) {
                if (f.workload().equals(workload)) {
                    h.append("<figure><img src=\"").append(esc(outDir.relativize(plotsDir.resolve(f.file())).toString())).append("\" alt=\"")
                            .append(esc(f.title())).append("\">");
                    if (!f.note().isEmpty()) {
                        h.append("<figcaption>").append(esc(f.note())).append("</figcaption>");
                    }
                    h.append("</figure>\n");
                }
            }
            h.append("</div></div>\n");
        }
        h.append("<p class=\"meta\">modeled: the simulated machine (events; cycles shown as µs at the cost profile's clock), independent of the host. "
                + "host: measured on the host that ran the run, which depends on it: report its cores with it.</p>\n</body></html>\n");
        Path file = outDir.resolve(FILE);
        Files.writeString(file, h, StandardCharsets.UTF_8);
        return file;
    }

    private static void table(StringBuilder h, RunRows runs, String workload, List<Row> rows) {
        List<String> keys = runs.varying(rows).stream().filter(k -> !k.equals("seed")).toList();
        Map<String, List<Row>> groups = Figures.facets(rows, keys);
        Row sample = rows.stream().filter(Row::hasMetrics).findFirst().orElse(rows.get(0));
        String op = Figures.operation(workload, sample);
        String opName = op == null ? "op" : Figures.operationName(op);
        String modeledOp = Figures.MODELED_OPERATION.get(workload);
        Map<String, ToDoubleFunction<Row>> columns = new LinkedHashMap<>();
        columns.put("shootdown p50<br>µs model", r -> r.number("modeled:shootdown.initiator_cycles:count") > 0
                ? r.number("modeled:shootdown.initiator_cycles:p50") / (r.ghz() * 1000) : Double.NaN);
        if (op != null) {
            columns.put("IPIs per " + esc(opName) + "<br>model", r -> r.number("modeled:shootdown.ipis_sent") / r.number("host:" + op + ":count"));
            columns.put("faults per " + esc(opName) + "<br>model", r -> (r.number("modeled:faults.not_present") + r.number("modeled:faults.protection"))
                    / r.number("host:" + op + ":count"));
        }
        if (modeledOp != null) {
            String title = modeledOp.equals("fork") ? "fork" : modeledOp.substring(modeledOp.lastIndexOf('.') + 1);
            ToDoubleFunction<Row> column = r -> {
                String name = modeledOp.equals("fork") ? "latency.fork." + r.get("fork.strategy") : modeledOp;
                return r.number("modeled:" + name + ":p50") / (r.ghz() * 1000);
            };
            columns.put(esc(title) + " p50<br>µs model", column);
        }
        if (op != null) {
            columns.put(esc(opName) + " p50<br>µs host", r -> r.number("host:" + op + ":p50") / 1000);
            columns.put(esc(opName) + " p99<br>µs host", r -> r.number("host:" + op + ":p99") / 1000);
        }
        columns.put("modeled time<br>ms", r -> r.number("modeled:modeled.time") / (r.ghz() * 1e6));
        h.append("<table><tr>");
        for (String k : keys) {
            h.append("<th class=\"k\">").append(esc(k)).append("</th>");
        }
        if (keys.isEmpty()) {
            h.append("<th class=\"k\">run</th>");
        }
        h.append("<th>runs</th><th>outcome</th>");
        columns.keySet().forEach(c -> h.append("<th>").append(c).append("</th>"));
        h.append("</tr>\n");
        for (List<Row> group : groups.values()) {
            List<Row> measured = group.stream().filter(Row::hasMetrics).toList();
            long passed = group.stream().filter(r -> r.get("outcome").equals("passed")).count();
            h.append(passed == group.size() ? "<tr>" : "<tr class=\"bad\">");
            for (String k : keys) {
                h.append("<td class=\"k\">").append(esc(group.get(0).get(k))).append("</td>");
            }
            if (keys.isEmpty()) {
                h.append("<td class=\"k\">").append(esc(group.get(0).get("run"))).append("</td>");
            }
            h.append("<td>").append(group.size()).append("</td><td>")
                    .append(passed == group.size() ? "passed" : esc(outcomes(group))).append("</td>");
            for (ToDoubleFunction<Row> f : columns.values()) {
                h.append("<td>").append(measured.isEmpty() ? "" : Figures.number(meanOrNaN(measured, f))).append("</td>");
            }
            h.append("</tr>\n");
        }
        h.append("</table>\n");
        List<String> seeds = RunRows.distinct(rows, "seed");
        if (seeds.size() > 1) {
            h.append("<p class=\"meta\">Each row: the mean over seeds ").append(esc(String.join(", ", seeds))).append(".</p>\n");
        }
    }

    private static double meanOrNaN(List<Row> rows, ToDoubleFunction<Row> f) {
        double[] v = rows.stream().mapToDouble(f).filter(x -> !Double.isNaN(x) && !Double.isInfinite(x)).toArray();
        return v.length == 0 ? Double.NaN : java.util.Arrays.stream(v).average().orElse(Double.NaN);
    }

    private static String outcomes(List<Row> group) {
        Map<String, Integer> n = new LinkedHashMap<>();
        group.forEach(r -> n.merge(r.get("outcome"), 1, Integer::sum));
        List<String> parts = new ArrayList<>();
        n.forEach((k, v) -> parts.add(v + " " + k));
        return String.join(", ", parts);
    }

    private static String summary(RunRows runs) {
        List<Row> rows = runs.rows();
        Map<String, Integer> outcomes = new LinkedHashMap<>();
        rows.forEach(r -> outcomes.merge(r.get("outcome"), 1, Integer::sum));
        List<String> parts = new ArrayList<>();
        List<String> o = new ArrayList<>();
        outcomes.forEach((k, v) -> o.add(v + " " + k));
        parts.add(rows.size() + (rows.size() == 1 ? " run: " : " runs: ") + String.join(", ", o));
        parts.add("code " + String.join(", ", RunRows.distinct(rows, "code.version")));
        List<String> profiles = new ArrayList<>();
        for (Row r : rows) {
            String p = r.get("cost.profile") + " (" + r.get("cost.ghz") + " GHz)";
            if (!profiles.contains(p) && !r.get("cost.profile").isEmpty()) {
                profiles.add(p);
            }
        }
        parts.add("cost profile " + String.join(", ", profiles));
        List<String> det = RunRows.distinct(rows.stream().filter(Row::hasMetrics).toList(), "sim.deterministic");
        parts.add(det.equals(List.of("true")) ? "deterministic mode" : det.equals(List.of("false")) ? "default mode" : "mixed modes");
        parts.add("host " + hostOf(rows) + ", " + String.join("/", RunRows.distinct(rows.stream().filter(Row::hasMetrics).toList(), "host.cores"))
                + " cores");
        return String.join(" · ", parts);
    }

    private static String hostOf(List<Row> rows) {
        List<String> hosts = new ArrayList<>();
        for (Row r : rows) {
            if (r.runDir() == null || !Files.isRegularFile(r.runDir().resolve("manifest.json"))) {
                continue;
            }
            try {
                String h = String.valueOf(RunDirectory.readJson(r.runDir().resolve("manifest.json")).get("host.name"));
                if (!hosts.contains(h)) {
                    hosts.add(h);
                }
            } catch (IOException e) {
                // a run without a readable manifest names no host
            }
        }
        return hosts.isEmpty() ? "unknown" : String.join(", ", hosts);
    }

    private static String description(String workload) {
        try {
            return Workloads.named(workload).description();
        } catch (ConfigException e) {
            return "";
        }
    }

    static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
