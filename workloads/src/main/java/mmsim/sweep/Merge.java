package mmsim.sweep;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import mmsim.run.RunDirectory;
import mmsim.run.Summary;

/**
 * Joins run directories (a sweep's, from any number of shards and machines; a comparison's; single runs) into one
 * table, {@code merged.csv}: one row per run in the summary schema every run shares ({@link Summary}: the
 * columns of each run's {@code summary.csv}, the union over runs), followed, for a sweep's runs, by
 * {@code sweep:point}, one {@code sweep:<key>} column per varied key (empty where the key does not apply to the
 * run's workload) and {@code sweep:seed}, and {@code sweep:error} when a run ended in error (its row then has
 * {@code outcome} {@code error}, its settings as the sweep file gives them, and no metrics). Rows come in the sweep's product order, other runs after them by
 * name.
 *
 * <p>It refuses ({@link #check}) runs made by different code versions (each manifest's {@code git.commit} and
 * {@code git.dirty}) or under different cost profiles (the {@code cost.profile} setting, the manifest's
 * {@code cost.profile.origin} and every resolved {@code cost.*} value; a sweep that varies {@code cost.profile}
 * or a cost may of course differ there, but runs of one of its values must agree). Where the sweep file is
 * known (given, or the {@code sweep.yaml} in a directory) it says which of its runs are missing. Not thread-safe.
 */
public final class Merge {
    /** The table's file name. */
    public static final String FILE = "merged.csv";

    private final List<Run> runs;
    private final List<String> incomplete;
    private final Sweep sweep;
    private final List<String> duplicates;

    /**
     * One run directory found: its row ({@code summary.csv}, or a stub for a run that ended in error), manifest,
     * config and, for a sweep's run, its {@code point.json}.
     */
    public record Run(Path dir, String name, Map<String, String> row, Map<String, Object> manifest, Map<String, Object> config,
                      PointRecord point) {
        public String outcome() {
            return point != null && point.outcome().equals(PointRecord.ERROR) ? PointRecord.ERROR : row.getOrDefault("outcome", "");
        }

        /** {@code <git.commit>} or {@code <git.commit>-dirty}, from the manifest. */
        public String codeVersion() {
            if (manifest.isEmpty()) {
                return "unknown";
            }
            return manifest.get("git.commit") + (Boolean.TRUE.equals(manifest.get("git.dirty")) ? "-dirty" : "");
        }
    }

    private Merge(List<Run> runs, List<String> incomplete, Sweep sweep, List<String> duplicates) {
        this.runs = runs;
        this.incomplete = incomplete;
        this.sweep = sweep;
        this.duplicates = duplicates;
    }

    /**
     * Finds the run directories in {@code dirs} (each one a run directory, or a directory of them) and the sweep
     * file: {@code sweepFile} if given, else the {@code sweep.yaml} the directories hold (all alike), else none.
     *
     * @throws SweepException when a directory is missing or holds no runs, the directories hold different sweep
     *                        files, or the sweep file does not load
     */
    public static Merge collect(List<Path> dirs, Path sweepFile) throws SweepException {
        List<Run> runs = new ArrayList<>();
        List<String> incomplete = new ArrayList<>();
        Map<String, Path> seen = new LinkedHashMap<>();
        List<String> duplicates = new ArrayList<>();
        Set<String> sweepTexts = new LinkedHashSet<>();
        Path firstSweepFile = null;
        for (Path dir : dirs) {
            if (!Files.isDirectory(dir)) {
                throw new SweepException(dir + ": no such directory");
            }
            List<Path> candidates = isRunDirectory(dir) ? List.of(dir) : children(dir);
            Path copy = dir.resolve(Sweep.FILE_IN_OUTPUT);
            if (Files.isRegularFile(copy)) {
                sweepTexts.add(read(copy));
                firstSweepFile = firstSweepFile == null ? copy : firstSweepFile;
            }
            int found = 0;
            for (Path c : candidates) {
                String name = c.getFileName().toString();
                PointRecord point = PointRecord.read(c);
                boolean ended = point != null && (PointRecord.isComplete(c) || point.outcome().equals(PointRecord.ERROR));
                if (!ended && (point != null || Files.exists(c.resolve(SweepRunner.LOG)))) {
                    incomplete.add(name);
                    found++;
                    continue;
                }
                if (!ended && !isRunDirectory(c)) {
                    continue;
                }
                found++;
                Path before = seen.putIfAbsent(name, c);
                if (before != null) {
                    duplicates.add(name + " (in " + before.getParent() + " and " + c.getParent() + ")");
                    continue;
                }
                runs.add(load(c, name, point));
            }
            if (found == 0) {
                throw new SweepException(dir + " holds no run directories (a run directory has config.json and summary.csv; "
                        + "give run, comparison or sweep output directories)");
            }
        }
        Sweep sweep = null;
        if (sweepFile != null) {
            sweep = Sweep.load(sweepFile);
        } else if (sweepTexts.size() > 1) {
            throw new SweepException("the directories hold different sweep files (" + Sweep.FILE_IN_OUTPUT
                    + "); merge one sweep's runs at a time, or name the sweep with --sweep FILE");
        } else if (firstSweepFile != null) {
            sweep = Sweep.load(firstSweepFile);
        }
        if (sweep != null) {
            Map<String, Integer> order = new LinkedHashMap<>();
            sweep.points().forEach(p -> order.put(p.name(), p.position()));
            runs.sort(Comparator.comparing((Run r) -> order.getOrDefault(r.name(), Integer.MAX_VALUE)).thenComparing(Run::name));
        } else {
            runs.sort(Comparator.comparing(Run::name));
        }
        return new Merge(runs, incomplete, sweep, duplicates);
    }

    private static boolean isRunDirectory(Path dir) {
        if (!Files.isRegularFile(dir.resolve("config.json")) || !Files.isRegularFile(dir.resolve("summary.csv"))) {
            return false;
        }
        try {
            return RunDirectory.readJson(dir.resolve("config.json")).containsKey("workload");
        } catch (IOException e) {
            return false;
        }
    }

    private static List<Path> children(Path dir) throws SweepException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(Files::isDirectory).sorted().toList();
        } catch (IOException e) {
            throw new SweepException(dir + ": cannot be read (" + e.getMessage() + ")");
        }
    }

    private static String read(Path f) throws SweepException {
        try {
            return Files.readString(f, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new SweepException(f + ": cannot be read (" + e.getMessage() + ")");
        }
    }

    private static Run load(Path dir, String name, PointRecord point) throws SweepException {
        try {
            Map<String, Object> manifest = Files.isRegularFile(dir.resolve("manifest.json")) ? RunDirectory.readJson(dir.resolve("manifest.json")) : Map.of();
            Map<String, Object> config = Files.isRegularFile(dir.resolve("config.json")) ? RunDirectory.readJson(dir.resolve("config.json")) : Map.of();
            Map<String, String> row;
            if (point != null && point.outcome().equals(PointRecord.ERROR)) {
                row = new LinkedHashMap<>();
                row.put("run", name);
                row.put("workload", point.workload());
                row.put("outcome", PointRecord.ERROR);
                row.put("problems", Integer.toString(point.problems().size()));
            } else {
                List<Map<String, String>> rows = Summary.readCsv(dir.resolve("summary.csv"));
                if (rows.size() != 1) {
                    throw new SweepException(dir.resolve("summary.csv") + ": holds " + rows.size() + " rows; a run's summary holds one");
                }
                row = rows.get(0);
                row.put("run", name);
            }
            return new Run(dir, name, row, manifest, config, point);
        } catch (IOException | RuntimeException e) {
            throw new SweepException(dir + ": cannot be read as a run directory (" + e.getClass().getSimpleName() + ": " + e.getMessage() + ")");
        }
    }

    /** The runs found, in table order. */
    public List<Run> runs() {
        return runs;
    }

    /** The sweep the runs belong to, or null when none is known. */
    public Sweep sweep() {
        return sweep;
    }

    /** Sweep run directories whose run has not ended (no {@code point.json} yet): a shard still running, or stopped. */
    public List<String> incomplete() {
        return incomplete;
    }

    /** The sweep's runs that have no run directory here (empty when no sweep is known). */
    public List<String> missing() {
        if (sweep == null) {
            return List.of();
        }
        Set<String> have = new java.util.HashSet<>();
        runs.forEach(r -> have.add(r.name()));
        return sweep.points().stream().map(SweepPoint::name).filter(n -> !have.contains(n)).toList();
    }

    /** Runs here that are not runs of the known sweep. */
    public List<String> strangers() {
        if (sweep == null) {
            return List.of();
        }
        return runs.stream().map(Run::name).filter(n -> sweep.point(n) == null).toList();
    }

    /**
     * What makes these runs unfit to merge: run names found twice, more than one code version, more than one cost
     * profile where the sweep does not vary it. Empty when they may be merged.
     */
    public List<String> differences() {
        List<String> out = new ArrayList<>();
        if (!duplicates.isEmpty()) {
            out.add("the same run in two directories: " + String.join(", ", duplicates) + " (keep one of each)");
        }
        Map<String, List<String>> versions = new LinkedHashMap<>();
        for (Run r : runs) {
            if (!r.manifest().isEmpty()) {
                versions.computeIfAbsent(r.codeVersion(), k -> new ArrayList<>()).add(r.name());
            }
        }
        if (versions.size() > 1) {
            out.add("runs made by different code versions (git.commit, git.dirty): " + describe(versions));
        }
        String profiles = profileDifferences();
        if (profiles != null) {
            out.add(profiles);
        }
        return out;
    }

    private String profileDifferences() {
        Set<String> varied = sweep == null ? Set.of() : sweep.vary().keySet();
        Map<String, Map<String, List<String>>> byGroup = new LinkedHashMap<>();
        Map<String, Map<String, String>> costsOf = new LinkedHashMap<>();
        for (Run r : runs) {
            if (r.config().isEmpty()) {
                continue;
            }
            StringBuilder group = new StringBuilder();
            Map<String, String> costs = new java.util.TreeMap<>();
            for (Map.Entry<String, Object> e : r.config().entrySet()) {
                if (!e.getKey().startsWith("cost.")) {
                    continue;
                }
                if (varied.contains(e.getKey())) {
                    group.append(e.getKey()).append('=').append(e.getValue()).append(' ');
                } else {
                    costs.put(e.getKey(), String.valueOf(e.getValue()));
                }
            }
            String identity = costs.getOrDefault("cost.profile", "?") + " (" + r.manifest().getOrDefault("cost.profile.origin", "?") + ")";
            String key = identity + " " + costs;
            costsOf.put(key, costs);
            byGroup.computeIfAbsent(group.toString(), g -> new LinkedHashMap<>()).computeIfAbsent(key, k -> new ArrayList<>()).add(r.name());
        }
        for (Map<String, List<String>> identities : byGroup.values()) {
            if (identities.size() > 1) {
                List<String> keys = new ArrayList<>(identities.keySet());
                Set<String> differing = new TreeSet<>();
                for (String k : keys) {
                    costsOf.get(k).forEach((cost, v) -> {
                        if (!v.equals(costsOf.get(keys.get(0)).get(cost))) {
                            differing.add(cost);
                        }
                    });
                }
                Map<String, List<String>> named = new LinkedHashMap<>();
                for (String k : keys) {
                    StringBuilder n = new StringBuilder(k.substring(0, k.indexOf(" {")));
                    for (String cost : differing) {
                        if (!cost.equals("cost.profile")) {
                            n.append(' ').append(cost).append('=').append(costsOf.get(k).get(cost));
                        }
                    }
                    named.put(n.toString(), identities.get(k));
                }
                return "runs made under different cost profiles (" + String.join(", ", differing) + " differ): " + describe(named);
            }
        }
        return null;
    }

    private static String describe(Map<String, List<String>> groups) {
        List<String> parts = new ArrayList<>();
        groups.forEach((k, names) -> parts.add(k + " in " + names.size() + (names.size() == 1 ? " run" : " runs") + ", e.g. " + names.get(0)));
        return String.join("; ", parts);
    }

    /** The table: one row per run, see the class comment. */
    public List<Map<String, Object>> rows() {
        boolean errors = runs.stream().anyMatch(r -> r.outcome().equals(PointRecord.ERROR));
        List<Map<String, Object>> out = new ArrayList<>();
        for (Run r : runs) {
            Map<String, Object> row = new LinkedHashMap<>(r.row());
            if (sweep != null) {
                SweepPoint p = sweep.point(r.name());
                if (p != null && r.outcome().equals(PointRecord.ERROR)) {
                    settingsOf(p).forEach(row::putIfAbsent);
                }
                row.put("sweep:point", p == null ? "" : p.name());
                for (String key : sweep.vary().keySet()) {
                    row.put("sweep:" + key, p == null ? "" : p.values().getOrDefault(key, ""));
                }
                row.put("sweep:seed", p == null ? "" : Long.toString(p.seed()));
            }
            if (errors) {
                row.put("sweep:error", r.outcome().equals(PointRecord.ERROR) ? String.join("; ", r.point().problems()) : "");
            }
            out.add(row);
        }
        return order(out);
    }

    /** A point's resolved settings, for the row of a run that ended in error (it wrote no summary). */
    private Map<String, String> settingsOf(SweepPoint p) {
        try {
            return sweep.spec(p, List.of()).settingsAsStrings();
        } catch (mmsim.run.SetupException e) {
            return Map.of();
        }
    }

    /**
     * Puts every run's columns first (the summary schema, in first-seen order) and the sweep's after them; every
     * row gets every column (empty where it has none), so the CSV writer keeps this order.
     */
    private static List<Map<String, Object>> order(List<Map<String, Object>> rows) {
        LinkedHashSet<String> columns = new LinkedHashSet<>();
        rows.forEach(r -> r.keySet().stream().filter(c -> !c.startsWith("sweep:")).forEach(columns::add));
        rows.forEach(r -> r.keySet().stream().filter(c -> c.startsWith("sweep:")).forEach(columns::add));
        List<Map<String, Object>> out = new ArrayList<>();
        for (Map<String, Object> r : rows) {
            Map<String, Object> o = new LinkedHashMap<>();
            for (String c : columns) {
                o.put(c, r.getOrDefault(c, ""));
            }
            out.add(o);
        }
        return out;
    }

    /** Writes {@code merged.csv} into {@code outDir}; returns its path. */
    public Path write(Path outDir) throws IOException {
        Files.createDirectories(outDir);
        Path file = outDir.resolve(FILE);
        Path tmp = outDir.resolve(FILE + ".tmp");
        Summary.writeCsv(tmp, rows());
        Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        return file;
    }
}
