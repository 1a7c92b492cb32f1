package mmsim.run;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import mmsim.config.MachineConfig;

/**
 * A run directory: {@code config.json} (every machine and workload setting, defaults resolved, and the
 * workload), {@code manifest.json} (what produced it and how it ran: code version stamped at build time,
 * JVM, OS, host cores and memory, seed, whether it was deterministic, its host slots and threads, command
 * line, start and end), {@code summary.json} and {@code summary.csv} (one row per run, see {@link Summary})
 * and the {@code *.hlog} interval logs the harness wrote.
 */
public final class RunDirectory {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);

    private RunDirectory() {
    }

    /** A new directory {@code <root>/<prefix>-<UTC time>[-n]} that did not exist before. */
    public static Path create(Path root, String prefix) throws IOException {
        Files.createDirectories(root);
        String base = prefix + "-" + STAMP.format(Instant.now());
        for (int n = 0; ; n++) {
            Path dir = root.resolve(n == 0 ? base : base + "-" + n);
            try {
                return Files.createDirectory(dir);
            } catch (java.nio.file.FileAlreadyExistsException e) {
                // taken by a run started in the same second: try the next suffix
            }
        }
    }

    /** Writes one run's files into {@code dir} (its hlogs are already there). */
    public static void write(Path dir, RunResult r) throws IOException {
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("workload", r.spec().workload().name());
        config.put("workload.class", r.spec().workload().getClass().getName());
        config.put("check", r.spec().check());
        config.putAll(r.spec().settingsAsStrings());
        writeJson(dir.resolve("config.json"), config);
        writeJson(dir.resolve("manifest.json"), manifest(r, r.spec().commandLine(), r.started(), r.ended()));
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("run", dir.getFileName().toString());
        summary.put("workload", r.spec().workload().name());
        summary.put("outcome", r.passed() ? "passed" : "failed");
        summary.put("problems", r.problems());
        summary.put("init", r.init() == null ? null : r.init().toString());
        summary.put("wall_ms", r.wallNanos() / 1_000_000);
        summary.put("config", r.spec().settingsAsStrings());
        summary.put("metrics", Summary.metrics(r));
        writeJson(dir.resolve("summary.json"), summary);
        Summary.writeCsv(dir.resolve("summary.csv"), List.of(Summary.row(dir.getFileName().toString(), r)));
    }

    /**
     * What produced a run or a set of runs, and how it ran: {@code deterministic} (whether the modeled results
     * reproduce bit for bit from the seed), {@code sim.parallelism} (the host slots it had, resolved) and
     * {@code threads} ({@code virtual} or {@code platform}: what backed its simulated tasks), {@code vthread.carriers}
     * (with virtual threads: the host threads that carried them; the command line makes them the slots), taken from
     * {@code run}, one run of the set (they share their machine settings but the strategies).
     */
    public static Map<String, Object> manifest(RunResult run, List<String> commandLine, Instant started, Instant ended) {
        MachineConfig machine = run.spec().machine();
        Map<String, Object> m = hostManifest(commandLine, started, ended);
        m.remove("command");
        m.remove("started");
        m.remove("ended");
        m.put("seed", machine.seed());
        m.put("deterministic", machine.deterministic());
        m.put("sim.parallelism", machine.simParallelism());
        m.put("threads", run.virtualThreads() ? "virtual" : "platform");
        if (run.virtualThreads()) {
            m.put("vthread.carriers", mmsim.kernel.Kernel.virtualThreadCarriers());
        }
        m.put("cost.profile", machine.costProfile().name());
        m.put("cost.profile.origin", machine.costProfile().origin());
        m.put("command", String.join(" ", commandLine));
        m.put("started", started.toString());
        m.put("ended", ended.toString());
        return m;
    }

    /**
     * What produced a result that is not one run (a calibration, a fidelity report): the code version stamped at
     * build time, the JVM, the host (name, cores, memory), the command and when it ran.
     */
    public static Map<String, Object> hostManifest(List<String> commandLine, Instant started, Instant ended) {
        BuildInfo build = BuildInfo.current();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("tool", "mmsim");
        m.put("version", build.version());
        m.put("code.version", build.codeVersion());
        m.put("git.commit", build.commit());
        m.put("git.dirty", build.dirty());
        m.put("git.commit.time", build.commitTime());
        m.put("java.version", System.getProperty("java.version"));
        m.put("java.vm", System.getProperty("java.vm.name") + " " + System.getProperty("java.vm.version"));
        m.put("java.vendor", System.getProperty("java.vendor"));
        m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"));
        m.put("host.name", hostName());
        m.put("host.cores", Runtime.getRuntime().availableProcessors());
        m.put("host.memory_bytes", hostMemoryBytes());
        m.put("jvm.max_heap_bytes", Runtime.getRuntime().maxMemory());
        m.put("jvm.arguments", ManagementFactory.getRuntimeMXBean().getInputArguments());
        m.put("command", String.join(" ", commandLine));
        m.put("started", started.toString());
        m.put("ended", ended.toString());
        return m;
    }

    private static long hostMemoryBytes() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getTotalMemorySize();
        }
        return -1;
    }

    private static String hostName() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "unknown";
        }
    }

    public static void writeJson(Path file, Object value) throws IOException {
        JSON.writeValue(file.toFile(), value);
    }

    /** Reads a JSON object written by {@link #writeJson}. */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> readJson(Path file) throws IOException {
        return JSON.readValue(file.toFile(), Map.class);
    }
}
