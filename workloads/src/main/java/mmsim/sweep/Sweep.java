package mmsim.sweep;

import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

import mmsim.config.ConfigException;
import mmsim.config.MachineConfig;
import mmsim.config.Setting;
import mmsim.run.RunSpec;
import mmsim.run.SetupException;
import mmsim.shootdown.Shootdowns;
import mmsim.workload.Workload;
import mmsim.workload.Workloads;

/**
 * A sweep file, read and checked, and the runs it makes. The file is YAML:
 * <pre>
 * name: example                  # optional; default: the file's name without .yaml/.yml
 * workloads: [munmap, snapshot]  # one or more workload names (see 'mmsim list')
 * set:                           # optional: settings every run gets, machine or workload keys (as --set)
 *   sim.deterministic: true
 *   munmap.rounds: 8
 * vary:                          # optional: lists whose cartesian product makes the runs, first key outermost
 *   shootdown.strategy: [linux, latr]   # shootdown.strategy and fork.strategy also take 'all'
 *   cpus: [2, 4]
 * seeds: [1, 2]                  # or a count N for seeds 1..N; default [1]
 * exclude:                       # optional: points left out; one matches when every key it gives matches
 *   - {workload: snapshot, cpus: 4}
 * check: false                   # optional: both oracles on every run (as --check)
 * timeout: 30                    # optional: each run's watchdog, host minutes (as --timeout)
 * </pre>
 * Each workload gets the product of the {@code vary} keys that apply to it: machine keys, and its own keys
 * ({@code snapshot.data} varies snapshot's runs only), times the seeds. Every key is checked against the
 * machine's settings and the workloads' (a typo is an error that names it and its line), {@code seed} is only
 * given by {@code seeds}, an exclude may only name varied keys, {@code workload} and {@code seed} with values
 * the sweep has, and every run's settings are resolved before anything runs, so an invalid value fails the
 * whole sweep up front. The runs come in a fixed order (workloads in the file's order, then the varied values,
 * the seed innermost), which {@link Shard} splits. Immutable and thread-safe once loaded.
 */
public final class Sweep {
    /** The file a sweep's output directory keeps a copy of, so that its shards and {@code merge} find it. */
    public static final String FILE_IN_OUTPUT = "sweep.yaml";
    /** Top-level keys of a sweep file. */
    static final List<String> KEYS = List.of("name", "workloads", "set", "vary", "seeds", "exclude", "check", "timeout");
    private static final int MAX_NAME = 180;

    private final Path file;
    private final String text;
    private final String name;
    private final boolean named;
    private final List<Workload> workloads;
    private final Map<String, String> set;
    private final Map<String, List<String>> vary;
    private final List<Long> seeds;
    private final boolean check;
    private final int timeoutMinutes;
    private final List<SweepPoint> points;

    private Sweep(Path file, String text, String name, boolean named, List<Workload> workloads, Map<String, String> set,
                  Map<String, List<String>> vary, List<Long> seeds, boolean check, int timeoutMinutes, List<SweepPoint> points) {
        this.file = file;
        this.text = text;
        this.name = name;
        this.named = named;
        this.workloads = List.copyOf(workloads);
        this.set = java.util.Collections.unmodifiableMap(set);
        this.vary = java.util.Collections.unmodifiableMap(vary);
        this.seeds = List.copyOf(seeds);
        this.check = check;
        this.timeoutMinutes = timeoutMinutes;
        this.points = List.copyOf(points);
    }

    /**
     * Reads and checks a sweep file, expands its product and resolves every run's settings.
     *
     * @throws SweepException naming the file, the line and the culprit when anything is wrong
     */
    public static Sweep load(Path file) throws SweepException {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new SweepException("sweep file " + file + ": cannot be read (" + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage()) + ")");
        }
        return parse(file, text);
    }

    /** {@link #load} from text; {@code file} names it in messages and gives the default name. */
    static Sweep parse(Path file, String text) throws SweepException {
        return new Parser(file, text).sweep();
    }

    /** The sweep's name: the file's {@code name}, or its file name without the extension. */
    public String name() {
        return name;
    }

    /** The file it was read from. */
    public Path file() {
        return file;
    }

    /** The file's text, as read. */
    public String text() {
        return text;
    }

    /**
     * The text a sweep's output directory keeps as {@code sweep.yaml}: the file's text, with a {@code name:} line
     * before its first key when it names none (its name came from its file name, which the copy no longer has).
     */
    public String textWithName() {
        if (named) {
            return text;
        }
        String[] lines = text.split("\n", -1);
        StringBuilder b = new StringBuilder();
        boolean inserted = false;
        for (String line : lines) {
            String t = line.strip();
            if (!inserted && !t.isEmpty() && !t.startsWith("#") && !t.startsWith("%") && !t.equals("---")) {
                b.append("name: ").append(name).append("  # added by mmsim: the name of ").append(file.getFileName()).append('\n');
                inserted = true;
            }
            b.append(line).append('\n');
        }
        return b.substring(0, b.length() - 1);
    }

    public List<Workload> workloads() {
        return workloads;
    }

    /** The settings every run gets, key → text, in the file's order. */
    public Map<String, String> set() {
        return set;
    }

    /** The varied keys and their values, in the file's order ('all' expanded). */
    public Map<String, List<String>> vary() {
        return vary;
    }

    public List<Long> seeds() {
        return seeds;
    }

    public boolean check() {
        return check;
    }

    /** Each run's watchdog, host minutes. */
    public int timeoutMinutes() {
        return timeoutMinutes;
    }

    /** Every run of the sweep, in product order. */
    public List<SweepPoint> points() {
        return points;
    }

    /** The runs of {@code shard}, in product order. */
    public List<SweepPoint> points(Shard shard) {
        return points.stream().filter(p -> shard.holds(p.position())).toList();
    }

    /** The point called {@code pointName}, or null. */
    public SweepPoint point(String pointName) {
        for (SweepPoint p : points) {
            if (p.name().equals(pointName)) {
                return p;
            }
        }
        return null;
    }

    /**
     * The run a point makes. {@code commandLine} is recorded in its manifest.
     *
     * @throws SetupException when a setting is invalid (never for a loaded sweep's points: load resolved each)
     */
    public RunSpec spec(SweepPoint p, List<String> commandLine) throws SetupException {
        return RunSpec.resolve(p.workload(), machineSettings(p), workloadSettings(p), check, Duration.ofMinutes(timeoutMinutes), commandLine);
    }

    /** The {@code mmsim run} command line that makes the same run as {@code p} on its own. */
    public List<String> runCommand(SweepPoint p) {
        List<String> line = new ArrayList<>(List.of("mmsim", "run", p.workload().name()));
        Map<String, String> all = new LinkedHashMap<>(machineSettings(p));
        all.putAll(workloadSettings(p));
        all.forEach((k, v) -> {
            line.add("--set");
            line.add(k + "=" + v);
        });
        if (check) {
            line.add("--check");
        }
        line.add("--timeout");
        line.add(Integer.toString(timeoutMinutes));
        return line;
    }

    private Map<String, String> machineSettings(SweepPoint p) {
        Map<String, String> m = new LinkedHashMap<>();
        set.forEach((k, v) -> {
            if (isMachineKey(k)) {
                m.put(k, v);
            }
        });
        p.values().forEach((k, v) -> {
            if (isMachineKey(k)) {
                m.put(k, v);
            }
        });
        m.put(MachineConfig.SEED.key(), Long.toString(p.seed()));
        return m;
    }

    private Map<String, String> workloadSettings(SweepPoint p) {
        Map<String, String> m = new LinkedHashMap<>();
        String prefix = p.workload().name() + ".";
        set.forEach((k, v) -> {
            if (!isMachineKey(k) && k.startsWith(prefix)) {
                m.put(k, v);
            }
        });
        p.values().forEach((k, v) -> {
            if (!isMachineKey(k)) {
                m.put(k, v);
            }
        });
        return m;
    }

    static boolean isMachineKey(String key) {
        return MachineConfig.SETTINGS.stream().anyMatch(s -> s.key().equals(key));
    }

    /**
     * A point's run directory name: the workload, each varied {@code key-value}, and {@code seed-N}, joined by
     * {@code __} (e.g. {@code munmap__shootdown.strategy-linux__cpus-4__seed-1}). Characters other than letters,
     * digits, '.', '+' and '-' become '_'; where that changed a value, or the name would pass 180 characters, the
     * name is cut and ends in {@code ~} and 10 hex digits of a hash of the exact values, so names stay unique.
     */
    static String pointName(String workload, Map<String, String> values, long seed) {
        StringBuilder exact = new StringBuilder(workload);
        StringBuilder name = new StringBuilder(safe(workload));
        boolean altered = !safe(workload).equals(workload);
        for (Map.Entry<String, String> e : values.entrySet()) {
            exact.append('\n').append(e.getKey()).append('=').append(e.getValue());
            name.append("__").append(safe(e.getKey())).append('-').append(safe(e.getValue()));
            altered |= !safe(e.getKey()).equals(e.getKey()) || !safe(e.getValue()).equals(e.getValue());
        }
        exact.append("\nseed=").append(seed);
        name.append("__seed-").append(seed);
        if (!altered && name.length() <= MAX_NAME) {
            return name.toString();
        }
        return name.substring(0, Math.min(name.length(), MAX_NAME)) + "~" + hash(exact.toString());
    }

    private static String safe(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '+' || c == '-';
            b.append(ok ? c : '_');
        }
        return b.toString();
    }

    private static String hash(String s) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d, 0, 5);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /** Reads the YAML node tree, so that every message can name its line. */
    private static final class Parser {
        private final Path file;
        private final String text;

        Parser(Path file, String text) {
            this.file = file;
            this.text = text;
        }

        Sweep sweep() throws SweepException {
            MappingNode root = root();
            Map<String, NodeTuple> top = entries(root, "the sweep file");
            for (Map.Entry<String, NodeTuple> e : top.entrySet()) {
                if (!KEYS.contains(e.getKey())) {
                    throw error(e.getValue().getKeyNode(), "unknown key '" + e.getKey() + "'; a sweep file has: " + String.join(", ", KEYS));
                }
            }
            String name = top.containsKey("name") ? scalar(top.get("name").getValueNode(), "name") : defaultName();
            if (name.isBlank()) {
                throw error(top.get("name").getValueNode(), "name is empty");
            }
            if (!top.containsKey("workloads")) {
                throw error(root, "no 'workloads': name one or more workloads, e.g. 'workloads: [munmap]'; workloads: "
                        + String.join(", ", Workloads.names()));
            }
            List<Workload> workloads = workloads(top.get("workloads").getValueNode());
            Map<String, String> set = new LinkedHashMap<>();
            Map<String, Node> keyNodes = new LinkedHashMap<>();
            if (top.containsKey("set")) {
                for (Map.Entry<String, NodeTuple> e : entries(top.get("set").getValueNode(), "set").entrySet()) {
                    checkKey(e.getKey(), e.getValue().getKeyNode(), workloads, "set");
                    set.put(e.getKey(), scalar(e.getValue().getValueNode(), "set: " + e.getKey()));
                    keyNodes.put(e.getKey(), e.getValue().getKeyNode());
                }
            }
            Map<String, List<String>> vary = new LinkedHashMap<>();
            if (top.containsKey("vary")) {
                for (Map.Entry<String, NodeTuple> e : entries(top.get("vary").getValueNode(), "vary").entrySet()) {
                    checkKey(e.getKey(), e.getValue().getKeyNode(), workloads, "vary");
                    if (set.containsKey(e.getKey())) {
                        throw error(e.getValue().getKeyNode(), "vary: " + e.getKey() + " is also under set; give it in one of them");
                    }
                    vary.put(e.getKey(), values(e.getKey(), e.getValue().getValueNode()));
                    keyNodes.put(e.getKey(), e.getValue().getKeyNode());
                }
            }
            List<Long> seeds = top.containsKey("seeds") ? seeds(top.get("seeds").getValueNode()) : List.of(1L);
            boolean check = top.containsKey("check") && bool(top.get("check").getValueNode(), "check");
            int timeout = top.containsKey("timeout") ? timeout(top.get("timeout").getValueNode()) : (int) RunSpec.DEFAULT_TIMEOUT.toMinutes();
            List<Exclude> excludes = top.containsKey("exclude") ? excludes(top.get("exclude").getValueNode(), workloads, vary, seeds) : List.of();

            List<SweepPoint> points = new ArrayList<>();
            Set<String> names = new HashSet<>();
            for (Workload w : workloads) {
                List<String> keys = vary.keySet().stream().filter(k -> appliesTo(k, w)).toList();
                for (Map<String, String> values : product(keys, vary)) {
                    for (long seed : seeds) {
                        if (excludes.stream().anyMatch(x -> x.matches(w.name(), values, seed))) {
                            continue;
                        }
                        String pointName = pointName(w.name(), values, seed);
                        if (!names.add(pointName)) {
                            throw new SweepException("sweep file " + file + ": two runs would share the directory name " + pointName);
                        }
                        points.add(new SweepPoint(points.size(), pointName, w, values, seed));
                    }
                }
            }
            if (points.isEmpty()) {
                throw new SweepException("sweep file " + file + ": no runs: " + (excludes.isEmpty() ? "the product is empty"
                        : "the excludes leave out every one of the product's runs") + "; give every vary key at least one value");
            }
            Sweep sweep = new Sweep(file, text, name, top.containsKey("name"), workloads, set, vary, seeds, check, timeout, points);
            for (SweepPoint p : points) {
                try {
                    sweep.spec(p, List.of());
                } catch (SetupException e) {
                    String key = e.getMessage().contains(":") ? e.getMessage().substring(0, e.getMessage().indexOf(':')).trim() : "";
                    Node where = keyNodes.get(key);
                    String message = "run " + p.name() + ": " + e.getMessage();
                    throw where == null ? new SweepException("sweep file " + file + ": " + message) : error(where, message);
                }
            }
            return sweep;
        }

        private String defaultName() {
            String f = file.getFileName().toString();
            return f.replaceFirst("\\.(yaml|yml)$", "");
        }

        private MappingNode root() throws SweepException {
            LoaderOptions options = new LoaderOptions();
            options.setAllowDuplicateKeys(false);
            options.setAllowRecursiveKeys(false);
            options.setMaxAliasesForCollections(50);
            Node node;
            try {
                node = new Yaml(options).compose(new StringReader(text));
            } catch (MarkedYAMLException e) {
                int line = e.getProblemMark() == null ? 0 : e.getProblemMark().getLine() + 1;
                throw new SweepException("sweep file " + file + (line > 0 ? ":" + line : "") + ": not valid YAML: " + e.getProblem());
            } catch (YAMLException e) {
                throw new SweepException("sweep file " + file + ": not valid YAML: " + e.getMessage().replace('\n', ' '));
            }
            if (node == null) {
                throw new SweepException("sweep file " + file + ": empty; it needs at least 'workloads: [NAME]'");
            }
            if (!(node instanceof MappingNode m)) {
                throw error(node, "a sweep file is a mapping of keys (" + String.join(", ", KEYS) + "), not a " + kind(node));
            }
            return m;
        }

        private Map<String, NodeTuple> entries(Node node, String what) throws SweepException {
            if (!(node instanceof MappingNode m)) {
                throw error(node, what + " must be a mapping of key: value, not a " + kind(node));
            }
            Map<String, NodeTuple> out = new LinkedHashMap<>();
            for (NodeTuple t : m.getValue()) {
                String key = scalar(t.getKeyNode(), what + " key");
                if (out.put(key, t) != null) {
                    throw error(t.getKeyNode(), what + ": '" + key + "' is given twice");
                }
            }
            return out;
        }

        private List<Workload> workloads(Node node) throws SweepException {
            List<Node> items = node instanceof SequenceNode s ? s.getValue() : List.of(node);
            if (items.isEmpty()) {
                throw error(node, "workloads is empty; name one or more of: " + String.join(", ", Workloads.names()));
            }
            List<Workload> out = new ArrayList<>();
            for (Node item : items) {
                String n = scalar(item, "workloads");
                try {
                    Workload w = Workloads.named(n);
                    if (out.contains(w)) {
                        throw error(item, "workloads: '" + n + "' is named twice");
                    }
                    out.add(w);
                } catch (ConfigException e) {
                    throw error(item, e.getMessage().replace(" (or name a class with --workload-class)", ""));
                }
            }
            return out;
        }

        private void checkKey(String key, Node where, List<Workload> workloads, String section) throws SweepException {
            if (key.equals(MachineConfig.SEED.key())) {
                throw error(where, section + ": seed is given by the top-level 'seeds' (a list, or a count N for 1..N)");
            }
            if (isMachineKey(key)) {
                return;
            }
            for (Workload w : workloads) {
                if (key.startsWith(w.name() + ".")) {
                    if (w.settings().stream().anyMatch(s -> s.key().equals(key))) {
                        return;
                    }
                    throw error(where, section + ": unknown setting '" + key + "' for workload " + w.name() + "; its settings: "
                            + keysOf(w));
                }
            }
            StringBuilder known = new StringBuilder("machine settings: ")
                    .append(String.join(", ", MachineConfig.SETTINGS.stream().map(Setting::key).filter(k -> !k.equals("seed")).toList()));
            for (Workload w : workloads) {
                known.append("; ").append(w.name()).append(" settings: ").append(keysOf(w));
            }
            throw error(where, section + ": unknown setting '" + key + "'; " + known + " (see 'mmsim list')");
        }

        private List<String> values(String key, Node node) throws SweepException {
            if (node instanceof ScalarNode s && s.getValue().equals("all")) {
                if (key.equals(MachineConfig.SHOOTDOWN_STRATEGY.key())) {
                    return Shootdowns.NAMES;
                }
                if (key.equals(MachineConfig.FORK_STRATEGY.key())) {
                    return java.util.Arrays.stream(MachineConfig.ForkStrategy.values()).map(Object::toString).toList();
                }
            }
            if (!(node instanceof SequenceNode seq)) {
                throw error(node, "vary: " + key + " must be a list of values, e.g. [a, b]"
                        + (key.endsWith(".strategy") ? ", or all" : ""));
            }
            if (seq.getValue().isEmpty()) {
                throw error(node, "vary: " + key + " is an empty list: the product would have no runs; give it at least one value");
            }
            List<String> out = new ArrayList<>();
            for (Node item : seq.getValue()) {
                String v = scalar(item, "vary: " + key);
                if (out.contains(v)) {
                    throw error(item, "vary: " + key + ": '" + v + "' is listed twice");
                }
                out.add(v);
            }
            return out;
        }

        private List<Long> seeds(Node node) throws SweepException {
            if (node instanceof ScalarNode s) {
                long n = longValue(s, "seeds");
                if (n < 1 || n > 1_000_000) {
                    throw error(node, "seeds: " + n + " is not allowed; allowed: a count from 1 (seeds 1..N) or a list of seeds");
                }
                List<Long> out = new ArrayList<>();
                for (long i = 1; i <= n; i++) {
                    out.add(i);
                }
                return out;
            }
            if (!(node instanceof SequenceNode seq)) {
                throw error(node, "seeds must be a count N (seeds 1..N) or a list of whole numbers");
            }
            if (seq.getValue().isEmpty()) {
                throw error(node, "seeds is an empty list: the product would have no runs; give at least one seed");
            }
            List<Long> out = new ArrayList<>();
            for (Node item : seq.getValue()) {
                long seed = longValue(item, "seeds");
                if (out.contains(seed)) {
                    throw error(item, "seeds: " + seed + " is listed twice");
                }
                out.add(seed);
            }
            return out;
        }

        private boolean bool(Node node, String what) throws SweepException {
            String v = scalar(node, what);
            if (v.equals("true") || v.equals("false")) {
                return Boolean.parseBoolean(v);
            }
            throw error(node, what + ": '" + v + "' is not allowed; allowed: true or false");
        }

        private int timeout(Node node) throws SweepException {
            long t = longValue(node, "timeout");
            if (t < 1 || t > 10_000_000) {
                throw error(node, "timeout: " + t + " is not allowed; allowed: a whole number of host minutes from 1");
            }
            return (int) t;
        }

        private List<Exclude> excludes(Node node, List<Workload> workloads, Map<String, List<String>> vary, List<Long> seeds)
                throws SweepException {
            if (!(node instanceof SequenceNode seq)) {
                throw error(node, "exclude must be a list of mappings, e.g. '- {workload: snapshot, cpus: 4}'");
            }
            List<Exclude> out = new ArrayList<>();
            for (Node item : seq.getValue()) {
                Map<String, String> match = new LinkedHashMap<>();
                Map<String, NodeTuple> entries = entries(item, "exclude");
                if (entries.isEmpty()) {
                    throw error(item, "exclude: an empty entry would leave out every run");
                }
                for (Map.Entry<String, NodeTuple> e : entries.entrySet()) {
                    String key = e.getKey();
                    Node valueNode = e.getValue().getValueNode();
                    String value = scalar(valueNode, "exclude: " + key);
                    List<String> allowed;
                    if (key.equals("workload")) {
                        allowed = workloads.stream().map(Workload::name).toList();
                    } else if (key.equals("seed")) {
                        allowed = seeds.stream().map(String::valueOf).toList();
                    } else if (vary.containsKey(key)) {
                        allowed = vary.get(key);
                    } else {
                        throw error(e.getValue().getKeyNode(), "exclude: '" + key + "' is not varied; an exclude names workload, seed or vary keys: "
                                + String.join(", ", vary.keySet()));
                    }
                    if (!allowed.contains(value)) {
                        throw error(valueNode, "exclude: " + key + "=" + value + " is not one of the sweep's values: " + String.join(", ", allowed));
                    }
                    match.put(key, value);
                }
                out.add(new Exclude(match));
            }
            return out;
        }

        private long longValue(Node node, String what) throws SweepException {
            String v = scalar(node, what);
            try {
                return Long.parseLong(v);
            } catch (NumberFormatException e) {
                throw error(node, what + ": '" + v + "' is not a whole number");
            }
        }

        private String scalar(Node node, String what) throws SweepException {
            if (!(node instanceof ScalarNode s)) {
                throw error(node, what + " must be a single value, not a " + kind(node));
            }
            if (s.getTag().getValue().endsWith(":null")) {
                throw error(node, what + " has no value");
            }
            return s.getValue();
        }

        private static String kind(Node node) {
            return node instanceof MappingNode ? "mapping" : node instanceof SequenceNode ? "list" : "value";
        }

        private SweepException error(Node node, String message) {
            int line = node.getStartMark() == null ? 0 : node.getStartMark().getLine() + 1;
            return new SweepException("sweep file " + file + (line > 0 ? ":" + line : "") + ": " + message);
        }
    }

    private static String keysOf(Workload w) {
        List<String> keys = w.settings().stream().map(Setting::key).toList();
        return keys.isEmpty() ? "(none)" : String.join(", ", keys);
    }

    private static boolean appliesTo(String key, Workload w) {
        return isMachineKey(key) || key.startsWith(w.name() + ".");
    }

    /** The cartesian product of {@code keys}' values, first key outermost. */
    private static List<Map<String, String>> product(List<String> keys, Map<String, List<String>> vary) {
        List<Map<String, String>> out = new ArrayList<>();
        out.add(new LinkedHashMap<>());
        for (String k : keys) {
            List<Map<String, String>> next = new ArrayList<>();
            for (Map<String, String> partial : out) {
                for (String v : vary.get(k)) {
                    Map<String, String> m = new LinkedHashMap<>(partial);
                    m.put(k, v);
                    next.add(m);
                }
            }
            out = next;
        }
        return out;
    }

    /** An exclude entry: it matches a point when each of its keys has its value there. */
    private record Exclude(Map<String, String> match) {
        boolean matches(String workload, Map<String, String> values, long seed) {
            for (Map.Entry<String, String> e : match.entrySet()) {
                String actual = e.getKey().equals("workload") ? workload
                        : e.getKey().equals("seed") ? Long.toString(seed) : values.get(e.getKey());
                if (!e.getValue().equals(actual)) {
                    return false;
                }
            }
            return true;
        }
    }
}
