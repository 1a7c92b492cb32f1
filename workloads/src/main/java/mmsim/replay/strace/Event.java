package mmsim.replay.strace;

import java.util.List;

/**
 * One event of a traced task, as strace printed it: a system call (joined from its {@code <unfinished ...>} and
 * {@code <... resumed>} halves when strace split it), a signal delivery, or the task's end. Built by
 * {@link StraceParser}; its {@code order} and {@code endOrder} place it among every other task's events (the
 * line order of one file, or the timestamps across {@code -ff} files).
 */
final class Event {
    /** What kind of line it came from. */
    enum Kind {
        /** A system call: {@code name(args) = result}. */
        SYSCALL,
        /** {@code --- SIGxxx {...} ---}: a signal delivered (or a stop). */
        SIGNAL,
        /** {@code +++ exited with N +++}. */
        EXITED,
        /** {@code +++ killed by SIGxxx +++}. */
        KILLED
    }

    /** A result strace printed as {@code ?}: the call did not return (exit, execve of another thread). */
    static final long NO_RESULT = Long.MIN_VALUE;

    final Kind kind;
    final String file;
    final int line;
    int pid;
    /** Microseconds since midnight (-t, -tt) or the epoch (-ttt); -1 without a timestamp. */
    final long time;
    /** The call's name, the signal's name (SIGCHLD), or for KILLED the signal that killed the task. */
    final String name;
    /** The exit status, for EXITED. */
    final int status;
    List<String> args = List.of();
    /** The raw argument text, e.g. to look for a flag anywhere in it. */
    String argText = "";
    long result = NO_RESULT;
    /** The errno name of a failed call (ENOENT), else null. */
    String errno;
    /** False while the call is {@code <unfinished ...>} and was never resumed. */
    boolean complete;
    long order;
    long endOrder;
    int endLine;

    Event(Kind kind, String file, int line, int pid, long time, String name, int status) {
        this.kind = kind;
        this.file = file;
        this.line = line;
        this.pid = pid;
        this.time = time;
        this.name = name;
        this.status = status;
        this.endLine = line;
    }

    /** The call succeeded: a result other than -1 with an errno (a call with no result, {@code ?}, did not). */
    boolean succeeded() {
        return complete && errno == null && result != NO_RESULT;
    }

    /** Argument {@code i}, or "" when the call had fewer. */
    String arg(int i) {
        return i < args.size() ? args.get(i) : "";
    }

    /** Where it is in the trace, for messages: {@code shell.strace:12}. */
    String where() {
        return file + ":" + line;
    }

    @Override
    public String toString() {
        return where() + " pid " + pid + " " + kind + " " + name + (kind == Kind.SYSCALL ? "(" + argText + ") = " + result : "");
    }
}
