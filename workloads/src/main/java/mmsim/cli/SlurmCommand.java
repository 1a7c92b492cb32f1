package mmsim.cli;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import mmsim.sweep.JavaCommand;
import mmsim.sweep.SlurmJob;
import mmsim.sweep.Sweep;
import mmsim.sweep.SweepException;

/** {@code mmsim slurm FILE}: a sweep as a Slurm job array script, and optionally its submission. */
@Command(name = "slurm", mixinStandardHelpOptions = true,
        description = {"Write an sbatch job-array script for a sweep file: one array task per shard (tasks 0..N-1 run "
                + "'mmsim sweep FILE --shard $SLURM_ARRAY_TASK_ID/N'), output and error files per task under <out>/slurm/. "
                + "With --submit, submit it and print the job id and the merge command."})
final class SlurmCommand implements Callable<Integer> {
    @Parameters(paramLabel = "FILE", description = "The sweep file (YAML).")
    Path file;

    @Option(names = "--out", paramLabel = "DIR", description = "Where the runs go, on a file system every node sees (default: runs/<sweep name>).")
    Path out;

    @Option(names = "--partition", paramLabel = "P", description = "Slurm partition (default: the cluster's default).")
    String partition;

    @Option(names = "--time", paramLabel = "T", description = "Time limit per array task, in Slurm's syntax (MM, HH:MM:SS, D-HH:MM, ...; "
            + "default: every run of the task reaching its watchdog, plus 10 minutes).")
    String time;

    @Option(names = "--cpus-per-task", paramLabel = "C", description = "Cores per array task (default: --jobs, one per run: right for the "
            + "deterministic mode; runs in the default mode use as many host slots as they see cores).")
    Integer cpusPerTask;

    @Option(names = "--shards", paramLabel = "N", description = "Array tasks (default: one per run, at most 1000, Slurm's default MaxArraySize).")
    Integer shards;

    @Option(names = "--jobs", paramLabel = "J", defaultValue = "1", description = "Runs at a time in each task (default: ${DEFAULT-VALUE}).")
    int jobs;

    @Option(names = "--runs-per-jvm", paramLabel = "N", defaultValue = "1", description = "Runs one after another in each JVM a task's "
            + "job starts, as mmsim sweep's --runs-per-jvm (default: ${DEFAULT-VALUE}).")
    int runsPerJvm;

    @Option(names = "--mem", paramLabel = "SIZE", description = "Memory per array task in Slurm's syntax (4096M, 8G; default: per run at a time, "
            + "the sweep's largest simulated memory plus 1 GiB, and 512 MiB).")
    String mem;

    @Option(names = "--submit", description = "Submit the script with sbatch; print the job id and the merge command.")
    boolean submit;

    @Override
    public Integer call() throws Exception {
        Sweep sweep = SweepCommand.load(file);
        int runs = sweep.points().size();
        int n = shards != null ? shards : SlurmJob.defaultShards(sweep);
        if (n < 1 || n > Math.min(runs, SlurmJob.MAX_SHARDS)) {
            throw new Main.BadInput("--shards: '" + n + "' is not allowed; allowed: 1 to " + Math.min(runs, SlurmJob.MAX_SHARDS)
                    + " (the sweep has " + runs + " runs; Slurm's default MaxArraySize allows " + SlurmJob.MAX_SHARDS + " tasks)");
        }
        if (jobs < 1) {
            throw new Main.BadInput("--jobs: '" + jobs + "' is not allowed; allowed: a whole number of runs at a time from 1");
        }
        if (runsPerJvm < 1) {
            throw new Main.BadInput("--runs-per-jvm: '" + runsPerJvm + "' is not allowed; allowed: a whole number of runs from 1");
        }
        int cpus = cpusPerTask != null ? cpusPerTask : jobs;
        if (cpus < 1) {
            throw new Main.BadInput("--cpus-per-task: '" + cpus + "' is not allowed; allowed: a whole number from 1");
        }
        String t = time != null ? time.trim() : SlurmJob.defaultTime(sweep, n, jobs);
        if (!t.matches("\\d+|\\d+:\\d{1,2}(:\\d{1,2})?|\\d+-\\d+(:\\d{1,2}(:\\d{1,2})?)?")) {
            throw new Main.BadInput("--time: '" + time + "' is not allowed; allowed: Slurm's time syntax: MM, MM:SS, HH:MM:SS, D-HH, D-HH:MM or D-HH:MM:SS");
        }
        long memMiB = mem != null ? mebibytes(mem) : SlurmJob.defaultMemoryMiB(sweep, jobs);
        Path sbatch = submit ? onPath("sbatch") : null;
        if (submit && sbatch == null) {
            throw new Main.BadInput("--submit: sbatch is not on PATH (no Slurm here); run without --submit to write the script only, "
                    + "or start a one-node Slurm with scripts/slurm-local.sh start");
        }
        Path dir = out != null ? out : Path.of("runs", sweep.name());
        SlurmJob job = new SlurmJob(sweep, dir, n, jobs, runsPerJvm, cpus, memMiB, t, partition);
        Path script;
        try {
            script = job.write(JavaCommand.current());
        } catch (SweepException e) {
            throw new Main.BadInput(e.getMessage());
        }
        System.out.printf("mmsim slurm %s: %s; %d array tasks (0..%d), each %d run(s) at a time, --cpus-per-task %d, --mem %dM, --time %s%n",
                sweep.name(), SweepCommand.describe(sweep), n, n - 1, jobs, cpus, memMiB, t);
        System.out.println("Wrote " + script);
        if (!submit) {
            System.out.println("Submit it: sbatch " + script + "   When every task has ended: mmsim merge " + dir);
            return 0;
        }
        ProcessBuilder pb = new ProcessBuilder(sbatch.toString(), "--parsable", script.toAbsolutePath().toString());
        pb.redirectErrorStream(true);
        Process p = pb.start();
        String output;
        try (var in = p.getInputStream()) {
            output = new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
        }
        if (!p.waitFor(2, TimeUnit.MINUTES) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new Main.BadInput("--submit: sbatch refused the job: " + output.replace('\n', ' ') + " (the script: " + script + ")");
        }
        String jobId = output.lines().reduce((a, b) -> b).orElse("").split(";")[0].strip();
        System.out.println("Submitted as Slurm job " + jobId + " (array tasks " + jobId + "_0.." + jobId + "_" + (n - 1) + ")");
        System.out.println("Watch it: squeue -j " + jobId + "   Its tasks' output: " + SlurmJob.folder(dir) + "/shard-<task>.out");
        System.out.println("When it has ended: mmsim merge " + dir);
        return 0;
    }

    /** Slurm's memory syntax (a number, MiB unless suffixed K, M, G or T) in MiB. */
    static long mebibytes(String text) {
        String t = text.trim().toUpperCase(Locale.ROOT);
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+)([KMGT]?)").matcher(t);
        if (!m.matches()) {
            throw new Main.BadInput("--mem: '" + text + "' is not allowed; allowed: Slurm's memory syntax, a whole number with K, M, G or T "
                    + "(M when none), e.g. 4096M or 8G");
        }
        long v = Long.parseLong(m.group(1));
        long mib = switch (m.group(2)) {
            case "K" -> (v + 1023) / 1024;
            case "G" -> v * 1024;
            case "T" -> v * 1024 * 1024;
            default -> v;
        };
        if (mib < 1) {
            throw new Main.BadInput("--mem: '" + text + "' is not allowed; allowed: at least 1M");
        }
        return mib;
    }

    /** {@code program} in a directory of PATH, or null. */
    static Path onPath(String program) {
        String path = System.getenv("PATH");
        if (path == null) {
            return null;
        }
        for (String d : path.split(File.pathSeparator)) {
            Path candidate = Path.of(d.isEmpty() ? "." : d, program);
            if (Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        return null;
    }

}
