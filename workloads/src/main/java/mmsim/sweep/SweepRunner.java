package mmsim.sweep;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import mmsim.run.RunDirectory;

/**
 * Runs one shard of a sweep into an output directory, {@code jobs} runs at a time, each in a JVM of its own
 * ({@link PointMain}, started by {@link JavaCommand}): separate processes share no simulator state, and a run
 * that exhausts its memory or hangs takes only itself down. Each point gets the run directory
 * {@code OUT/<point name>}; a complete one (see {@link PointRecord}) is skipped, an incomplete one is emptied
 * and run again. A run that fails its checks is recorded as failed, one whose JVM dies or outlives its watchdog
 * by {@link #GRACE_MINUTES} is killed and recorded as an error; the other runs go on either way. One progress line
 * per run goes to {@code log} as each ends. Not thread-safe: one {@link #run} at a time per instance; shards
 * running at once on the same output directory (other processes, other machines over a shared file system) never
 * touch the same run directory.
 */
public final class SweepRunner {
    /** Host minutes a run's JVM may outlive its own watchdog before it is killed. */
    static final int GRACE_MINUTES = 2;
    /** The run's JVM's stdout and stderr, in its run directory. */
    public static final String LOG = "run.log";

    private final Sweep sweep;
    private final Path out;
    private final Shard shard;
    private final int jobs;
    private final JavaCommand jvm;
    private final PrintStream log;

    /** What a shard's runs came to. {@code notPassed} holds the failed and errored runs' records. */
    public record Tally(int runs, int passed, int failed, int errors, int skipped, List<PointRecord> notPassed) {
        public boolean allPassed() {
            return passed == runs;
        }
    }

    public SweepRunner(Sweep sweep, Path out, Shard shard, int jobs, JavaCommand jvm, PrintStream log) {
        if (jobs < 1) {
            throw new IllegalArgumentException("jobs " + jobs);
        }
        this.sweep = sweep;
        this.out = out;
        this.shard = shard;
        this.jobs = jobs;
        this.jvm = jvm;
        this.log = log;
    }

    /**
     * Creates {@code out} and puts the sweep file's text there as {@code sweep.yaml} (the file its runs and
     * {@code merge} read), unless it is already there.
     *
     * @throws SweepException when {@code out} holds a different sweep file, or cannot be written
     */
    public static Path prepareOutput(Sweep sweep, Path out) throws SweepException {
        Path copy = out.resolve(Sweep.FILE_IN_OUTPUT);
        try {
            Files.createDirectories(out);
            if (Files.exists(copy)) {
                if (!Files.readString(copy, StandardCharsets.UTF_8).equals(sweep.textWithName())) {
                    throw new SweepException("--out " + out + " holds the runs of another sweep file (" + copy + " differs from "
                            + sweep.file() + "); give another --out, or copy " + sweep.file() + " over " + copy + " to extend that sweep");
                }
                return copy;
            }
            Path tmp = Files.createTempFile(out, Sweep.FILE_IN_OUTPUT, ".tmp");
            Files.writeString(tmp, sweep.textWithName(), StandardCharsets.UTF_8);
            Files.move(tmp, copy, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return copy;
        } catch (IOException | SecurityException e) {
            throw new SweepException("--out " + out + ": cannot write the sweep there (" + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage()) + "); give a directory that exists or can be created");
        }
    }

    /** Runs the shard's points that are not complete; returns the shard's tally, skipped runs included. */
    public Tally run() throws IOException, InterruptedException {
        Path sweepFile = prepareOutputUnchecked();
        List<SweepPoint> mine = sweep.points(shard);
        int total = mine.size();
        AtomicInteger done = new AtomicInteger();
        List<PointRecord> records = Collections.synchronizedList(new ArrayList<>());
        List<SweepPoint> toRun = new ArrayList<>();
        int skipped = 0;
        for (SweepPoint p : mine) {
            Path dir = out.resolve(p.name());
            PointRecord previous = PointRecord.read(dir);
            if (previous != null && PointRecord.isComplete(dir)) {
                skipped++;
                records.add(previous);
                progress(done.incrementAndGet(), total, "skipped", p.name(), "complete: " + previous.outcome());
            } else {
                toRun.add(p);
            }
        }
        Set<Process> running = ConcurrentHashMap.newKeySet();
        Thread killer = new Thread(() -> running.forEach(SweepRunner::kill), "mmsim-sweep-cleanup");
        Runtime.getRuntime().addShutdownHook(killer);
        ExecutorService pool = Executors.newFixedThreadPool(jobs, r -> {
            Thread t = new Thread(r, "mmsim-sweep-job");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (SweepPoint p : toRun) {
                futures.add(pool.submit(() -> {
                    PointRecord r = runPoint(p, sweepFile, running);
                    records.add(r);
                    String detail = r.outcome().equals(PointRecord.PASSED) ? String.format(Locale.ROOT, "%.1f s", r.seconds())
                            : (r.problems().isEmpty() ? "" : r.problems().get(0));
                    progress(done.incrementAndGet(), total, r.outcome().equals(PointRecord.PASSED) ? "passed" : r.outcome().toUpperCase(Locale.ROOT),
                            p.name(), detail);
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                try {
                    f.get();
                } catch (ExecutionException e) {
                    throw new IOException("a sweep job failed: " + e.getCause(), e.getCause());
                }
            }
        } finally {
            pool.shutdownNow();
            running.forEach(SweepRunner::kill);
            try {
                Runtime.getRuntime().removeShutdownHook(killer);
            } catch (IllegalStateException e) {
                // the JVM is shutting down: the hook is running
            }
        }
        List<PointRecord> sorted = new ArrayList<>(records);
        sorted.sort(Comparator.comparingInt(PointRecord::position));
        int passed = (int) sorted.stream().filter(r -> r.outcome().equals(PointRecord.PASSED)).count();
        int failed = (int) sorted.stream().filter(r -> r.outcome().equals(PointRecord.FAILED)).count();
        int errors = (int) sorted.stream().filter(r -> r.outcome().equals(PointRecord.ERROR)).count();
        return new Tally(total, passed, failed, errors, skipped,
                sorted.stream().filter(r -> !r.outcome().equals(PointRecord.PASSED)).toList());
    }

    private Path prepareOutputUnchecked() throws IOException {
        try {
            return prepareOutput(sweep, out);
        } catch (SweepException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    private synchronized void progress(int n, int total, String what, String name, String detail) {
        int width = Integer.toString(total).length();
        log.printf("[%" + width + "d/%d] %-7s %s%s%n", n, total, what, name, detail.isEmpty() ? "" : "  (" + detail + ")");
        log.flush();
    }

    /** Runs one point in its own JVM and records what became of it. */
    private PointRecord runPoint(SweepPoint p, Path sweepFile, Set<Process> running) throws IOException, InterruptedException {
        Path dir = out.resolve(p.name());
        if (Files.exists(dir)) {
            deleteTree(dir);
        }
        Files.createDirectories(dir);
        Instant started = Instant.now();
        long t0 = System.nanoTime();
        ProcessBuilder pb = new ProcessBuilder(jvm.command(PointMain.class.getName(),
                List.of(sweepFile.toAbsolutePath().toString(), p.name(), dir.toAbsolutePath().toString())));
        pb.redirectErrorStream(true);
        pb.redirectOutput(dir.resolve(LOG).toFile());
        int exit;
        List<String> problems = new ArrayList<>();
        Process process;
        try {
            process = pb.start();
        } catch (IOException e) {
            return record(p, PointRecord.ERROR, List.of("could not start its JVM: " + e.getMessage()), -1, started, t0, dir);
        }
        running.add(process);
        try {
            if (process.waitFor(sweep.timeoutMinutes() + GRACE_MINUTES, TimeUnit.MINUTES)) {
                exit = process.exitValue();
            } else {
                kill(process);
                exit = -1;
                problems.add("killed: still running " + GRACE_MINUTES + " minutes after its " + sweep.timeoutMinutes() + "-minute watchdog");
            }
        } finally {
            running.remove(process);
        }
        String outcome;
        Path summary = dir.resolve("summary.json");
        if ((exit == 0 || exit == 1) && Files.isRegularFile(summary) && Files.isRegularFile(dir.resolve("summary.csv"))) {
            @SuppressWarnings("unchecked")
            List<Object> found = (List<Object>) RunDirectory.readJson(summary).get("problems");
            found.forEach(x -> problems.add(String.valueOf(x)));
            outcome = exit == 0 && problems.isEmpty() ? PointRecord.PASSED : PointRecord.FAILED;
        } else {
            outcome = PointRecord.ERROR;
            if (exit >= 0) {
                problems.add("its JVM exited with status " + exit + ": " + lastWords(dir.resolve(LOG)) + " (see " + LOG + ")");
            }
        }
        return record(p, outcome, problems, exit, started, t0, dir);
    }

    private PointRecord record(SweepPoint p, String outcome, List<String> problems, int exit, Instant started, long t0, Path dir)
            throws IOException {
        PointRecord r = new PointRecord(sweep.name(), p.name(), p.workload().name(), p.values(), p.seed(), p.position(), outcome,
                problems, exit, shard.toString(), hostName(), started.toString(), Instant.now().toString(),
                Math.round((System.nanoTime() - t0) / 1e7) / 100.0);
        r.write(dir);
        return r;
    }

    /** The line of a run's log that says what went wrong: an "mmsim:" message, else the first exception, else the last line. */
    private static String lastWords(Path logFile) {
        List<String> lines;
        try {
            lines = Files.readAllLines(logFile, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "no log";
        }
        for (String l : lines) {
            if (l.startsWith("mmsim: ")) {
                return l.substring("mmsim: ".length());
            }
        }
        for (String l : lines) {
            if (l.contains("Exception") || l.contains("Error")) {
                return l.strip();
            }
        }
        return lines.isEmpty() ? "no output" : lines.get(lines.size() - 1).strip();
    }

    private static void kill(Process p) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path f : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(f);
            }
        }
    }

    static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "unknown";
        }
    }
}
