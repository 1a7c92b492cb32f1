package mmsim.calibrate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import mmsim.calibrate.KernelMeasurements.Measurement;

class KernelProbeTest {
    @Test
    void missingGccIsAClearCalibrationException(@TempDir Path dir) {
        KernelProbe probe = new KernelProbe(dir.resolve("no-such-dir/gcc").toString());
        CalibrationException e = assertThrows(CalibrationException.class,
            () -> probe.run(dir.resolve("work"), KernelProbe.Settings.QUICK));
        assertTrue(e.getMessage().startsWith("gcc not found"), e.getMessage());
        assertTrue(e.getMessage().contains("compiles a small C program"), e.getMessage());
        assertTrue(e.getMessage().contains("apt-get install gcc"), e.getMessage());
    }

    @Test
    void aCompileErrorShowsTheCompilersOutput(@TempDir Path dir) throws IOException {
        Path compiler = script(dir.resolve("cc"), "echo 'kprobe.c:1:1: error: the fake compiler refuses' >&2", "exit 1");
        CalibrationException e = assertThrows(CalibrationException.class,
            () -> new KernelProbe(compiler.toString()).run(dir.resolve("work"), KernelProbe.Settings.QUICK));
        assertTrue(e.getMessage().startsWith("gcc could not compile kprobe.c"), e.getMessage());
        assertTrue(e.getMessage().contains("error: the fake compiler refuses"), e.getMessage());
    }

    @Test
    void aProbeThatFailsShowsItsExitStatusAndStderr(@TempDir Path dir) throws IOException {
        // The fake compiler writes, as the binary named after -o, a probe that fails the way kprobe's die() does.
        Path compiler = script(dir.resolve("cc"),
            "while [ \"$1\" != -o ]; do shift; done",
            "printf '#!/bin/sh\\necho \"kprobe: mmap: Cannot allocate memory\" >&2\\nexit 3\\n' > \"$2\"",
            "chmod +x \"$2\"");
        CalibrationException e = assertThrows(CalibrationException.class,
            () -> new KernelProbe(compiler.toString()).run(dir.resolve("work"), KernelProbe.Settings.QUICK));
        assertTrue(e.getMessage().contains("exited with status 3"), e.getMessage());
        assertTrue(e.getMessage().contains("kprobe: mmap: Cannot allocate memory"), e.getMessage());
    }

    /** Maven filters the module's resources: kprobe.c must come through byte for byte. */
    @Test
    void theShippedSourceIsKprobeCUnchanged() throws IOException {
        Path source = Path.of("src/main/resources/mmsim/calibrate/kprobe.c");
        Assumptions.assumeTrue(Files.exists(source), "not run from the workloads module directory");
        try (InputStream shipped = KernelProbe.class.getResourceAsStream(KernelProbe.SOURCE_RESOURCE)) {
            assertArrayEquals(Files.readAllBytes(source), shipped.readAllBytes());
        }
    }

    @Test
    void aQuickProbeOfThisHostGivesSaneMeasurements(@TempDir Path dir) {
        Assumptions.assumeTrue(gccOnPath(), "gcc not on PATH: the kernel probe cannot be compiled here");
        KernelMeasurements m = new KernelProbe().run(dir, KernelProbe.Settings.QUICK);

        for (String op : KernelProbe.OPS) {
            List<Long> params = op.equals("fork") ? KernelProbe.FORK_PAGES_QUICK : List.of(0L);
            for (long param : params) {
                assertTrue(m.find(op, param).isPresent() || m.skipped().containsKey(op),
                    op + " at " + param + " neither measured nor skipped; skipped: " + m.skipped());
            }
        }
        for (Measurement x : m.all()) {
            assertTrue(KernelProbe.OPS.contains(x.op()), "unknown op " + x);
            assertTrue(x.median() > 0, "median not positive: " + x);
        }
        m.find("clock_ghz", 0).ifPresent(clock -> {
            assertEquals(KernelMeasurements.UNIT_GHZ, clock.unit());
            assertTrue(clock.median() > 0.3 && clock.median() < 10, "clock out of range: " + clock);
        });
        // No ordering of the host kernel's own timings is asserted here (a fork of 16 MiB resident slower than of none, a
        // copying COW fault slower than a reusing one): they are measurements of a noisy host, which the quick probe's
        // 10 forks cannot settle. On this project's 2-core VM a clean-clone CI run measured fork of none at 583 us and of
        // 16 MiB at 465 us (2026-12-01). `mmsim calibrate` reports them; it does not assert them either.
        assertTrue(List.of("static", "dynamic").contains(m.host().get("exec_target")), m.host().toString());
        assertTrue(m.host().get("compile_command").startsWith("gcc -O2 -pthread"), m.host().toString());
        for (String key : List.of("cpu_model", "kernel", "arch", "cores", "virtualization", "thp", "kpti", "cpu_mhz", "reps")) {
            assertTrue(m.host().containsKey(key), "host fact " + key + " missing: " + m.host());
        }
    }

    private static boolean gccOnPath() {
        String path = System.getenv("PATH");
        if (path == null) {
            return false;
        }
        for (String dir : path.split(File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, KernelProbe.DEFAULT_COMPILER))) {
                return true;
            }
        }
        return false;
    }

    private static Path script(Path file, String... lines) throws IOException {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/bin/sh")), "no /bin/sh for the fake compiler");
        Files.writeString(file, "#!/bin/sh\n" + String.join("\n", lines) + "\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
        return file;
    }
}
