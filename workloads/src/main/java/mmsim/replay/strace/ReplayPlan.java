package mmsim.replay.strace;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import mmsim.kernel.Signals;
import mmsim.paging.PageTable;
import mmsim.paging.Vma;

/**
 * The replay worked out before the machine boots: one {@link Task} per traced pid, each with its {@link Step}s in
 * trace order, numbered across all tasks (step {@code n} may start only after step {@code n - 1} was done, or
 * given up before a call that may block), and the trace's own counts, which the replay must reproduce.
 *
 * <p>It follows the trace through each process's descriptor table (pipes, dup, close, close-on-exec, fork's
 * copy) to know which reads and writes are on pipes, and through each process's break to turn {@code brk} into
 * mappings. A read replays at most the bytes the trace's writes put into its pipe before the read returned (so a
 * replayed read never waits for a write the trace does not show, as writev's or splice's would be), a write at
 * most what fits in the pipe's 64 KiB by the trace's order. Events of a task after its process ended (the
 * {@code +++ exited +++} lines of the threads exit_group took along) are not steps; a wait that the trace shows
 * returning before the child's end (an inconsistent trace) is dropped with a note: replayed in trace order it
 * would block while holding the turn the child needs to end, and deadlock the replay.
 */
final class ReplayPlan {
    static final long PAGE = 4096;
    private static final int PIPE_CAPACITY = 64 * 1024;
    private static final Set<String> FORKS = Set.of("fork", "vfork", "clone", "clone3");
    private static final Set<String> READS = Set.of("read", "readv");
    private static final Set<String> WRITES = Set.of("write", "writev");
    private static final Pattern TWO_FDS = Pattern.compile("\\[\\s*(\\d+)\\s*,\\s*(\\d+)\\s*\\]");
    private static final Pattern SI_PID = Pattern.compile("si_pid=(\\d+)");

    /** One step: the task that does it and what it does. */
    static final class Step {
        final int number;
        final int task;
        Action action;

        Step(int number, int task, Action action) {
            this.number = number;
            this.task = task;
            this.action = action;
        }
    }

    /** A traced pid: a process's first thread, or a thread of one. */
    static final class Task {
        final int index;
        final int pid;
        final boolean thread;
        final Group group;
        final List<Step> steps = new ArrayList<>();
        boolean ended;

        Task(int index, int pid, boolean thread, Group group) {
            this.index = index;
            this.pid = pid;
            this.thread = thread;
            this.group = group;
        }
    }

    /** A traced process: its threads, descriptor table and break as the trace shows them. */
    private static final class Group {
        final Group parent;
        final Map<Integer, Descriptor> fds;
        final Set<Task> live = new HashSet<>();
        long brk = -1;
        boolean ended;
        int endStep = -1;

        Group(Group parent, Map<Integer, Descriptor> fds) {
            this.parent = parent;
            this.fds = fds;
        }
    }

    /** A descriptor that is a pipe end; {@code pipe} numbers the pipe. */
    private record Descriptor(int pipe, boolean closeOnExec) {
    }

    /** A read or write on a pipe, waiting for the pass that sizes it. */
    private record Move(Step step, int fd, int pipe, boolean write, long bytes, long order) {
    }

    final List<Task> tasks = new ArrayList<>();
    final List<Step> steps = new ArrayList<>();
    /** Syscalls (or uses of them) skipped, by name. */
    final Map<String, Integer> unmodeled = new TreeMap<>();
    /** Calls replayed other than as Linux does them, by what was done instead. */
    final Map<String, Integer> approximated = new TreeMap<>();
    final List<String> problems = new ArrayList<>();
    int traceEvents;
    int skippedEvents;
    int traceProcesses;
    int traceForks;
    int traceThreads;
    int traceExecs;
    int tracePipes;
    int afterEnd;

    private final Map<Integer, Task> byPid = new HashMap<>();
    private final Set<Integer> strangers = new HashSet<>();
    private final List<Move> moves = new ArrayList<>();
    private final List<Step> waits = new ArrayList<>();
    private int pipes;

    private ReplayPlan() {
    }

    static ReplayPlan of(TraceFiles.Trace trace) {
        ReplayPlan plan = new ReplayPlan();
        plan.problems.addAll(trace.problems());
        plan.newTask(trace.rootPid(), false, new Group(null, new HashMap<>()));
        plan.traceProcesses = 1;
        for (Event e : trace.events()) {
            plan.follow(e);
        }
        plan.sizeTransfers();
        plan.dropImpossibleWaits();
        return plan;
    }

    int unmodeledTotal() {
        return unmodeled.values().stream().mapToInt(Integer::intValue).sum();
    }

    private Task newTask(int pid, boolean thread, Group group) {
        Task t = new Task(tasks.size(), pid, thread, group);
        tasks.add(t);
        byPid.put(pid, t);
        group.live.add(t);
        return t;
    }

    private Step step(Task t, Action a) {
        Step s = new Step(steps.size(), t.index, a);
        steps.add(s);
        t.steps.add(s);
        return s;
    }

    private void skip(String what) {
        unmodeled.merge(what, 1, Integer::sum);
    }

    private void approximate(String what) {
        approximated.merge(what, 1, Integer::sum);
    }

    private void follow(Event e) {
        Task t = byPid.get(e.pid);
        if (t == null) {
            skippedEvents++;
            if (strangers.add(e.pid)) {
                problems.add(e.where() + ": pid " + e.pid + " never appeared (no fork or clone in the trace created it); "
                        + "its events are skipped");
            }
            return;
        }
        if (t.ended || t.group.ended) {
            afterEnd++;
            return;
        }
        traceEvents++;
        switch (e.kind) {
            case SIGNAL -> {
            }
            case EXITED -> end(t, e, e.status);
            case KILLED -> {
                Step s = step(t, new Action.Killed(e, signal(e.name)));
                endGroup(t.group, s);
            }
            case SYSCALL -> call(t, e);
        }
    }

    /** A task's last event: the process ends with it unless other threads of it live on. */
    private void end(Task t, Event e, int status) {
        t.group.live.remove(t);
        t.ended = true;
        if (t.group.live.isEmpty()) {
            endGroup(t.group, step(t, new Action.Exit(e, status)));
        } else {
            step(t, new Action.ThreadEnd(e));
        }
    }

    private void endGroup(Group g, Step last) {
        g.ended = true;
        g.endStep = last.number;
        for (Task t : g.live) {
            t.ended = true;
        }
        g.live.clear();
    }

    private void call(Task t, Event e) {
        String name = e.name;
        Group g = t.group;
        if (name.equals("exit_group") || name.equals("exit")) {
            int status = (int) parse(e.arg(0), 0);
            if (name.equals("exit_group")) {
                Step s = step(t, new Action.Exit(e, status));
                t.ended = true;
                endGroup(g, s);
            } else {
                end(t, e, status);
            }
            return;
        }
        if (!e.complete) {
            skip(name + " (never returned in the trace)");
            return;
        }
        if (FORKS.contains(name)) {
            if (e.succeeded() && e.result > 0) {
                boolean thread = e.argText.contains("CLONE_THREAD");
                Task child = thread ? newTask((int) e.result, true, g)
                        : newTask((int) e.result, false, new Group(g, new HashMap<>(g.fds)));
                if (!thread) {
                    if (name.equals("vfork") || e.argText.contains("CLONE_VM")) {
                        approximate(name + " sharing memory (replayed as fork: a copy-on-write copy)");
                    }
                    child.group.brk = g.brk;
                    traceForks++;
                    traceProcesses++;
                } else {
                    traceThreads++;
                }
                step(t, new Action.Fork(e, child.index, thread));
            }
            return;
        }
        switch (name) {
            case "execve", "execveat" -> {
                if (e.succeeded()) {
                    traceExecs++;
                    List<Integer> close = new ArrayList<>();
                    g.fds.entrySet().removeIf(d -> {
                        if (d.getValue().closeOnExec()) {
                            close.add(d.getKey());
                            return true;
                        }
                        return false;
                    });
                    g.brk = -1;
                    step(t, new Action.Exec(e, close.stream().mapToInt(Integer::intValue).toArray()));
                }
            }
            case "wait4", "waitid" -> waited(t, e);
            case "mmap", "mmap2" -> {
                if (e.succeeded()) {
                    long length = parse(e.arg(1), -1);
                    int prot = protection(e.arg(2));
                    boolean shared = e.arg(3).contains("MAP_SHARED");
                    if (shared) {
                        approximate("mmap MAP_SHARED (replayed as a private mapping)");
                    }
                    map(t, e, e.result, length, prot, !shared && (prot & Vma.WRITE) != 0);
                }
            }
            case "munmap" -> {
                if (e.succeeded() && inUserSpace(e, parse(e.arg(0), -1), parse(e.arg(1), -1))) {
                    step(t, new Action.Unmap(e, parse(e.arg(0), -1), pageUp(parse(e.arg(1), -1))));
                }
            }
            case "mprotect", "pkey_mprotect" -> {
                if (e.succeeded() && inUserSpace(e, parse(e.arg(0), -1), parse(e.arg(1), -1))) {
                    step(t, new Action.Protect(e, parse(e.arg(0), -1), pageUp(parse(e.arg(1), -1)), protection(e.arg(2))));
                }
            }
            case "madvise" -> {
                if (e.succeeded() && e.arg(2).equals("MADV_DONTNEED") && inUserSpace(e, parse(e.arg(0), -1), parse(e.arg(1), -1))) {
                    step(t, new Action.DontNeed(e, parse(e.arg(0), -1), pageUp(parse(e.arg(1), -1))));
                } else if (e.succeeded()) {
                    skip("madvise " + e.arg(2));
                }
            }
            case "brk" -> {
                if (e.result > 0) {
                    brk(t, e);
                }
            }
            case "mremap" -> {
                if (e.succeeded()) {
                    remap(t, e);
                }
            }
            case "pipe", "pipe2" -> {
                Matcher fds = TWO_FDS.matcher(e.arg(0));
                if (e.succeeded() && fds.find()) {
                    boolean cloexec = e.arg(1).contains("O_CLOEXEC");
                    int id = pipes++;
                    tracePipes++;
                    int r = Integer.parseInt(fds.group(1));
                    int w = Integer.parseInt(fds.group(2));
                    g.fds.put(r, new Descriptor(id, cloexec));
                    g.fds.put(w, new Descriptor(id, cloexec));
                    step(t, new Action.Pipe(e, r, w));
                }
            }
            case "dup", "dup2", "dup3" -> dup(t, e, name.equals("dup3") && e.arg(2).contains("O_CLOEXEC"));
            case "fcntl", "fcntl64" -> {
                if (e.arg(1).startsWith("F_DUPFD")) {
                    dup(t, e, e.arg(1).equals("F_DUPFD_CLOEXEC"));
                } else if (e.arg(1).equals("F_SETFD") && e.succeeded()) {
                    int fd = (int) parse(e.arg(0), -1);
                    Descriptor d = g.fds.get(fd);
                    if (d != null) {
                        g.fds.put(fd, new Descriptor(d.pipe(), e.arg(2).contains("FD_CLOEXEC")));
                    }
                } else {
                    skip(name + " " + e.arg(1));
                }
            }
            case "close" -> {
                int fd = (int) parse(e.arg(0), -1);
                if (e.succeeded() && g.fds.remove(fd) != null) {
                    step(t, new Action.Close(e, fd));
                } else {
                    skip("close (not a pipe)");
                }
            }
            case "close_range" -> {
                long first = parse(e.arg(0), -1);
                long last = parse(e.arg(1), -1);
                if (e.succeeded()) {
                    for (Integer fd : new TreeMap<>(g.fds).keySet()) {
                        if (fd >= first && (last < 0 || fd <= last)) {
                            g.fds.remove(fd);
                            step(t, new Action.Close(e, fd));
                        }
                    }
                }
            }
            default -> {
                if (READS.contains(name) || WRITES.contains(name)) {
                    transfer(t, e, WRITES.contains(name));
                } else {
                    if (e.succeeded() && e.result >= 0 && e.result < Integer.MAX_VALUE) {
                        g.fds.remove((int) e.result);
                    }
                    skip(name);
                }
            }
        }
    }

    private void waited(Task t, Event e) {
        if (!e.succeeded() || e.argText.contains("WNOWAIT")) {
            return;
        }
        long pid = e.name.equals("wait4") ? e.result : -1;
        if (e.name.equals("waitid")) {
            Matcher m = SI_PID.matcher(e.argText);
            pid = m.find() ? Long.parseLong(m.group(1)) : -1;
        }
        if (pid <= 0) {
            return;
        }
        Task child = byPid.get((int) pid);
        if (child == null || child.thread || child.group.parent != t.group) {
            skip(e.name + " (not of a traced child)");
            return;
        }
        Step s = step(t, new Action.Wait(e, child.index));
        waits.add(s);
    }

    private void map(Task t, Event e, long address, long length, int prot, boolean touch) {
        if (length > 0 && inUserSpace(e, address, length)) {
            step(t, new Action.MapFixed(e, address, pageUp(length), prot, touch));
        }
    }

    private boolean inUserSpace(Event e, long address, long length) {
        if (address < 0 || length <= 0 || address % PAGE != 0 || address + pageUp(length) > PageTable.USER_VA_LIMIT) {
            skip(e.name + " (range outside mmsim's user space)");
            return false;
        }
        return true;
    }

    /** brk: the growth of the break is a new writable mapping, its shrinking an unmapping. */
    private void brk(Task t, Event e) {
        Group g = t.group;
        long now = e.result;
        if (g.brk < 0) {
            g.brk = now;
            return;
        }
        long from = pageUp(g.brk);
        long to = pageUp(now);
        if (to > from) {
            map(t, e, from, to - from, Vma.READ_WRITE, true);
        } else if (to < from) {
            step(t, new Action.Unmap(e, to, from - to));
        }
        g.brk = now;
    }

    /** mremap in place is one; a move is the new range mapped at the trace's address and the old one unmapped. */
    private void remap(Task t, Event e) {
        long old = parse(e.arg(0), -1);
        long oldLength = pageUp(parse(e.arg(1), -1));
        long newLength = pageUp(parse(e.arg(2), -1));
        if (!inUserSpace(e, old, oldLength) || !inUserSpace(e, e.result, newLength)) {
            return;
        }
        if (e.result == old) {
            step(t, new Action.Remap(e, old, oldLength, newLength));
        } else {
            approximate("mremap that moved (replayed as a new mapping and an unmapping)");
            map(t, e, e.result, newLength, Vma.READ_WRITE, true);
            step(t, new Action.Unmap(e, old, oldLength));
        }
    }

    private void dup(Task t, Event e, boolean cloexec) {
        if (!e.succeeded()) {
            return;
        }
        int fd = (int) parse(e.arg(0), -1);
        int newFd = (int) e.result;
        if (fd == newFd) {
            return;
        }
        Group g = t.group;
        Descriptor d = g.fds.get(fd);
        if (d != null) {
            g.fds.put(newFd, new Descriptor(d.pipe(), cloexec));
            step(t, new Action.Dup(e, fd, newFd));
        } else if (g.fds.remove(newFd) != null) {
            skip(e.name + " (not a pipe)");
            step(t, new Action.Close(e, newFd));
        } else {
            skip(e.name + " (not a pipe)");
        }
    }

    private void transfer(Task t, Event e, boolean write) {
        int fd = (int) parse(e.arg(0), -1);
        Descriptor d = t.group.fds.get(fd);
        if (d == null) {
            skip(e.name + " (not a pipe)");
            return;
        }
        if (e.succeeded() && e.result > 0) {
            Step s = step(t, new Action.Transfer(e, fd, write, 0));
            moves.add(new Move(s, fd, d.pipe(), write, e.result, write ? e.order : e.endOrder));
        }
    }

    /** Sizes each pipe transfer by the trace's order: writes where they start, reads where they return. */
    private void sizeTransfers() {
        moves.sort(Comparator.comparingLong(Move::order).thenComparing(m -> !m.write()));
        long[] inPipe = new long[pipes];
        for (Move m : moves) {
            long bytes = m.write() ? Math.min(m.bytes(), PIPE_CAPACITY - inPipe[m.pipe()]) : Math.min(m.bytes(), inPipe[m.pipe()]);
            inPipe[m.pipe()] += m.write() ? bytes : -bytes;
            m.step().action = new Action.Transfer(m.step().action.event(), m.fd(), m.write(), (int) bytes);
        }
    }

    /**
     * A waiter gives up its turn before it waits, and takes its next one once the child is reaped: the child's
     * end must come before that next turn, or the replay could not go on.
     */
    private void dropImpossibleWaits() {
        for (Step s : waits) {
            Action.Wait wait = (Action.Wait) s.action;
            Task waiter = tasks.get(s.task);
            Group child = tasks.get(wait.child()).group;
            int next = waiter.steps.indexOf(s) + 1;
            int nextStep = next < waiter.steps.size() ? waiter.steps.get(next).number : Integer.MAX_VALUE;
            int childEnd = child.endStep >= 0 ? child.endStep : lastStep(child);
            if (childEnd > nextStep) {
                problems.add(wait.event().where() + ": pid " + waiter.pid + "'s " + wait.event().name + " returns pid "
                        + tasks.get(wait.child()).pid + " before that process ends in the trace; the wait is not replayed");
                s.action = new Action.Noop(wait.event());
            }
        }
    }

    private int lastStep(Group g) {
        int last = -1;
        for (Task t : tasks) {
            if (t.group == g && !t.steps.isEmpty()) {
                last = Math.max(last, t.steps.get(t.steps.size() - 1).number);
            }
        }
        return last;
    }

    static long pageUp(long n) {
        return (n + PAGE - 1) & -PAGE;
    }

    /** An integer argument as strace prints it (decimal, 0x hex, NULL), or {@code otherwise}. */
    static long parse(String arg, long otherwise) {
        String a = arg.trim();
        int end = 0;
        if (a.equals("NULL")) {
            return 0;
        }
        if (a.startsWith("0x")) {
            end = 2;
            while (end < a.length() && Character.digit(a.charAt(end), 16) >= 0) {
                end++;
            }
            return end > 2 ? Long.parseUnsignedLong(a.substring(2, end), 16) : otherwise;
        }
        if (a.startsWith("-")) {
            end = 1;
        }
        while (end < a.length() && Character.isDigit(a.charAt(end))) {
            end++;
        }
        return end > (a.startsWith("-") ? 1 : 0) && end - (a.startsWith("-") ? 1 : 0) < 19 ? Long.parseLong(a.substring(0, end)) : otherwise;
    }

    /** PROT_ flags to mmsim's: any of READ and EXEC reads, WRITE writes (read-write, as x86 has no write-only pages). */
    static int protection(String prot) {
        if (prot.contains("PROT_WRITE")) {
            return Vma.READ_WRITE;
        }
        return prot.contains("PROT_READ") || prot.contains("PROT_EXEC") ? Vma.READ : Vma.NONE;
    }

    /** The signal that kills: SIGKILL, SIGTERM, SIGSEGV and SIGABRT as themselves; any other as SIGKILL. */
    static int signal(String name) {
        return switch (name) {
            case "SIGTERM" -> Signals.SIGTERM;
            case "SIGSEGV" -> Signals.SIGSEGV;
            case "SIGABRT" -> Signals.SIGABRT;
            default -> Signals.SIGKILL;
        };
    }
}
