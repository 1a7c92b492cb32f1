package mmsim.kernel;

/**
 * How a process ended, as {@code waitpid} reports it.
 *
 * @param kind    exited normally, or killed and why
 * @param code    the exit code for {@link Kind#EXITED}; -1 when killed
 * @param message a readable account (the faulting access, the uncaught exception)
 */
public record ExitStatus(Kind kind, int code, String message) {
    /** Why a process ended. */
    public enum Kind {
        /** It called exit, or its body returned. */
        EXITED,
        /** Killed for an access outside its mappings or a write to a read-only page. */
        SEGFAULT,
        /** Killed because no frame was left for it (as by an OOM killer). */
        OUT_OF_MEMORY,
        /** Its body threw an exception it did not handle. */
        CRASHED,
        /** Killed by the machine shutting down before it finished. */
        KILLED
    }

    public static ExitStatus exited(int code) {
        return new ExitStatus(Kind.EXITED, code, "exited with " + code);
    }

    public static ExitStatus segfault(String message) {
        return new ExitStatus(Kind.SEGFAULT, -1, message);
    }

    public static ExitStatus outOfMemory(String message) {
        return new ExitStatus(Kind.OUT_OF_MEMORY, -1, message);
    }

    public static ExitStatus crashed(String message) {
        return new ExitStatus(Kind.CRASHED, -1, message);
    }

    public static ExitStatus killed(String message) {
        return new ExitStatus(Kind.KILLED, -1, message);
    }

    public boolean exitedNormally() {
        return kind == Kind.EXITED;
    }

    @Override
    public String toString() {
        return kind + ": " + message;
    }
}
