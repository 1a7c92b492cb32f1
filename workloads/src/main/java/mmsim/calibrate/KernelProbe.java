package mmsim.calibrate;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Measures the host's Linux kernel: extracts the C program {@code kprobe.c} into a work directory,
 * compiles it with gcc ({@code gcc -O2 -pthread -static -o kprobe kprobe.c}, or without
 * {@code -static} where static linking fails), runs it with a timeout and parses its output into
 * {@link KernelMeasurements}.
 *
 * <h2>What it measures</h2>
 * The op names are a contract with the fitting code ({@link #OPS}). Every sample is in ns except
 * clock_ghz's (GHz); param is 0 except for fork.
 * <ul>
 *   <li>{@code clock_ghz}: the core clock, from a chain of dependent adds (one per cycle).</li>
 *   <li>{@code null_syscall}: {@code getppid()}; a sample is a batch of 64 / 64.</li>
 *   <li>{@code page_zero}, {@code page_copy}: memset of a page, memcpy of a page to another, at
 *       cache-cold addresses (a buffer of 256 MiB walked round; 64 MiB with quick); batches of 16 / 16.</li>
 *   <li>{@code fault_demand_zero}: the first write to a page of a fresh anonymous private mapping.</li>
 *   <li>{@code fault_cow_copy}: a write to a page that a forked child still maps (a copy).</li>
 *   <li>{@code fault_cow_reuse}: a write to such a page after the child exited (Linux reuses it).
 *       The fault ops time batches of 64 faults / 64; every fault is one base page (THP is off for the
 *       regions).</li>
 *   <li>{@code fork}: fork() as the parent sees it, with param pages faulted in an extra private
 *       mapping ({@link #FORK_PAGES}; {@link #FORK_PAGES_QUICK} with quick).</li>
 *   <li>{@code exec}: from just before execve() in a forked child to main() of the new image (kprobe
 *       itself, linked statically if it could be: host fact {@code exec_target}).</li>
 *   <li>{@code mmap}, {@code munmap}, {@code mprotect} (to read-only), {@code madvise_dontneed}: one
 *       call on one page (written first, but for mmap).</li>
 *   <li>{@code munmap_sibling}, {@code mprotect_sibling}, {@code madvise_dontneed_sibling}: the same
 *       while a thread of the process spins in user space on another CPU, so each call sends it a
 *       TLB-shootdown IPI (each sample waits until the sibling is seen spinning).</li>
 *   <li>{@code membarrier_alone}: membarrier(PRIVATE_EXPEDITED) with no other thread running (no IPI);
 *       {@code ipi_roundtrip}: the same with the spinning sibling thread (one IPI there and back).</li>
 *   <li>{@code context_switch}: two processes on one CPU ping-pong a byte over two pipes; a sample is
 *       a round trip / 2, so it includes one pipe write and one pipe read (lmbench lat_ctx style).</li>
 * </ul>
 * The measuring thread is pinned to the first CPU the process may use, the sibling to the second. With
 * only one CPU the sibling ops and ipi_roundtrip are skipped; without membarrier, membarrier_alone and
 * ipi_roundtrip are. A skipped op is listed in {@link KernelMeasurements#skipped()} with the reason.
 *
 * <h2>Output format</h2>
 * One record a line, comma-separated:
 * <pre>
 * host,&lt;key&gt;,&lt;value&gt;            a fact: cpu_model, cpu_mhz, kernel, arch, cores, loadavg_start,
 *                               virtualization, thp, kpti, llc, exec_target, page_size, measure_cpu,
 *                               sibling_cpu, the repetition settings, clock_read_ns, loadavg_end,
 *                               probe_wall_ms
 * unit,&lt;op&gt;,&lt;unit&gt;              the unit of the op's samples (GHz or ns)
 * sample,&lt;op&gt;,&lt;param&gt;,&lt;value&gt;   one sample
 * skipped,&lt;op&gt;,&lt;reason&gt;         the op could not be measured here
 * </pre>
 * This class adds the host fact {@code compile_command}. The work directory keeps kprobe.c, the
 * binary, {@code kprobe.stdout} and {@code kprobe.stderr} for inspection.
 *
 * <p>Immutable and safe to share, but two runs at once would disturb each other's timings; never give
 * two runs the same work directory.
 */
public final class KernelProbe {
    /** The compiler run when none is given: gcc from the PATH. */
    public static final String DEFAULT_COMPILER = "gcc";

    /** Every op the probe measures or reports as skipped, in the order it runs them. */
    public static final List<String> OPS = List.of("clock_ghz", "null_syscall", "mmap", "munmap", "mprotect",
        "madvise_dontneed", "munmap_sibling", "mprotect_sibling", "madvise_dontneed_sibling", "membarrier_alone",
        "ipi_roundtrip", "context_switch", "page_zero", "page_copy", "fault_demand_zero", "fault_cow_copy",
        "fault_cow_reuse", "fork", "exec");

    /** The fork op's params (resident pages: 0, 4, 16, 64, 256 MiB) in a full run. */
    public static final List<Long> FORK_PAGES = List.of(0L, 1024L, 4096L, 16384L, 65536L);

    /** The fork op's params in a quick run. */
    public static final List<Long> FORK_PAGES_QUICK = List.of(0L, 1024L, 4096L);

    /** How long compiling may take before it counts as failed. */
    public static final Duration COMPILE_TIMEOUT = Duration.ofMinutes(2);

    static final String SOURCE_RESOURCE = "/mmsim/calibrate/kprobe.c";

    private static final String SOURCE = "kprobe.c";
    private static final String BINARY = "kprobe";
    private static final int TAIL_LINES = 20;
    private static final int TAIL_CHARS = 4000;

    /**
     * How much the probe measures.
     *
     * @param quick   fewer samples and smaller regions: about a second (for tests)
     * @param reps    the base repetition count, from 10 to 10,000,000, or 0 for the probe's default
     *                (1000, 100 with quick); single-call ops take reps samples, fault ops reps/2
     *                batches, fork and exec reps/10, clock_ghz reps/20
     * @param timeout how long the probe may run before it is killed
     */
    public record Settings(boolean quick, int reps, Duration timeout) {
        /** The probe's default repetitions, full regions, a ten-minute timeout. */
        public static final Settings FULL = new Settings(false, 0, Duration.ofMinutes(10));
        /** Quick: about a second, a one-minute timeout. */
        public static final Settings QUICK = new Settings(true, 0, Duration.ofMinutes(1));

        public Settings {
            if (reps != 0 && (reps < 10 || reps > 10_000_000)) {
                throw new IllegalArgumentException("reps must be 0 (the default) or from 10 to 10000000: " + reps);
            }
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("timeout must be positive: " + timeout);
            }
        }

        /** These settings with {@code reps} (0 for the probe's default). */
        public Settings withReps(int reps) {
            return new Settings(quick, reps, timeout);
        }

        /** These settings with {@code timeout}. */
        public Settings withTimeout(Duration timeout) {
            return new Settings(quick, reps, timeout);
        }

        List<String> arguments() {
            List<String> args = new ArrayList<>();
            if (quick) {
                args.add("--quick");
            }
            if (reps != 0) {
                args.add("--reps");
                args.add(Integer.toString(reps));
            }
            return args;
        }
    }

    private final String compiler;

    /** A probe compiled with gcc from the PATH. */
    public KernelProbe() {
        this(DEFAULT_COMPILER);
    }

    /** A probe compiled with {@code compiler}: a command on the PATH or a path to gcc (or a compatible cc). */
    public KernelProbe(String compiler) {
        this.compiler = compiler;
    }

    /**
     * Compiles and runs the probe in {@code workDir} (created if missing) and parses its output.
     *
     * @throws CalibrationException if the compiler is not found, kprobe.c does not compile, the probe
     *         exits with a non-zero status or outlives {@code settings.timeout()}, its output is
     *         malformed, or the work directory cannot be written
     */
    public KernelMeasurements run(Path workDir, Settings settings) {
        try {
            Files.createDirectories(workDir);
            extractSource(workDir);
        } catch (IOException e) {
            throw new CalibrationException("cannot write kprobe.c into the work directory " + workDir + ": " + e.getMessage(), e);
        }
        List<String> compileCommand = compile(workDir);
        String stdout = runProbe(workDir, settings);
        return KernelMeasurements.parse(stdout).withHost("compile_command", String.join(" ", compileCommand));
    }

    private static void extractSource(Path workDir) throws IOException {
        try (InputStream in = KernelProbe.class.getResourceAsStream(SOURCE_RESOURCE)) {
            if (in == null) {
                throw new IOException("the resource " + SOURCE_RESOURCE + " is missing from the class path");
            }
            Files.copy(in, workDir.resolve(SOURCE), StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** Compiles statically if that links, else dynamically; returns the command that worked. */
    private List<String> compile(Path workDir) {
        List<String> staticCommand = List.of(compiler, "-O2", "-pthread", "-static", "-o", BINARY, SOURCE);
        if (runCompiler(workDir, staticCommand) == 0) {
            return staticCommand;
        }
        List<String> dynamicCommand = List.of(compiler, "-O2", "-pthread", "-o", BINARY, SOURCE);
        if (runCompiler(workDir, dynamicCommand) == 0) {
            return dynamicCommand;
        }
        throw new CalibrationException("gcc could not compile kprobe.c (" + String.join(" ", dynamicCommand) + " in " + workDir
            + "); its output ends:\n" + tail(workDir.resolve("compile.log")));
    }

    private int runCompiler(Path workDir, List<String> command) {
        ProcessBuilder builder = new ProcessBuilder(command).directory(workDir.toFile()).redirectErrorStream(true)
            .redirectOutput(workDir.resolve("compile.log").toFile());
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new CalibrationException("gcc not found ('" + compiler + "': " + e.getMessage() + "). mmsim calibrate"
                + " compiles a small C program (kprobe.c) with it to measure this host's kernel; install it"
                + " (Debian/Ubuntu: apt-get install gcc) and run again.", e);
        }
        return await(process, COMPILE_TIMEOUT, "gcc compiling kprobe.c");
    }

    private static String runProbe(Path workDir, Settings settings) {
        List<String> command = new ArrayList<>();
        command.add(workDir.resolve(BINARY).toAbsolutePath().toString());
        command.addAll(settings.arguments());
        Path stdout = workDir.resolve(BINARY + ".stdout");
        Path stderr = workDir.resolve(BINARY + ".stderr");
        ProcessBuilder builder = new ProcessBuilder(command).directory(workDir.toFile())
            .redirectOutput(stdout.toFile()).redirectError(stderr.toFile());
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new CalibrationException("cannot start the compiled probe " + command.get(0) + ": " + e.getMessage(), e);
        }
        int status = await(process, settings.timeout(), "the kernel probe");
        if (status != 0) {
            throw new CalibrationException("the kernel probe (" + String.join(" ", command) + ") exited with status " + status
                + "; its stderr ends:\n" + tail(stderr));
        }
        try {
            return Files.readString(stdout, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new CalibrationException("cannot read the kernel probe's output " + stdout + ": " + e.getMessage(), e);
        }
    }

    /** Waits for {@code process}; kills it and everything it started if it outlives the timeout. */
    private static int await(Process process, Duration timeout, String what) {
        try {
            if (process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                return process.exitValue();
            }
            kill(process);
            throw new CalibrationException(what + " did not finish within " + timeout + " and was killed");
        } catch (InterruptedException e) {
            kill(process);
            Thread.currentThread().interrupt();
            throw new CalibrationException("interrupted while waiting for " + what, e);
        }
    }

    private static void kill(Process process) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
    }

    /** The last lines of a log, for an error message. */
    private static String tail(Path log) {
        try {
            List<String> lines = new String(Files.readAllBytes(log), StandardCharsets.UTF_8).lines().toList();
            String text = String.join("\n", lines.subList(Math.max(0, lines.size() - TAIL_LINES), lines.size()));
            String tail = text.length() > TAIL_CHARS ? "..." + text.substring(text.length() - TAIL_CHARS) : text;
            return tail.isEmpty() ? "(nothing)" : tail;
        } catch (IOException e) {
            return "(" + log + " unreadable: " + e.getMessage() + ")";
        }
    }
}
