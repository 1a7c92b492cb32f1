package mmsim.cli;

/** The command-line test harness, for tests in other packages: runs mmsim in-process and captures what it printed. */
public final class CommandLineTestAccess {
    private CommandLineTestAccess() {
    }

    /** Exit status and output of one command line. */
    public record Outcome(int status, String stdout, String stderr) {
    }

    public static Outcome mmsim(String... args) {
        CommandLineTest.Outcome o = CommandLineTest.mmsim(args);
        return new Outcome(o.status(), o.stdout(), o.stderr());
    }
}
