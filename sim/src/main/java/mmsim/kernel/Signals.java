package mmsim.kernel;

/**
 * The signals mmsim models, with Linux's numbers (x86-64, signal(7)), for {@link Sys#kill} and
 * {@link ExitStatus#signal()}. There are no signal handlers: each signal takes its default action,
 * SIGCHLD being ignored and every other one ending the process (SIGKILL, SIGTERM; SIGSEGV and SIGABRT
 * would also dump core, which mmsim does not model).
 */
public final class Signals {
    /** Abort; also reported for a process whose body threw an exception it did not handle (as abort(3) after an uncaught C++ exception). */
    public static final int SIGABRT = 6;
    /** Kill: ends the process; cannot be caught. Also reported for an out-of-memory kill and for the kernel's shutdown. */
    public static final int SIGKILL = 9;
    /** Segmentation violation: reported for an access outside the mappings or a write to a read-only page; also sent with kill. */
    public static final int SIGSEGV = 11;
    /** Termination: the polite request to stop; with no handlers it ends the process like SIGKILL. */
    public static final int SIGTERM = 15;
    /** A child stopped or ended; ignored by default, so sending it changes nothing. */
    public static final int SIGCHLD = 17;

    private Signals() {
    }

    /** Whether mmsim models {@code sig} (0, the existence probe of kill, is not a signal). */
    public static boolean isModeled(int sig) {
        return sig == SIGABRT || sig == SIGKILL || sig == SIGSEGV || sig == SIGTERM || sig == SIGCHLD;
    }

    /** Whether {@code sig}'s default action ends the process (every modelled signal but SIGCHLD). */
    static boolean terminates(int sig) {
        return isModeled(sig) && sig != SIGCHLD;
    }

    /** The signal's name ("SIGTERM"), or "signal N" for one mmsim does not model. */
    public static String name(int sig) {
        return switch (sig) {
            case SIGABRT -> "SIGABRT";
            case SIGKILL -> "SIGKILL";
            case SIGSEGV -> "SIGSEGV";
            case SIGTERM -> "SIGTERM";
            case SIGCHLD -> "SIGCHLD";
            default -> "signal " + sig;
        };
    }
}
