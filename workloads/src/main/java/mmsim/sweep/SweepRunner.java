package mmsim.sweep;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import mmsim.run.RunDirectory;

/**
 * Runs one shard of a sweep into an output directory, {@code jobs} runs at a time, each in a JVM of its own
 * ({@link PointMain}, started by {@link JavaCommand}): separate processes share no simulator state, and a run
 * that exhausts its memory or hangs takes only itself down. With {@code runsPerJvm} above 1, each job's JVM
 * ({@code PointMain --serve}) runs up to that many points one after another, so that a sweep of short runs does
 * not pay a JVM's start and warm-up for each (on 2 host cores a run of a second took 4-6 s in a JVM of its own);
 * modeled figures are the same either way (a run builds its whole machine afresh), host-time figures of a later
 * run in a JVM are those of warm code. A JVM that dies or hangs takes its current run down as an error, and the
 * job's next run gets a new JVM; so does every run after an internal error. Output of those JVMs that is not a
 * run's goes to {@link #JVM_LOG} in the output directory. Each point gets the run directory
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
    /** With {@code runsPerJvm} above 1: what the JVMs wrote outside any run (JVM warnings, a crash), in the output directory. */
    public static final String JVM_LOG = "sweep-jvms.log";

    private final Sweep sweep;
    private final Path out;
    private final Shard shard;
    private final int jobs;
    private final int runsPerJvm;
    private final JavaCommand jvm;
    private final PrintStream log;
    /** How long a run may take before its JVM is killed: the run's watchdog plus {@link #GRACE_MINUTES}. */
    private final Duration killAfter;
    /** The problem a killed run records. */
    private final String killed;

    /** What a shard's runs came to. {@code notPassed} holds the failed and errored runs' records. */
    public record Tally(int runs, int passed, int failed, int errors, int skipped, List<PointRecord> notPassed) {
        public boolean allPassed() {
            return passed == runs;
        }
    }

    /** Every run in a JVM of its own. */
    public SweepRunner(Sweep sweep, Path out, Shard shard, int jobs, JavaCommand jvm, PrintStream log) {
        this(sweep, out, shard, jobs, 1, jvm, log);
    }

    /** Up to {@code runsPerJvm} runs, one after another, in each JVM (1: every run in a JVM of its own). */
    public SweepRunner(Sweep sweep, Path out, Shard shard, int jobs, int runsPerJvm, JavaCommand jvm, PrintStream log) {
        this(sweep, out, shard, jobs, runsPerJvm, jvm, log, Duration.ofMinutes(sweep.timeoutMinutes() + GRACE_MINUTES),
                "killed: still running " + GRACE_MINUTES + " minutes after its " + sweep.timeoutMinutes() + "-minute watchdog");
    }

    /**
     * As above, but a run's JVM is killed once the run has taken {@code killAfter} (instead of its watchdog's minutes
     * plus {@link #GRACE_MINUTES}): for the tests of that kill, which cannot wait minutes.
     */
    SweepRunner(Sweep sweep, Path out, Shard shard, int jobs, int runsPerJvm, JavaCommand jvm, PrintStream log, Duration killAfter) {
        this(sweep, out, shard, jobs, runsPerJvm, jvm, log, killAfter,
                "killed: still running " + killAfter.toMillis() + " ms after it started");
    }

    private SweepRunner(Sweep sweep, Path out, Shard shard, int jobs, int runsPerJvm, JavaCommand jvm, PrintStream log,
                        Duration killAfter, String killed) {
        if (jobs < 1 || runsPerJvm < 1) {
            throw new IllegalArgumentException("jobs " + jobs + ", runs per JVM " + runsPerJvm);
        }
        this.sweep = sweep;
        this.out = out;
        this.shard = shard;
        this.jobs = jobs;
        this.runsPerJvm = runsPerJvm;
        this.jvm = jvm;
        this.log = log;
        this.killAfter = killAfter;
        this.killed = killed;
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
            if (runsPerJvm == 1) {
                for (SweepPoint p : toRun) {
                    futures.add(pool.submit(() -> {
                        ended(runPoint(p, sweepFile, running), records, done, total);
                        return null;
                    }));
                }
            } else {
                // each job takes the next point from the queue, in the sweep's order, and keeps its JVM between them
                Queue<SweepPoint> queue = new ConcurrentLinkedQueue<>(toRun);
                for (int j = 0; j < Math.min(jobs, toRun.size()); j++) {
                    futures.add(pool.submit(() -> {
                        try (Worker worker = new Worker(sweepFile, running)) {
                            for (SweepPoint p; (p = queue.poll()) != null; ) {
                                ended(worker.runPoint(p), records, done, total);
                            }
                        }
                        return null;
                    }));
                }
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

    private void ended(PointRecord r, List<PointRecord> records, AtomicInteger done, int total) {
        records.add(r);
        String detail = r.outcome().equals(PointRecord.PASSED) ? String.format(Locale.ROOT, "%.1f s", r.seconds())
                : (r.problems().isEmpty() ? "" : r.problems().get(0));
        progress(done.incrementAndGet(), total, r.outcome().equals(PointRecord.PASSED) ? "passed" : r.outcome().toUpperCase(Locale.ROOT),
                r.point(), detail);
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

    /** Empties (or creates) point {@code p}'s run directory. */
    private Path freshRunDirectory(SweepPoint p) throws IOException {
        Path dir = out.resolve(p.name());
        if (Files.exists(dir)) {
            deleteTree(dir);
        }
        Files.createDirectories(dir);
        return dir;
    }

    /** Runs one point in its own JVM and records what became of it. */
    private PointRecord runPoint(SweepPoint p, Path sweepFile, Set<Process> running) throws IOException, InterruptedException {
        Path dir = freshRunDirectory(p);
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
            if (process.waitFor(killAfter.toMillis(), TimeUnit.MILLISECONDS)) {
                exit = process.exitValue();
            } else {
                kill(process);
                process.waitFor(GRACE_MINUTES, TimeUnit.MINUTES);   // gone before its run is recorded
                exit = -1;
                problems.add(killed);
            }
        } finally {
            running.remove(process);
        }
        return judged(p, exit, problems, started, t0, dir);
    }

    /**
     * Records point {@code p} from its run directory and {@code exit}, the run's status (-1: killed, with the
     * reason in {@code problems}): passed or failed by the summary it wrote, else an error.
     */
    private PointRecord judged(SweepPoint p, int exit, List<String> problems, Instant started, long t0, Path dir)
            throws IOException {
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

    /**
     * One job's JVM for {@code runsPerJvm} above 1 ({@code PointMain --serve}), started when a point needs it and
     * replaced after {@code runsPerJvm} runs, after a run whose status is neither 0 nor 1, and when it dies or
     * outlives a run's watchdog. Used by one job thread.
     */
    private final class Worker implements AutoCloseable {
        /** A reply that says the JVM's output ended. */
        private static final String ENDED = "";
        private final Path sweepFile;
        private final Set<Process> running;
        private Process process;
        private java.io.Writer requests;
        private BlockingQueue<String> replies;
        private int runs;

        Worker(Path sweepFile, Set<Process> running) {
            this.sweepFile = sweepFile;
            this.running = running;
        }

        PointRecord runPoint(SweepPoint p) throws IOException, InterruptedException {
            Path dir = freshRunDirectory(p);
            Instant started = Instant.now();
            long t0 = System.nanoTime();
            if (process == null) {
                try {
                    start();
                } catch (IOException e) {
                    return record(p, PointRecord.ERROR, List.of("could not start its JVM: " + e.getMessage()), -1, started, t0, dir);
                }
            }
            List<String> problems = new ArrayList<>();
            int exit;
            String reply = null;
            try {
                requests.write(p.name() + "\t" + dir.toAbsolutePath() + "\n");
                requests.flush();
                reply = replies.poll(killAfter.toMillis(), TimeUnit.MILLISECONDS);
            } catch (IOException e) {
                reply = ENDED;   // its input is closed: it has ended
            }
            if (reply == null) {
                problems.add(killed);
                exit = -1;
                stop(true);
            } else if (reply.equals(ENDED)) {
                // its output ended: it has exited, or is about to
                exit = process.waitFor(GRACE_MINUTES, TimeUnit.MINUTES) ? process.exitValue() : -1;
                if (exit < 0) {
                    problems.add("its JVM closed its output and did not exit; killed");
                }
                stop(true);
            } else {
                exit = Integer.parseInt(reply);
                runs++;
                if (runs == runsPerJvm || (exit != 0 && exit != 1)) {
                    stop(false);
                }
            }
            return judged(p, exit, problems, started, t0, dir);
        }

        private void start() throws IOException {
            ProcessBuilder pb = new ProcessBuilder(jvm.command(PointMain.class.getName(),
                    List.of("--serve", sweepFile.toAbsolutePath().toString())));
            pb.redirectError(ProcessBuilder.Redirect.appendTo(out.resolve(JVM_LOG).toFile()));
            Process started = pb.start();
            running.add(started);
            process = started;
            requests = new java.io.OutputStreamWriter(started.getOutputStream(), StandardCharsets.UTF_8);
            BlockingQueue<String> answers = new LinkedBlockingQueue<>();
            replies = answers;
            runs = 0;
            Thread reader = new Thread(() -> relay(started, answers), "mmsim-sweep-worker-output");
            reader.setDaemon(true);
            reader.start();
        }

        /** Passes the worker's answers on, and its other output to the JVM log; {@link #ENDED} at its end. */
        private void relay(Process worker, BlockingQueue<String> answers) {
            try (var lines = new java.io.BufferedReader(new java.io.InputStreamReader(worker.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = lines.readLine()) != null; ) {
                    if (line.startsWith(PointMain.DONE)) {
                        answers.add(line.substring(PointMain.DONE.length()).strip());
                    } else {
                        appendToJvmLog(line);
                    }
                }
            } catch (IOException e) {
                // the stream broke: the worker is gone, which the end below says
            }
            answers.add(ENDED);
        }

        /** Ends the JVM: by closing its input (it finishes and exits), or by force. */
        private void stop(boolean force) throws InterruptedException {
            Process p = process;
            process = null;
            if (p == null) {
                return;
            }
            try {
                requests.close();
            } catch (IOException e) {
                // already gone
            }
            if (force || !p.waitFor(GRACE_MINUTES, TimeUnit.MINUTES)) {
                kill(p);
                p.waitFor(GRACE_MINUTES, TimeUnit.MINUTES);
            }
            running.remove(p);
        }

        @Override
        public void close() throws InterruptedException {
            stop(false);
        }
    }

    private synchronized void appendToJvmLog(String line) {
        try {
            Files.writeString(out.resolve(JVM_LOG), line + System.lineSeparator(), StandardCharsets.UTF_8,
                    java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
        } catch (IOException e) {
            // the log is for reading after a crash; a run's outcome does not depend on it
        }
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
