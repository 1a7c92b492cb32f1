package mmsim.sweep;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import mmsim.run.RunDirectory;

/**
 * {@code point.json}: what became of one sweep run, written into its run directory last, and atomically (a
 * temporary file renamed into place), after the run's own files. A run directory is <em>complete</em> when it
 * holds a {@code point.json} whose outcome is {@code passed} or {@code failed} (the run ended and its checks
 * gave a verdict) and its {@code summary.csv}: such a run is never run again. A directory without one (the
 * sweep was stopped mid-run) or with outcome {@code error} (the run's JVM died, was killed at its watchdog, or
 * could not start) is incomplete, and the next {@code mmsim sweep} of its shard redoes it. Immutable.
 *
 * @param outcome  {@code passed}, {@code failed} or {@code error}
 * @param problems the run's problems (failed) or what went wrong (error), first ones first
 * @param exit     the exit status of the run's JVM, -1 when it was killed
 * @param seconds  host seconds the run's JVM took, start to end
 */
public record PointRecord(String sweep, String point, String workload, Map<String, String> values, long seed, int position,
                          String outcome, List<String> problems, int exit, String shard, String host, String started,
                          String ended, double seconds) {
    /** The file's name in a run directory. */
    public static final String FILE = "point.json";
    public static final String PASSED = "passed";
    public static final String FAILED = "failed";
    public static final String ERROR = "error";

    public PointRecord {
        values = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(values));
        problems = List.copyOf(problems);
    }

    /** Whether this outcome means the run is complete (see the class comment). */
    public boolean complete() {
        return outcome.equals(PASSED) || outcome.equals(FAILED);
    }

    /** Writes {@code dir/point.json} atomically. */
    public void write(Path dir) throws IOException {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("sweep", sweep);
        m.put("point", point);
        m.put("workload", workload);
        m.put("values", new LinkedHashMap<>(values));
        m.put("seed", seed);
        m.put("position", position);
        m.put("outcome", outcome);
        m.put("problems", problems);
        m.put("exit", exit);
        m.put("shard", shard);
        m.put("host", host);
        m.put("started", started);
        m.put("ended", ended);
        m.put("seconds", seconds);
        Path tmp = dir.resolve(FILE + ".tmp");
        RunDirectory.writeJson(tmp, m);
        Files.move(tmp, dir.resolve(FILE), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** The record in {@code dir}, or null when there is none or it cannot be read (an incomplete run). */
    @SuppressWarnings("unchecked")
    public static PointRecord read(Path dir) {
        Path f = dir.resolve(FILE);
        if (!Files.isRegularFile(f)) {
            return null;
        }
        try {
            Map<String, Object> m = RunDirectory.readJson(f);
            Map<String, String> values = new LinkedHashMap<>();
            ((Map<String, Object>) m.get("values")).forEach((k, v) -> values.put(k, String.valueOf(v)));
            return new PointRecord((String) m.get("sweep"), (String) m.get("point"), (String) m.get("workload"), values,
                    ((Number) m.get("seed")).longValue(), ((Number) m.get("position")).intValue(), (String) m.get("outcome"),
                    ((List<Object>) m.get("problems")).stream().map(String::valueOf).toList(), ((Number) m.get("exit")).intValue(),
                    (String) m.get("shard"), (String) m.get("host"), (String) m.get("started"), (String) m.get("ended"),
                    ((Number) m.get("seconds")).doubleValue());
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** Whether {@code dir} holds a complete run (see the class comment). */
    public static boolean isComplete(Path dir) {
        PointRecord r = read(dir);
        return r != null && r.complete() && Files.isRegularFile(dir.resolve("summary.csv"));
    }
}
