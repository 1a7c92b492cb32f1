package mmsim.kernel;

/**
 * How a process ended, as {@code waitpid} reports it: either it exited with a code (WIFEXITED,
 * WEXITSTATUS) or it was killed by a signal (WIFSIGNALED, WTERMSIG), and {@link #kind} says why.
 *
 * @param kind    exited normally, or killed and why
 * @param code    the exit code for {@link Kind#EXITED}; -1 when killed
 * @param signal  the signal that killed the process ({@link Signals}); 0 when it exited
 * @param message a readable account (the faulting access, the uncaught exception, the sender of a signal)
 */
public record ExitStatus(Kind kind, int code, int signal, String message) {
    /** Why a process ended, and the signal each kind reports. */
    public enum Kind {
        /** It called exit, or its body returned. No signal. */
        EXITED,
        /** Killed for an access outside its mappings or a write to a read-only page: SIGSEGV. */
        SEGFAULT,
        /** Killed because no frame was left for it, as by Linux's OOM killer: SIGKILL. */
        OUT_OF_MEMORY,
        /** Its body threw an exception it did not handle: SIGABRT. */
        CRASHED,
        /** Killed by the machine shutting down before it finished: SIGKILL. */
        KILLED,
        /** Killed by a signal a process sent with {@link Sys#kill}: that signal. */
        SIGNALED
    }

    public static ExitStatus exited(int code) {
        return new ExitStatus(Kind.EXITED, code, 0, "exited with " + code);
    }

    public static ExitStatus segfault(String message) {
        return new ExitStatus(Kind.SEGFAULT, -1, Signals.SIGSEGV, message);
    }

    public static ExitStatus outOfMemory(String message) {
        return new ExitStatus(Kind.OUT_OF_MEMORY, -1, Signals.SIGKILL, message);
    }

    public static ExitStatus crashed(String message) {
        return new ExitStatus(Kind.CRASHED, -1, Signals.SIGABRT, message);
    }

    public static ExitStatus killed(String message) {
        return new ExitStatus(Kind.KILLED, -1, Signals.SIGKILL, message);
    }

    /** Killed by {@code signal}, sent with kill. */
    public static ExitStatus bySignal(int signal, String message) {
        return new ExitStatus(Kind.SIGNALED, -1, signal, message);
    }

    /** WIFEXITED: the process exited (with {@link #code}) rather than being killed. */
    public boolean exitedNormally() {
        return kind == Kind.EXITED;
    }

    /** WIFSIGNALED: a signal ended the process; {@link #signal} says which. */
    public boolean killedBySignal() {
        return kind != Kind.EXITED;
    }

    @Override
    public String toString() {
        if (kind == Kind.EXITED) {
            return kind + ": " + message;
        }
        return kind + " (killed by signal " + signal + ", " + Signals.name(signal) + "): " + message;
    }
}
