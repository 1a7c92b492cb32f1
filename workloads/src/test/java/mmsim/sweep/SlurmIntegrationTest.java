package mmsim.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import mmsim.cli.CommandLineTestAccess;
import mmsim.cli.CommandLineTestAccess.Outcome;

/**
 * {@code mmsim slurm --submit} on a real Slurm: scripts/slurm-local.sh installs (apt-get) and starts a one-node Slurm
 * on this machine, the small sweep goes through it as a two-task job array, and its merged table must equal the same
 * sweep run here: the same runs with the same modeled figures, bit for bit (the deterministic mode). Skipped, saying
 * why, where Slurm cannot be had (not root and not installed, no apt-get, the packages out of reach); the daemons it
 * started are stopped afterwards.
 */
class SlurmIntegrationTest {
    private static final Path SCRIPT = Path.of("..", "scripts", "slurm-local.sh").toAbsolutePath().normalize();
    /** Bounds on the waits: Slurm's start (an apt-get install the first time) and the job. */
    private static final long START_SECONDS = 600;
    private static final long JOB_SECONDS = 150;
    private static boolean startedHere;

    @TempDir
    Path tmp;

    @BeforeAll
    static void startSlurm() throws Exception {
        skipUnless(System.getProperty("os.name").startsWith("Linux"), "Slurm from Debian packages needs Linux; this is " + System.getProperty("os.name"));
        skipUnless(Files.isExecutable(SCRIPT), SCRIPT + " is missing");
        boolean wasRunning = Processes.run(List.of(SCRIPT.toString(), "status"), Map.of(), 30).status() == 0;
        long t0 = System.nanoTime();
        Processes.Result start = Processes.run(List.of(SCRIPT.toString(), "start"), Map.of(), START_SECONDS);
        System.out.printf("SlurmIntegrationTest: scripts/slurm-local.sh start took %.2f s%n%s", (System.nanoTime() - t0) / 1e9, start.output());
        skipUnless(start.status() != 3, "Slurm cannot be had here: " + start.output().strip());
        if (start.status() != 0) {
            fail("scripts/slurm-local.sh start failed (exit status " + start.status() + "): " + start.output());
        }
        startedHere = !wasRunning;
    }

    private static void skipUnless(boolean condition, String why) {
        if (!condition) {
            System.out.println("SlurmIntegrationTest SKIPPED: " + why);
        }
        Assumptions.assumeTrue(condition, why);
    }

    @AfterAll
    static void stopSlurm() throws Exception {
        if (startedHere) {
            Processes.Result stop = Processes.run(List.of(SCRIPT.toString(), "stop"), Map.of(), 60);
            System.out.print("SlurmIntegrationTest: " + stop.output());
            assertEquals(0, stop.status(), "scripts/slurm-local.sh stop: " + stop.output());
            assertEquals(1, Processes.run(List.of(SCRIPT.toString(), "status"), Map.of(), 30).status(), "the daemons are gone");
        }
    }

    @Test
    void aSweepSubmittedAsAJobArrayMergesToTheSameTableAsTheSweepRunHere() throws Exception {
        Path local = SweepFixtures.smallSweep();
        Path out = tmp.resolve("on-slurm");
        Outcome submitted = CommandLineTestAccess.mmsim("slurm", local.resolve("small.yaml").toString(), "--out", out.toString(),
                "--shards", "2", "--time", "10", "--submit");
        assertEquals(0, submitted.status(), submitted.stdout() + submitted.stderr());
        Matcher m = Pattern.compile("Submitted as Slurm job (\\d+)").matcher(submitted.stdout());
        assertTrue(m.find(), submitted.stdout());
        String job = m.group(1);

        long deadline = System.nanoTime() + JOB_SECONDS * 1_000_000_000L;
        String queue = "";
        while (System.nanoTime() < deadline) {
            queue = Processes.run(List.of("squeue", "-h", "-j", job, "-o", "%i %T %R"), Map.of(), 30).output().strip();
            if (queue.isEmpty() || queue.contains("Invalid job id")) {
                break;
            }
            Thread.sleep(500);
        }
        if (!queue.isEmpty() && !queue.contains("Invalid job id")) {
            Processes.run(List.of("scancel", job), Map.of(), 30);
            fail("Slurm job " + job + " had not ended after " + JOB_SECONDS + " s; squeue: " + queue + "; task 0's stderr: "
                    + read(out.resolve("slurm/shard-0.err")));
        }
        for (int task = 0; task < 2; task++) {
            String log = read(out.resolve("slurm/shard-" + task + ".out"));
            assertTrue(log.contains("shard " + task + "/2 of sweep small: 2 runs: 2 passed"), "task " + task + ": " + log
                    + read(out.resolve("slurm/shard-" + task + ".err")));
        }
        Outcome merged = CommandLineTestAccess.mmsim("merge", out.toString());
        assertEquals(0, merged.status(), merged.stdout() + merged.stderr());
        assertEquals(SweepFixtures.modeledTable(local.resolve("whole").resolve(Merge.FILE)), SweepFixtures.modeledTable(out.resolve(Merge.FILE)),
                "the job array's runs, modeled figures and all, equal the sweep run here");
    }

    private static String read(Path file) throws java.io.IOException {
        return Files.exists(file) ? Files.readString(file) : "(no " + file.getFileName() + ")";
    }
}
