package mmsim.replay.strace;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the lines of one strace output file into {@link Event}s, in the order the lines start. It takes every
 * line form {@code strace -f} writes: a {@code 1234 } ({@code -o FILE}) or {@code [pid 1234] } (stderr) prefix or
 * none (the first process on stderr, or a {@code -ff} file, whose pid its name gives); a {@code -t},
 * {@code -tt} or {@code -ttt} timestamp or none, and a {@code -T} duration; calls split into
 * {@code <unfinished ...>} and {@code <... name resumed>} halves, interleaved across pids (each call is joined
 * and stands where it started); {@code --- SIGxxx {...} ---}; {@code +++ exited with N +++} and
 * {@code +++ killed by SIGxxx +++}; errors ({@code = -1 ENOENT (...)}); strace's own messages, also where
 * stderr cut a line in two ({@code ...SIGCHLDstrace: Process 26169 attached}).
 *
 * <p>A line it cannot read is skipped and reported with its file and line number in {@link #problems}; so is a
 * call that never resumed (a truncated trace). Not thread-safe: one parser reads one file.
 */
final class StraceParser {
    /** The pid of lines without a prefix before the first process's pid is known. */
    static final int UNKNOWN_ROOT = -1;

    private static final Pattern PREFIX = Pattern.compile(
            "^(?:\\[pid\\s+(\\d+)\\]\\s*|(\\d+)\\s+)?(?:(\\d{1,2}):(\\d\\d):(\\d\\d)(?:\\.(\\d{1,9}))?\\s+|(\\d+)\\.(\\d{1,9})\\s+)?(.*)$");
    private static final Pattern CALL = Pattern.compile("^([A-Za-z_][A-Za-z0-9_]*)\\(");
    private static final Pattern RESUMED = Pattern.compile("^<\\.\\.\\.\\s*([A-Za-z_0-9]*)\\s+resumed>\\s?(.*)$");
    private static final Pattern UNFINISHED = Pattern.compile("^(.*?)\\s*<unfinished \\.\\.\\.>\\s*$");
    private static final Pattern RESULT = Pattern.compile("^\\s*=\\s*(\\?|0x[0-9a-fA-F]+|-?\\d+)(?:<[^>]*>)?(?:\\s+(E[A-Z0-9]+)\\b)?.*$");
    private static final Pattern EXITED = Pattern.compile("^\\+\\+\\+ exited with (\\d+) \\+\\+\\+\\s*$");
    private static final Pattern KILLED = Pattern.compile("^\\+\\+\\+ killed by (SIG[A-Z0-9+]+)(?: \\(core dumped\\))? \\+\\+\\+\\s*$");
    private static final Pattern SIGNAL = Pattern.compile("^--- (?:stopped by )?(SIG[A-Z0-9+]+)\\b.*---\\s*$");
    private static final Pattern DURATION = Pattern.compile("\\s+<\\d+\\.\\d+>\\s*$");
    private static final Pattern CUT_BY_MESSAGE = Pattern.compile("^(.+?)strace: Process \\d+ attached\\s*$");

    /** A call waiting for its {@code <... resumed>} line. */
    private record Pending(Event event, String head) {
    }

    private final String file;
    private final int filePid;
    final List<Event> events = new ArrayList<>();
    final List<String> problems = new ArrayList<>();
    /** Lines with a timestamp, and those whose timestamp has microseconds (-tt, -ttt). */
    int timedLines;
    int preciseLines;
    int linesRead;
    private final Map<Integer, Pending> pending = new HashMap<>();
    private final Set<Integer> created = new HashSet<>();
    private int rootPid = UNKNOWN_ROOT;
    private boolean unprefixedSeen;
    private String carried;

    /**
     * @param file    the file's name, for messages
     * @param filePid the pid a {@code -ff} file's name gives its lines, or {@link #UNKNOWN_ROOT}
     */
    StraceParser(String file, int filePid) {
        this.file = file;
        this.filePid = filePid;
    }

    /** Reads line {@code number} (1-based). */
    void line(String text, int number) {
        linesRead++;
        if (carried != null) {
            text = carried + text;
            carried = null;
        }
        Matcher cut = CUT_BY_MESSAGE.matcher(text);
        if (cut.matches()) {
            carried = cut.group(1);
            return;
        }
        if (text.isBlank()) {
            return;
        }
        Matcher m = PREFIX.matcher(text);
        if (!m.matches()) {
            problem(number, "cannot read this line", text);
            return;
        }
        String prefixed = m.group(1) != null ? m.group(1) : m.group(2);
        long time = timestamp(m);
        String body = DURATION.matcher(m.group(9)).replaceFirst("");
        if (body.startsWith("strace: ") || body.startsWith("[ Process ")) {
            return;
        }
        int pid = prefixed != null ? Integer.parseInt(prefixed) : unprefixedPid();
        if (prefixed != null) {
            learnRoot(pid);
        }
        Matcher x;
        if ((x = SIGNAL.matcher(body)).matches()) {
            add(new Event(Event.Kind.SIGNAL, file, number, pid, time, x.group(1), 0));
        } else if ((x = EXITED.matcher(body)).matches()) {
            add(new Event(Event.Kind.EXITED, file, number, pid, time, "exit", Integer.parseInt(x.group(1))));
        } else if ((x = KILLED.matcher(body)).matches()) {
            add(new Event(Event.Kind.KILLED, file, number, pid, time, x.group(1), 0));
        } else if (body.startsWith("+++ superseded by execve")) {
            return;
        } else if ((x = RESUMED.matcher(body)).matches()) {
            resumed(pid, number, x.group(1), x.group(2), text);
        } else if ((x = UNFINISHED.matcher(body)).matches()) {
            unfinished(pid, number, time, x.group(1), text);
        } else {
            Event e = call(pid, number, time, body, text);
            if (e != null) {
                add(e);
            }
        }
    }

    /** After the last line: what is left open is reported (the trace was cut short). */
    void finish() {
        if (carried != null) {
            problems.add(file + ": the file ends inside a line cut by strace's message: " + clip(carried));
        }
        pending.values().stream().map(Pending::event).sorted((a, b) -> Integer.compare(a.line, b.line)).forEach(e ->
                problems.add(e.where() + ": pid " + e.pid + "'s " + e.name + " never resumed (the trace ends first)"));
        pending.clear();
    }

    /** The pid of the first process, once a prefix named it (lines without one were its), else UNKNOWN_ROOT. */
    int rootPid() {
        return rootPid;
    }

    private int unprefixedPid() {
        if (filePid != UNKNOWN_ROOT) {
            return filePid;
        }
        unprefixedSeen = true;
        return rootPid;
    }

    /** On stderr the first process's lines lose their prefix while it is alone: the first stranger pid is it. */
    private void learnRoot(int pid) {
        if (rootPid != UNKNOWN_ROOT || !unprefixedSeen || created.contains(pid) || filePid != UNKNOWN_ROOT) {
            return;
        }
        rootPid = pid;
        for (Event e : events) {
            if (e.pid == UNKNOWN_ROOT) {
                e.pid = pid;
            }
        }
        Pending p = pending.remove(UNKNOWN_ROOT);
        if (p != null) {
            p.event.pid = pid;
            pending.put(pid, p);
        }
    }

    private void unfinished(int pid, int number, long time, String head, String text) {
        Matcher name = CALL.matcher(head);
        if (!name.find()) {
            problem(number, "an unfinished call without a name", text);
            return;
        }
        Event e = new Event(Event.Kind.SYSCALL, file, number, pid, time, name.group(1), 0);
        Pending old = pending.put(pid, new Pending(e, head));
        if (old != null) {
            problems.add(old.event.where() + ": pid " + pid + "'s " + old.event.name + " never resumed (line " + number
                    + " starts another call)");
        }
        add(e);
    }

    private void resumed(int pid, int number, String name, String tail, String text) {
        Pending p = pending.remove(pid);
        if (p == null || (!name.isEmpty() && !name.equals(p.event.name))) {
            if (p != null) {
                pending.put(pid, p);
            }
            problem(number, "a resumed " + (name.isEmpty() ? "call" : name) + " that pid " + pid + " never started", text);
            return;
        }
        Event whole = call(pid, number, p.event.time, p.head + tail, text);
        if (whole == null) {
            p.event.complete = false;
            return;
        }
        p.event.args = whole.args;
        p.event.argText = whole.argText;
        p.event.result = whole.result;
        p.event.errno = whole.errno;
        p.event.complete = true;
        p.event.endLine = number;
        p.event.endOrder = number;
    }

    /** Parses {@code name(args) = result [ERRNO (text)]}; null (and a problem) when it is not that. */
    private Event call(int pid, int number, long time, String body, String text) {
        Matcher name = CALL.matcher(body);
        if (!name.find()) {
            problem(number, "cannot read this line", text);
            return null;
        }
        int open = name.end() - 1;
        int close = closing(body, open);
        if (close < 0) {
            problem(number, "unbalanced quotes or brackets in " + name.group(1) + "'s arguments", text);
            return null;
        }
        Matcher r = RESULT.matcher(body.substring(close + 1));
        if (!r.matches()) {
            problem(number, "no result after " + name.group(1) + "(...)", text);
            return null;
        }
        Event e = new Event(Event.Kind.SYSCALL, file, number, pid, time, name.group(1), 0);
        e.argText = body.substring(open + 1, close);
        e.args = splitArgs(e.argText);
        e.result = number(r.group(1));
        e.errno = r.group(2);
        e.complete = true;
        if (e.succeeded() && isProcessCreation(e.name) && e.result > 0) {
            created.add((int) e.result);
        }
        return e;
    }

    private static boolean isProcessCreation(String name) {
        return name.equals("fork") || name.equals("vfork") || name.equals("clone") || name.equals("clone3");
    }

    private void add(Event e) {
        e.order = e.line;
        e.endOrder = e.line;
        events.add(e);
    }

    private void problem(int number, String what, String text) {
        problems.add(file + ":" + number + ": " + what + ": " + clip(text));
    }

    private static String clip(String text) {
        return text.length() <= 100 ? text : text.substring(0, 100) + "...";
    }

    private long timestamp(Matcher m) {
        if (m.group(3) != null) {
            timedLines++;
            long micros = 0;
            if (m.group(6) != null) {
                preciseLines++;
                micros = fraction(m.group(6));
            }
            long seconds = Long.parseLong(m.group(3)) * 3600 + Long.parseLong(m.group(4)) * 60 + Long.parseLong(m.group(5));
            return seconds * 1_000_000 + micros;
        }
        if (m.group(7) != null) {
            timedLines++;
            preciseLines++;
            return Long.parseLong(m.group(7)) * 1_000_000 + fraction(m.group(8));
        }
        return -1;
    }

    /** Microseconds from the digits after the point (-tt prints 6; more or fewer are scaled). */
    private static long fraction(String digits) {
        String six = (digits + "000000").substring(0, 6);
        return Long.parseLong(six);
    }

    static long number(String text) {
        if (text.equals("?")) {
            return Event.NO_RESULT;
        }
        if (text.startsWith("0x")) {
            return Long.parseUnsignedLong(text.substring(2), 16);
        }
        return Long.parseLong(text);
    }

    /** The index of the ')' that closes the '(' at {@code open}, skipping strings and comments; -1 if none. */
    static int closing(String s, int open) {
        int depth = 0;
        for (int i = open; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"') {
                i = endOfString(s, i);
                if (i < 0) {
                    return -1;
                }
            } else if (c == '/' && i + 1 < s.length() && s.charAt(i + 1) == '*') {
                int end = s.indexOf("*/", i + 2);
                if (end < 0) {
                    return -1;
                }
                i = end + 1;
            } else if (c == '(' || c == '[' || c == '{') {
                depth++;
            } else if (c == ')' || c == ']' || c == '}') {
                depth--;
                if (depth == 0) {
                    return c == ')' ? i : -1;
                }
            }
        }
        return -1;
    }

    private static int endOfString(String s, int quote) {
        for (int i = quote + 1; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\') {
                i++;
            } else if (c == '"') {
                return i;
            }
        }
        return -1;
    }

    /** Splits an argument list at its top-level commas (not inside strings, comments, (), [] or {}). */
    static List<String> splitArgs(String s) {
        List<String> args = new ArrayList<>();
        int depth = 0;
        int start = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"') {
                int end = endOfString(s, i);
                i = end < 0 ? s.length() : end;
            } else if (c == '/' && i + 1 < s.length() && s.charAt(i + 1) == '*') {
                int end = s.indexOf("*/", i + 2);
                i = end < 0 ? s.length() : end + 1;
            } else if (c == '(' || c == '[' || c == '{') {
                depth++;
            } else if (c == ')' || c == ']' || c == '}') {
                depth--;
            } else if (c == ',' && depth == 0) {
                args.add(s.substring(start, i).trim());
                start = i + 1;
            }
        }
        String last = s.substring(Math.min(start, s.length())).trim();
        if (!last.isEmpty() || !args.isEmpty()) {
            args.add(last);
        }
        return args;
    }
}
