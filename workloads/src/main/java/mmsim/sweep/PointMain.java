package mmsim.sweep;

import java.nio.file.Path;

import mmsim.run.Harness;
import mmsim.run.RunDirectory;
import mmsim.run.RunResult;
import mmsim.run.SetupException;

/**
 * Runs one point of a sweep in a JVM of its own (what {@link SweepRunner} starts for each run):
 * {@code java -cp ... mmsim.sweep.PointMain SWEEP_FILE POINT_NAME RUN_DIR}. It writes the run's files into
 * {@code RUN_DIR} as {@code mmsim run} would (the manifest's command is the equivalent {@code mmsim run} line)
 * and exits 0 when the run passed, 1 when it failed a check, 2 when it could not start (bad input), 3 on an
 * internal error. The caller writes {@code point.json}.
 */
public final class PointMain {
    private PointMain() {
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    static int run(String[] args) {
        if (args.length != 3) {
            System.err.println("usage: PointMain SWEEP_FILE POINT_NAME RUN_DIR");
            return 2;
        }
        try {
            Sweep sweep = Sweep.load(Path.of(args[0]));
            SweepPoint p = sweep.point(args[1]);
            if (p == null) {
                System.err.println("mmsim: sweep " + sweep.name() + " has no run " + args[1]);
                return 2;
            }
            Path dir = Path.of(args[2]);
            RunResult r = Harness.run(sweep.spec(p, sweep.runCommand(p)), dir, null);
            RunDirectory.write(dir, r);
            System.out.println((r.passed() ? "passed " : "FAILED ") + p.name());
            r.problems().forEach(problem -> System.out.println("  problem: " + problem));
            return r.passed() ? 0 : 1;
        } catch (SweepException | SetupException e) {
            System.err.println("mmsim: " + e.getMessage());
            return 2;
        } catch (Exception | Error e) {
            e.printStackTrace();
            return 3;
        }
    }
}
