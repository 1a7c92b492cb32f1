package mmsim.sweep;

import java.io.BufferedReader;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

import mmsim.run.Harness;
import mmsim.run.RunDirectory;
import mmsim.run.RunResult;
import mmsim.run.SetupException;

/**
 * Runs points of a sweep in a JVM started for them (what {@link SweepRunner} starts), in one of two ways:
 * <ul>
 *   <li>{@code java -cp ... mmsim.sweep.PointMain SWEEP_FILE POINT_NAME RUN_DIR}: one point, the JVM's whole output
 *   in the run's log by the caller's redirection; the exit status is the run's (below);</li>
 *   <li>{@code java -cp ... mmsim.sweep.PointMain --serve SWEEP_FILE}: a worker for {@code --runs-per-jvm}. It reads
 *   one request a line from standard input, {@code POINT_NAME<TAB>RUN_DIR}, runs it with {@code System.out} and
 *   {@code System.err} sent to {@code RUN_DIR/run.log}, and answers on standard output with one line,
 *   {@link #DONE} followed by the run's status. It ends at the end of its input, or after a status other than 0 or 1
 *   (a JVM that had an internal error is not trusted with another run).</li>
 * </ul>
 * Each run's files are written into its directory as {@code mmsim run} would (the manifest's command is the
 * equivalent {@code mmsim run} line; {@code sweep.jvm_run} in the manifest says which run of its JVM it was, 1 for
 * the first). A run's status: 0 when it passed, 1 when it failed a check, 2 when it could not start (bad input), 3
 * on an internal error. The caller writes {@code point.json}.
 */
public final class PointMain {
    /** The start of a worker's answer line: the rest is the run's status. */
    static final String DONE = "@@mmsim-point-done ";

    private PointMain() {
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    static int run(String[] args) {
        if (args.length == 2 && args[0].equals("--serve")) {
            return serve(args[1]);
        }
        if (args.length != 3) {
            System.err.println("usage: PointMain SWEEP_FILE POINT_NAME RUN_DIR | PointMain --serve SWEEP_FILE");
            return 2;
        }
        Sweep sweep;
        try {
            sweep = Sweep.load(Path.of(args[0]));
        } catch (SweepException e) {
            System.err.println("mmsim: " + e.getMessage());
            return 2;
        }
        return runPoint(sweep, args[1], Path.of(args[2]), 1);
    }

    /** The worker: requests from standard input until its end, answers on standard output. */
    private static int serve(String sweepFile) {
        Sweep sweep;
        try {
            sweep = Sweep.load(Path.of(sweepFile));
        } catch (SweepException e) {
            System.err.println("mmsim: " + e.getMessage());
            return 2;
        }
        PrintStream answers = System.out;
        PrintStream jvmErr = System.err;
        BufferedReader requests = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        int runs = 0;
        try {
            for (String line; (line = requests.readLine()) != null; ) {
                String[] request = line.split("\t", 2);
                if (request.length != 2) {
                    jvmErr.println("mmsim: a worker's request is POINT_NAME<TAB>RUN_DIR, not: " + line);
                    return 2;
                }
                Path dir = Path.of(request[1]);
                int status;
                try (PrintStream log = new PrintStream(new FileOutputStream(dir.resolve(SweepRunner.LOG).toFile()), true,
                        StandardCharsets.UTF_8)) {
                    System.setOut(log);
                    System.setErr(log);
                    status = runPoint(sweep, request[0], dir, ++runs);
                } finally {
                    System.setOut(answers);
                    System.setErr(jvmErr);
                }
                answers.println(DONE + status);
                answers.flush();
                if (status != 0 && status != 1) {
                    return status;
                }
            }
            return 0;
        } catch (IOException e) {
            jvmErr.println("mmsim: a sweep worker could not read its requests or write a run's log: " + e);
            return 3;
        }
    }

    /** Runs point {@code name} of {@code sweep} into {@code dir}, the {@code jvmRun}-th run of this JVM; returns its status. */
    private static int runPoint(Sweep sweep, String name, Path dir, int jvmRun) {
        try {
            SweepPoint p = sweep.point(name);
            if (p == null) {
                System.err.println("mmsim: sweep " + sweep.name() + " has no run " + name);
                return 2;
            }
            RunResult r = Harness.run(sweep.spec(p, sweep.runCommand(p)), dir, null);
            RunDirectory.write(dir, r);
            Map<String, Object> manifest = RunDirectory.readJson(dir.resolve("manifest.json"));
            manifest.put("sweep.jvm_run", jvmRun);
            RunDirectory.writeJson(dir.resolve("manifest.json"), manifest);
            System.out.println((r.passed() ? "passed " : "FAILED ") + p.name());
            r.problems().forEach(problem -> System.out.println("  problem: " + problem));
            return r.passed() ? 0 : 1;
        } catch (SetupException e) {
            System.err.println("mmsim: " + e.getMessage());
            return 2;
        } catch (Exception | Error e) {
            e.printStackTrace();
            return 3;
        }
    }
}
