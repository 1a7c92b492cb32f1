package mmsim.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import mmsim.cli.CommandLineTestAccess;
import mmsim.cli.CommandLineTestAccess.Outcome;

/**
 * {@code mmsim slurm} without a cluster: the script it writes (array, shard numbering, per-task files, resources), that
 * script run as an array task would be, and {@code --submit} against a stand-in sbatch and with none on PATH. The
 * real Slurm is {@link SlurmIntegrationTest}'s.
 */
class SlurmScriptTest {
    @TempDir
    Path tmp;

    @Test
    void theScriptIsAJobArrayOfOneTaskPerShardWithItsResources() throws Exception {
        Path file = SweepFixtures.write(tmp, "small.yaml", SweepFixtures.SMALL);
        Path out = tmp.resolve("out");
        Outcome o = CommandLineTestAccess.mmsim("slurm", file.toString(), "--out", out.toString(), "--shards", "3", "--partition", "short",
                "--time", "0:20:00", "--cpus-per-task", "2", "--jobs", "2", "--mem", "3G", "--runs-per-jvm", "5");
        assertEquals(0, o.status(), o.stdout() + o.stderr());
        Path script = out.resolve("slurm").resolve("small.sbatch");
        assertTrue(o.stdout().contains("Wrote " + script) && o.stdout().contains("mmsim merge " + out), o.stdout());
        String text = Files.readString(script, StandardCharsets.UTF_8);
        Path abs = out.toAbsolutePath().normalize();
        for (String line : List.of("#!/bin/bash", "#SBATCH --job-name=mmsim-small", "#SBATCH --array=0-2",
                "#SBATCH --output=" + abs + "/slurm/shard-%a.out", "#SBATCH --error=" + abs + "/slurm/shard-%a.err",
                "#SBATCH --cpus-per-task=2", "#SBATCH --mem=3072M", "#SBATCH --time=0:20:00", "#SBATCH --partition=short",
                "#SBATCH --chdir=" + abs, "shard=\"${SLURM_ARRAY_TASK_ID:?not run as a Slurm array task}/3\"")) {
            assertTrue(text.lines().anyMatch(l -> l.equals(line)), "has the line " + line + ":\n" + text);
        }
        String exec = text.lines().filter(l -> l.startsWith("exec ")).findFirst().orElseThrow();
        assertTrue(exec.endsWith(" mmsim.cli.Main sweep " + abs + "/sweep.yaml --out " + abs + " --shard \"$shard\" --jobs 2 --runs-per-jvm 5"),
                exec);
        assertTrue(exec.contains(" -cp "), exec);
        assertTrue(Files.isExecutable(script));
        assertTrue(Files.isRegularFile(out.resolve("sweep.yaml")), "the sweep file travels with the output");
    }

    @Test
    void withoutOptionsEachRunIsATaskWithItsWatchdogAndMemory() throws Exception {
        Path file = SweepFixtures.write(tmp, "small.yaml", SweepFixtures.SMALL);
        Outcome o = CommandLineTestAccess.mmsim("slurm", file.toString(), "--out", tmp.resolve("out").toString());
        assertEquals(0, o.status(), o.stdout() + o.stderr());
        String text = Files.readString(tmp.resolve("out/slurm/small.sbatch"));
        assertTrue(text.contains("#SBATCH --array=0-3\n"), "one task per run");
        assertTrue(text.contains("#SBATCH --cpus-per-task=1\n"), text);
        assertTrue(text.contains(" --shard \"$shard\" --jobs 1\n"), "every run in a JVM of its own by default: " + text);
        assertTrue(text.contains("#SBATCH --time=0:15:00\n"), "one run reaching its 3-minute watchdog, 2 minutes' grace, 10 minutes: " + text);
        assertTrue(text.contains("#SBATCH --mem=1600M\n"), "64 MiB simulated + 1 GiB for the run's JVM + 512 MiB for the task's: " + text);
        assertTrue(!text.contains("--partition"), "the cluster's default partition");
    }

    @Test
    void theScriptRunsItsShardWhenRunAsAnArrayTask() throws Exception {
        Path file = SweepFixtures.write(tmp, "small.yaml", SweepFixtures.SMALL);
        Path out = tmp.resolve("out");
        assertEquals(0, CommandLineTestAccess.mmsim("slurm", file.toString(), "--out", out.toString(), "--shards", "2").status());
        Processes.Result task = Processes.run(List.of("bash", out.resolve("slurm/small.sbatch").toString()), Map.of("SLURM_ARRAY_TASK_ID", "1"), 120);
        assertEquals(0, task.status(), task.output());
        assertTrue(task.output().contains("shard 1/2"), task.output());
        Sweep sweep = Sweep.load(file);
        try (Stream<Path> dirs = Files.list(out)) {
            assertEquals(sweep.points(new Shard(1, 2)).stream().map(SweepPoint::name).sorted().toList(),
                    dirs.filter(d -> Files.isRegularFile(d.resolve(PointRecord.FILE))).map(d -> d.getFileName().toString()).sorted().toList());
        }
        Processes.Result notATask = Processes.run(List.of("bash", out.resolve("slurm/small.sbatch").toString()), Map.of(), 30);
        assertTrue(notATask.status() != 0 && notATask.output().contains("not run as a Slurm array task"), notATask.output());
    }

    @Test
    void submitPrintsTheJobIdAndTheMergeCommand() throws Exception {
        Path bin = Files.createDirectories(tmp.resolve("bin"));
        Path calls = tmp.resolve("sbatch-calls");
        Path sbatch = bin.resolve("sbatch");
        Files.writeString(sbatch, "#!/bin/sh\necho \"$@\" >> '" + calls + "'\necho 4242\n");
        Files.setPosixFilePermissions(sbatch, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path file = SweepFixtures.write(tmp, "small.yaml", SweepFixtures.SMALL);
        Path out = tmp.resolve("out");
        Processes.Result r = Processes.mmsim(Map.of("PATH", bin + ":" + System.getenv("PATH")), "slurm", file.toString(), "--out", out.toString(),
                "--submit");
        assertEquals(0, r.status(), r.output());
        assertTrue(r.output().contains("Submitted as Slurm job 4242"), r.output());
        assertTrue(r.output().contains("When it has ended: mmsim merge " + out), r.output());
        assertEquals("--parsable " + out.resolve("slurm/small.sbatch").toAbsolutePath(), Files.readString(calls).strip());
    }

    @Test
    void slurmLocalStartedWithoutRootSaysSlurmCannotBeHadWithStatusThree() throws Exception {
        Path script = Path.of("..", "scripts", "slurm-local.sh").toAbsolutePath().normalize();
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/sbin/runuser")) && "root".equals(System.getProperty("user.name")),
                "needs root and runuser to run the script as another user");
        Path state = Files.createTempDirectory(Path.of("/tmp"), "mmsim-slurm-nobody");
        Files.setPosixFilePermissions(state, PosixFilePermissions.fromString("rwxrwxrwx"));
        Processes.Result r = Processes.run(List.of("/usr/sbin/runuser", "-u", "nobody", "--", "env", "MMSIM_SLURM_DIR=" + state, script.toString(),
                "start"), Map.of(), 60);
        SweepFixtures.deleteTree(state);
        assertEquals(3, r.status(), "the status SlurmIntegrationTest skips on: " + r.output());
        assertTrue(r.output().contains("slurm-local: ") && r.output().contains("root"), r.output());
    }

    @Test
    void submitWithoutSbatchIsBadInputAndWritesNothing() throws Exception {
        Path file = SweepFixtures.write(tmp, "small.yaml", SweepFixtures.SMALL);
        Path out = tmp.resolve("out");
        Processes.Result r = Processes.mmsim(Map.of("PATH", tmp.resolve("empty").toString()), "slurm", file.toString(), "--out", out.toString(),
                "--submit");
        assertEquals(2, r.status(), r.output());
        assertTrue(r.output().strip().startsWith("mmsim: --submit: sbatch is not on PATH") && r.output().contains("scripts/slurm-local.sh"),
                r.output());
        assertTrue(!Files.exists(out), "nothing written");
    }
}
