package mmsim.sweep;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import mmsim.run.RunSpec;
import mmsim.run.SetupException;

/**
 * A sweep as a Slurm job array: one array task per shard, tasks numbered {@code 0..shards-1} like
 * {@link Shard}, each running {@code mmsim sweep SWEEP --out OUT --shard $SLURM_ARRAY_TASK_ID/shards --jobs J}
 * (and {@code --runs-per-jvm N} when {@code runsPerJvm} is above 1)
 * with this JVM and code (a shaded jar is first copied to {@code OUT/slurm/mmsim.jar}, so that a rebuild while
 * the job waits changes nothing). Each task writes {@code OUT/slurm/shard-<task>.out} and {@code .err}. The
 * resources a task asks for: {@code cpus} cores; {@code memory} (by default {@link #defaultMemoryMiB}: per run
 * at a time, the largest simulated memory of the sweep's runs, an upper bound since frames are taken from the
 * host only when touched, plus 1 GiB for its JVM, and 512 MiB for the task's own JVM); {@code time} (by default
 * {@link #defaultTime}: every run of the task reaching its watchdog, plus 10 minutes). Immutable.
 *
 * @param runsPerJvm runs one after another in each JVM a task's job starts ({@code mmsim sweep --runs-per-jvm})
 * @param partition the partition, or null for the cluster's default
 * @param time      Slurm's {@code --time}, e.g. {@code 1:30:00}
 * @param memoryMiB Slurm's {@code --mem} in MiB
 */
public record SlurmJob(Sweep sweep, Path out, int shards, int jobs, int runsPerJvm, int cpus, long memoryMiB, String time,
                       String partition) {
    /** Slurm's default MaxArraySize is 1001: array indices 0..1000. */
    public static final int MAX_SHARDS = 1000;

    /** The folder under the sweep's output that holds the script, the jar and the tasks' output. */
    public static Path folder(Path out) {
        return out.resolve("slurm");
    }

    /** One shard per run, at most {@link #MAX_SHARDS}. */
    public static int defaultShards(Sweep sweep) {
        return Math.min(sweep.points().size(), MAX_SHARDS);
    }

    /** See the class comment. */
    public static long defaultMemoryMiB(Sweep sweep, int jobs) {
        long largest = 0;
        for (SweepPoint p : sweep.points()) {
            try {
                RunSpec s = sweep.spec(p, List.of());
                largest = Math.max(largest, s.machine().memoryBytes());
            } catch (SetupException e) {
                throw new IllegalStateException("a loaded sweep's run does not resolve: " + e.getMessage(), e);
            }
        }
        return jobs * ((largest >> 20) + 1024) + 512;
    }

    /** See the class comment: {@code H:MM:00}. */
    public static String defaultTime(Sweep sweep, int shards, int jobs) {
        int perShard = (sweep.points().size() + shards - 1) / shards;
        long waves = (perShard + jobs - 1) / jobs;
        long minutes = waves * (sweep.timeoutMinutes() + SweepRunner.GRACE_MINUTES) + 10;
        return String.format(java.util.Locale.ROOT, "%d:%02d:00", minutes / 60, minutes % 60);
    }

    /** The script's path. */
    public Path scriptPath() {
        return folder(out).resolve(sweep.name() + ".sbatch");
    }

    /**
     * Writes the sweep file's copy, the jar's copy (when the code is one jar) and the script; returns the script.
     *
     * @throws SweepException when the output directory holds another sweep or cannot be written
     */
    public Path write(JavaCommand jvm) throws SweepException, IOException {
        Path sweepCopy = SweepRunner.prepareOutput(sweep, out).toAbsolutePath();
        Path folder = folder(out);
        Files.createDirectories(folder);
        JavaCommand command = jvm;
        Path jar = jvm.singleJar();
        if (jar != null) {
            Path pinned = folder.resolve("mmsim.jar").toAbsolutePath();
            Path tmp = Files.createTempFile(folder, "mmsim.jar", ".tmp");
            Files.copy(jar, tmp, StandardCopyOption.REPLACE_EXISTING);
            Files.move(tmp, pinned, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            command = jvm.withClassPath(pinned.toString());
        }
        Path script = scriptPath();
        Files.writeString(script, script(command, sweepCopy), StandardCharsets.UTF_8);
        try {
            Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        } catch (UnsupportedOperationException e) {
            // not a POSIX file system: sbatch reads the script either way
        }
        return script;
    }

    /** The sbatch script's text. */
    String script(JavaCommand command, Path sweepCopy) {
        Path absOut = out.toAbsolutePath().normalize();
        Path logs = folder(absOut);
        List<String> lines = new ArrayList<>();
        lines.add("#!/bin/bash");
        lines.add("# mmsim sweep '" + sweep.name() + "' (" + sweep.points().size() + " runs) as a Slurm job array: one task per shard, "
                + shards + " shards numbered 0.." + (shards - 1) + " as mmsim's --shard i/N.");
        lines.add("# Written by 'mmsim slurm' on " + SweepRunner.hostName() + " at " + Instant.now() + ".");
        lines.add("# Submit with: sbatch " + quote(scriptPath().toAbsolutePath().normalize().toString())
                + "   When every task has ended: mmsim merge " + quote(absOut.toString()));
        lines.add("# A task that is run again (requeued, or resubmitted) skips the runs its shard already completed.");
        lines.add("#SBATCH --job-name=" + jobName());
        lines.add("#SBATCH --array=0-" + (shards - 1));
        lines.add("#SBATCH --output=" + logs.resolve("shard-%a.out"));
        lines.add("#SBATCH --error=" + logs.resolve("shard-%a.err"));
        lines.add("#SBATCH --ntasks=1");
        lines.add("#SBATCH --cpus-per-task=" + cpus);
        lines.add("#SBATCH --mem=" + memoryMiB + "M");
        lines.add("#SBATCH --time=" + time);
        if (partition != null) {
            lines.add("#SBATCH --partition=" + partition);
        }
        lines.add("#SBATCH --chdir=" + absOut);
        lines.add("set -euo pipefail");
        lines.add("shard=\"${SLURM_ARRAY_TASK_ID:?not run as a Slurm array task}/" + shards + "\"");
        List<String> java = command.command("mmsim.cli.Main", List.of());
        StringBuilder exec = new StringBuilder("exec");
        for (String part : java) {
            exec.append(' ').append(quote(part));
        }
        exec.append(" sweep ").append(quote(sweepCopy.toString())).append(" --out ").append(quote(absOut.toString()))
                .append(" --shard \"$shard\" --jobs ").append(jobs);
        if (runsPerJvm > 1) {
            exec.append(" --runs-per-jvm ").append(runsPerJvm);
        }
        lines.add(exec.toString());
        return String.join("\n", lines) + "\n";
    }

    /** The job's name: {@code mmsim-<sweep name>}, in characters Slurm shows as they are. */
    public String jobName() {
        return "mmsim-" + sweep.name().replaceAll("[^A-Za-z0-9._-]", "_");
    }

    /** {@code s} in single quotes for bash, unless it needs none. */
    static String quote(String s) {
        if (s.matches("[A-Za-z0-9_./:=,+%@-]+")) {
            return s;
        }
        return "'" + s.replace("'", "'\\''") + "'";
    }
}
