package mmsim.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The {@code mmsim} command line: {@code run}, {@code compare}, {@code list}, the calibration commands, the sweep
 * commands ({@code sweep}, {@code merge}, {@code slurm}, {@code plot}), and with no command the
 * default experiment ({@code compare snapshot munmap} on 4 simulated CPUs under every shootdown
 * strategy). Exit status: 0 when every run passed, 1 when a run failed a check (an oracle, a workload's
 * own condition, a leaked frame, a hang), 2 for bad input (an unknown workload, strategy or setting, an
 * invalid value, memory the host cannot reserve, a workload class that cannot be loaded), with one line
 * on stderr that names the culprit and what is allowed.
 */
@Command(name = "mmsim", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = {"A concurrent multi-core memory-management simulator: named workloads under named fork and "
                + "shootdown strategies, with a run directory for every run.",
                "",
                "With no command: the default experiment, 'compare snapshot munmap --cpus 4 --shootdown all'; "
                        + "machine settings may follow as key=value (e.g. 'mmsim cpus=8 memory=1GiB')."},
        subcommands = {RunCommand.class, CompareCommand.class, ListCommand.class, CalibrateCommand.class, FidelityCommand.class, DirectionsCommand.class, ReplayCommand.class,
                SweepCommand.class, MergeCommand.class, SlurmCommand.class, PlotCommand.class,
                CommandLine.HelpCommand.class})
public final class Main implements Callable<Integer> {
    /** Exit status of a run that failed a check. */
    public static final int FAILED = 1;
    /** Exit status of bad input. */
    public static final int BAD_INPUT = 2;

    @Parameters(paramLabel = "key=value", arity = "0..*",
            description = "Machine settings for the default experiment (see 'mmsim list').")
    List<String> machineSettings = new ArrayList<>();

    @Option(names = "--out", paramLabel = "DIR", description = "Where the default experiment writes its run directory (default: runs).")
    String out;

    @Option(names = "--quiet", description = "No progress bar.")
    boolean quiet;

    @Option(names = "--check", description = "Run the default experiment in checking mode (both oracles).")
    boolean check;

    @Option(names = "--deterministic", description = "Run the default experiment in the deterministic mode (sim.deterministic=true).")
    boolean deterministic;

    public static void main(String[] args) {
        // this process runs machines of one configuration: its virtual-thread carriers can number their host slots
        mmsim.kernel.Kernel.carriersFollowSlots();
        System.exit(execute(args));
    }

    /** Runs the command line and returns its exit status (for tests and the Soak alias). */
    public static int execute(String... args) {
        return commandLine().execute(args);
    }

    /** The configured picocli command: one-line errors for bad input, exit 2. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.setParameterExceptionHandler((e, args) -> {
            CommandLine c = e.getCommandLine();
            PrintWriter err = c.getErr();
            err.println("mmsim: " + e.getMessage() + " (see 'mmsim " + subcommandPath(c) + "--help')");
            err.flush();
            return BAD_INPUT;
        });
        cl.setExecutionExceptionHandler((e, c, parsed) -> {
            if (e instanceof BadInput bad) {
                c.getErr().println("mmsim: " + bad.getMessage());
                c.getErr().flush();
                return BAD_INPUT;
            }
            throw e;
        });
        return cl;
    }

    private static String subcommandPath(CommandLine c) {
        return c.getParent() == null ? "" : c.getCommandName() + " ";
    }

    @Override
    public Integer call() throws Exception {
        List<String> args = new ArrayList<>(List.of("compare", "snapshot", "munmap", "--cpus", "4", "--shootdown", "all"));
        for (String kv : machineSettings) {
            if (kv.indexOf('=') <= 0) {
                throw new BadInput("unknown command or setting '" + kv + "'; commands: run, compare, list, calibrate, fidelity, directions, replay, sweep, merge, slurm, plot, help; "
                        + "or key=value machine settings for the default experiment (see 'mmsim list')");
            }
            args.add("--set");
            args.add(kv);
        }
        if (out != null) {
            args.add("--out");
            args.add(out);
        }
        if (quiet) {
            args.add("--quiet");
        }
        if (check) {
            args.add("--check");
        }
        if (deterministic) {
            args.add("--deterministic");
        }
        return execute(args.toArray(new String[0]));
    }

    /** Bad input found after parsing: printed as one line, exit status 2. */
    static final class BadInput extends RuntimeException {
        private static final long serialVersionUID = 1L;

        BadInput(String message) {
            super(message);
        }
    }

    /** {@code mmsim --version}: the code version stamped at build time. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            var b = mmsim.run.BuildInfo.current();
            return new String[] {"mmsim " + b.version() + " (" + b.codeVersion() + ", " + b.commitTime() + ")",
                    "JVM " + System.getProperty("java.version") + ", " + Runtime.getRuntime().availableProcessors() + " host cores"};
        }
    }
}
