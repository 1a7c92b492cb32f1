package mmsim.replay.strace;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;

import mmsim.kernel.Errno;
import mmsim.kernel.PageInfo;
import mmsim.kernel.ProcessBody;
import mmsim.kernel.Segment;
import mmsim.kernel.Sys;
import mmsim.kernel.SyscallException;
import mmsim.paging.Vma;
import mmsim.stats.StatsRegistry.Counter;
import mmsim.workload.WorkloadContext;

/**
 * Runs a {@link ReplayPlan} as simulated processes. Init makes one <em>turn pipe</em> per task, then forks the
 * trace's first process; every process inherits every turn pipe, and exec keeps them. The task that does step
 * {@code n} reads {@code n} (8 bytes) from its own turn pipe first, and when it is done writes {@code n + 1} into
 * the turn pipe of the task that does step {@code n + 1} (or goes straight on, when that is itself). A call that
 * may block (wait, a pipe read or write) or does not return (exit, exec) passes the turn on first. So the
 * processes run in the trace's order, wait only through the simulated kernel, and one blocked in a call never
 * holds up the rest. A step that cannot be done (fork or exec failing in mmsim) fails the run and sends every task
 * {@link #ABORT}, on which each ends.
 *
 * <p>Per process it keeps the trace's descriptors to its own (fork copies them, exec keeps them), its children's
 * pids, its threads, the private writable ranges it knows to be mapped (for the touch policy), and a buffer of
 * its own (a page for the turn numbers, one slot per task, and 64 KiB for pipe data), mapped where mmap puts it
 * and again after each exec.
 */
final class Replayer {
    private static final long ABORT = -1;
    private static final long BUFFER = 4096 + 64 * 1024;
    private static final long DATA = 4096;

    /** What the touch policy and exec's image are, from the settings. */
    record Policy(double touch, int touchMaxPages, double touchAfterFork, long image) {
    }

    /** The counters the replay updates as it goes. */
    record Counters(Counter events, Counter processes, Counter forks, Counter execs, Counter threads, Counter pipes,
                    Counter failed, Counter touched) {
    }

    private final ReplayPlan plan;
    private final WorkloadContext ctx;
    private final Policy policy;
    private final Counters counters;
    private final int[] turnRead;
    private final int[] turnWrite;
    private final List<String> failures = new ArrayList<>();

    Replayer(ReplayPlan plan, WorkloadContext ctx, Policy policy, Counters counters) {
        this.plan = plan;
        this.ctx = ctx;
        this.policy = policy;
        this.counters = counters;
        this.turnRead = new int[plan.tasks.size()];
        this.turnWrite = new int[plan.tasks.size()];
    }

    /** One process's replay state; its threads share it, and they take turns, so it is never used at once. */
    private static final class Process {
        final Map<Integer, Integer> fds;
        final Map<Integer, Integer> children = new HashMap<>();
        final List<Integer> threads = new ArrayList<>();
        final TreeMap<Long, Long> writable;
        long buffer;

        Process(Map<Integer, Integer> fds, TreeMap<Long, Long> writable) {
            this.fds = fds;
            this.writable = writable;
        }

        synchronized Process forkCopy() {
            Process p = new Process(new HashMap<>(fds), new TreeMap<>(writable));
            p.buffer = buffer;
            return p;
        }

        synchronized void freshImage() {
            writable.clear();
            threads.clear();
            buffer = 0;
        }

        /** Forgets what {@code [from, to)} held: the replay's buffer if it overlaps, the writable ranges in it. */
        synchronized void forget(long from, long to) {
            if (buffer != 0 && buffer < to && from < buffer + BUFFER) {
                buffer = 0;
            }
            Map.Entry<Long, Long> before = writable.lowerEntry(from);
            if (before != null && before.getValue() > from) {
                writable.put(before.getKey(), from);
                if (before.getValue() > to) {
                    writable.put(to, before.getValue());
                }
            }
            for (Map.Entry<Long, Long> in : new ArrayList<>(writable.subMap(from, true, to, false).entrySet())) {
                writable.remove(in.getKey());
                if (in.getValue() > to) {
                    writable.put(to, in.getValue());
                }
            }
        }

        synchronized void writable(long from, long to) {
            forget(from, to);
            writable.put(from, to);
        }

        synchronized long buffer(Sys sys) {
            if (buffer == 0) {
                buffer = sys.mmap(BUFFER, Vma.READ_WRITE);
            }
            return buffer;
        }
    }

    /** Init: the turn pipes, the first process, then it reaps every process and compares the counts. */
    ProcessBody init() {
        return sys -> {
            for (int i = 0; i < turnRead.length; i++) {
                int[] p = sys.pipe();
                turnRead[i] = p[0];
                turnWrite[i] = p[1];
            }
            long slot = sys.mmap(4096, Vma.READ_WRITE);
            if (!plan.steps.isEmpty()) {
                passTo(sys, slot, plan.steps.get(0).task, 0);
            }
            Process root = new Process(new HashMap<>(), new TreeMap<>());
            sys.fork(c -> startProcess(c, plan.tasks.get(0), root, false));
            reapAll(sys);
            compare();
            synchronized (failures) {
                if (!failures.isEmpty()) {
                    System.out.println("strace replay: " + failures.size() + " calls failed in mmsim, e.g. " + failures.get(0));
                }
            }
            return 0;
        };
    }

    private static void reapAll(Sys sys) {
        while (true) {
            try {
                sys.waitAny();
            } catch (SyscallException e) {
                if (e.errno() == Errno.ECHILD) {
                    return;
                }
                throw e;
            }
        }
    }

    private void compare() {
        check("processes", counters.processes().value(), plan.traceProcesses);
        check("forks", counters.forks().value(), plan.traceForks);
        check("execs", counters.execs().value(), plan.traceExecs);
        check("threads", counters.threads().value(), plan.traceThreads);
        check("pipes", counters.pipes().value(), plan.tracePipes);
    }

    private void check(String what, long replayed, long traced) {
        if (replayed != traced) {
            ctx.fail(what + ": the trace shows " + traced + ", the replay made " + replayed);
        }
    }

    private int startProcess(Sys sys, ReplayPlan.Task task, Process p, boolean forked) throws Exception {
        counters.processes().increment();
        if (forked) {
            touchAfterFork(sys, p);
        }
        return run(sys, task, p, 0, false);
    }

    /** Does the task's steps from {@code from} on; returns the process's exit status when it runs out of them. */
    private int run(Sys sys, ReplayPlan.Task task, Process p, int from, boolean holdingTurn) throws Exception {
        boolean holding = holdingTurn;
        for (int i = from; i < task.steps.size(); i++) {
            ReplayPlan.Step step = task.steps.get(i);
            if (!holding) {
                awaitTurn(sys, task, p, step.number);
            }
            counters.events().increment();
            Action a = step.action;
            if (a.releasesFirst()) {
                pass(sys, task, p, step.number);
                holding = nextIsMine(task, step.number);
                if (!doBlocking(sys, task, p, a, i)) {
                    return 0;
                }
            } else {
                try {
                    act(sys, p, a);
                } catch (SyscallException e) {
                    failed(a, e);
                }
                pass(sys, task, p, step.number);
                holding = nextIsMine(task, step.number);
            }
        }
        if (!task.thread) {
            joinThreads(sys, p);
        }
        return 0;
    }

    private boolean nextIsMine(ReplayPlan.Task task, int step) {
        return step + 1 < plan.steps.size() && plan.steps.get(step + 1).task == task.index;
    }

    /** Waits for step {@code number}'s turn; ends the process if the replay was given up. */
    private void awaitTurn(Sys sys, ReplayPlan.Task task, Process p, int number) {
        long slot = turnSlot(sys, task, p);
        int got = sys.read(turnRead[task.index], slot, 8);
        long turn = got == 8 ? sys.loadLong(slot) : ABORT;
        if (turn == ABORT) {
            sys.exit(1);
        }
        if (turn != number) {
            abort(sys, p, "pid " + task.pid + " was given turn " + turn + " while waiting for turn " + number);
        }
    }

    private long turnSlot(Sys sys, ReplayPlan.Task task, Process p) {
        return p.buffer(sys) + 8L * (task.index % 512);
    }

    private void pass(Sys sys, ReplayPlan.Task task, Process p, int number) {
        int next = number + 1;
        if (next < plan.steps.size() && plan.steps.get(next).task != task.index) {
            passTo(sys, turnSlot(sys, task, p), plan.steps.get(next).task, next);
        }
    }

    private void passTo(Sys sys, long slot, int task, long turn) {
        sys.storeLong(slot, turn);
        sys.write(turnWrite[task], slot, 8);
    }

    private void abort(Sys sys, Process p, String why) {
        ctx.fail(why);
        long slot = p.buffer(sys);
        for (int t = 0; t < turnWrite.length; t++) {
            passTo(sys, slot, t, ABORT);
        }
        sys.exit(1);
    }

    private void failed(Action a, SyscallException e) {
        counters.failed().increment();
        synchronized (failures) {
            if (failures.size() < 20) {
                failures.add(a.event().where() + " " + a.event().name + ": " + e.getMessage());
            }
        }
    }

    /** The calls that gave up the turn first; false when the task is done (a thread that ended). */
    private boolean doBlocking(Sys sys, ReplayPlan.Task task, Process p, Action a, int index) throws Exception {
        if (a instanceof Action.Exit x) {
            sys.exit(x.status());
        } else if (a instanceof Action.Killed k) {
            sys.kill(sys.getpid(), k.signal());
        } else if (a instanceof Action.ThreadEnd) {
            if (!task.thread) {
                joinThreads(sys, p);
            }
            return false;
        } else if (a instanceof Action.Exec x) {
            exec(sys, task, p, x, index);
        } else if (a instanceof Action.Wait w) {
            Integer pid = p.children.get(w.child());
            if (pid == null) {
                failed(a, new SyscallException(Errno.ECHILD, "no replayed child for pid " + plan.tasks.get(w.child()).pid));
            } else {
                sys.waitpid(pid);
            }
        } else if (a instanceof Action.Transfer t) {
            try {
                transfer(sys, p, t);
            } catch (SyscallException e) {
                failed(a, e);
            }
        } else {
            throw new IllegalStateException("not a step that gives up its turn first: " + a);
        }
        return true;
    }

    private void joinThreads(Sys sys, Process p) {
        Set<Integer> joined = new HashSet<>();
        while (true) {
            Integer next = null;
            synchronized (p) {
                for (Integer tid : p.threads) {
                    if (!joined.contains(tid)) {
                        next = tid;
                        break;
                    }
                }
            }
            if (next == null) {
                return;
            }
            joined.add(next);
            try {
                sys.joinThread(next);
            } catch (SyscallException e) {
                // a thread that is gone already needs no join
            }
        }
    }

    private void exec(Sys sys, ReplayPlan.Task task, Process p, Action.Exec x, int index) {
        for (int fd : x.closeOnExec()) {
            Integer mine = p.fds.remove(fd);
            if (mine != null) {
                sys.close(mine);
            }
        }
        try {
            sys.exec(s -> {
                p.freshImage();
                counters.execs().increment();
                touch(s, s.segmentAddress(1), policy.image(), policy.touch());
                return run(s, task, p, index + 1, nextIsMine(task, task.steps.get(index).number));
            }, new Segment(policy.image(), Vma.READ), new Segment(policy.image(), Vma.READ_WRITE));
        } catch (SyscallException e) {
            abort(sys, p, x.event().where() + ": execve failed in mmsim: " + e.getMessage());
        }
    }

    private void transfer(Sys sys, Process p, Action.Transfer t) {
        Integer fd = p.fds.get(t.fd());
        if (fd == null || t.bytes() == 0) {
            return;
        }
        long data = p.buffer(sys) + DATA;
        int done = 0;
        while (done < t.bytes()) {
            int n = t.write() ? sys.write(fd, data, t.bytes() - done) : sys.read(fd, data, t.bytes() - done);
            if (n <= 0) {
                return;
            }
            done += n;
        }
    }

    /** The calls done while holding the turn. */
    private void act(Sys sys, Process p, Action a) {
        if (a instanceof Action.Fork f) {
            fork(sys, p, f);
        } else if (a instanceof Action.MapFixed m) {
            p.forget(m.address(), m.address() + m.length());
            sys.mmapFixed(m.address(), m.length(), m.protection());
            if (m.touch()) {
                p.writable(m.address(), m.address() + m.length());
                touch(sys, m.address(), m.length(), policy.touch());
            }
        } else if (a instanceof Action.Unmap u) {
            p.forget(u.address(), u.address() + u.length());
            sys.munmap(u.address(), u.length());
        } else if (a instanceof Action.Protect m) {
            if (m.protection() != Vma.READ_WRITE) {
                p.forget(m.address(), m.address() + m.length());
            }
            sys.mprotect(m.address(), m.length(), m.protection());
        } else if (a instanceof Action.DontNeed d) {
            sys.madvise(d.address(), d.length(), Sys.MADV_DONTNEED);
        } else if (a instanceof Action.Remap r) {
            p.forget(r.address(), r.address() + Math.max(r.oldLength(), r.newLength()));
            sys.mremap(r.address(), r.oldLength(), r.newLength(), 0);
        } else if (a instanceof Action.Pipe pipe) {
            int[] fds = sys.pipe();
            closeIfOpen(sys, p, pipe.readFd());
            closeIfOpen(sys, p, pipe.writeFd());
            p.fds.put(pipe.readFd(), fds[0]);
            p.fds.put(pipe.writeFd(), fds[1]);
            counters.pipes().increment();
        } else if (a instanceof Action.Dup d) {
            Integer from = p.fds.get(d.fd());
            closeIfOpen(sys, p, d.newFd());
            if (from != null) {
                p.fds.put(d.newFd(), sys.dup(from));
            }
        } else if (a instanceof Action.Close c) {
            closeIfOpen(sys, p, c.fd());
        } else if (!(a instanceof Action.Noop)) {
            throw new IllegalStateException("a step that gives up its turn first: " + a);
        }
    }

    private static void closeIfOpen(Sys sys, Process p, int traceFd) {
        Integer mine = p.fds.remove(traceFd);
        if (mine != null) {
            sys.close(mine);
        }
    }

    private void fork(Sys sys, Process p, Action.Fork f) {
        ReplayPlan.Task child = plan.tasks.get(f.child());
        try {
            if (f.thread()) {
                int tid = sys.spawnThread(t -> {
                    counters.threads().increment();
                    run(t, child, p, 0, false);
                });
                synchronized (p) {
                    p.threads.add(tid);
                }
            } else {
                Process copy = p.forkCopy();
                int pid = sys.fork(c -> startProcess(c, child, copy, true));
                p.children.put(child.index, pid);
                counters.forks().increment();
            }
        } catch (SyscallException e) {
            abort(sys, p, f.event().where() + ": " + f.event().name + " failed in mmsim: " + e.getMessage());
        }
    }

    /** Writes one byte into {@code fraction} of the pages of {@code [address, address + length)}, at most the cap. */
    private void touch(Sys sys, long address, long length, double fraction) {
        long pages = length / ReplayPlan.PAGE;
        int k = (int) Math.min(policy.touchMaxPages(), Math.round(fraction * pages));
        for (long page : sample(sys.random(), pages, k)) {
            sys.storeByte(address + page * ReplayPlan.PAGE, (byte) 1);
            counters.touched().increment();
        }
    }

    /**
     * Between fork and the child's first event: writes to a fraction of the private writable pages it inherited; of
     * those drawn, only the pages the parent had made present (whose write is a copy-on-write fault) are written: the
     * policy models a child dirtying what it shares, and writing untouched pages too ran the 256 MiB default machine
     * out of frames on the multiprocessing trace (a replayed process that dies where the trace does not leaves the
     * others waiting for its turn).
     */
    private void touchAfterFork(Sys sys, Process p) {
        List<long[]> ranges = new ArrayList<>();
        long pages = 0;
        synchronized (p) {
            for (Map.Entry<Long, Long> r : p.writable.entrySet()) {
                ranges.add(new long[] {r.getKey(), r.getValue()});
                pages += (r.getValue() - r.getKey()) / ReplayPlan.PAGE;
            }
        }
        int k = (int) Math.min(policy.touchMaxPages(), Math.round(policy.touchAfterFork() * pages));
        for (long page : sample(sys.random(), pages, k)) {
            for (long[] r : ranges) {
                long n = (r[1] - r[0]) / ReplayPlan.PAGE;
                if (page < n) {
                    long va = r[0] + page * ReplayPlan.PAGE;
                    PageInfo info = sys.inspect(va);
                    if (info.present() && (info.writable() || info.cow())) {
                        sys.storeByte(va, (byte) 2);
                        counters.touched().increment();
                    }
                    break;
                }
                page -= n;
            }
        }
    }

    /** {@code k} distinct numbers below {@code n}, in increasing order (Floyd's sampling; all of them when k = n). */
    private static long[] sample(SplittableRandom random, long n, int k) {
        if (k <= 0 || n <= 0) {
            return new long[0];
        }
        if (k >= n) {
            long[] all = new long[(int) n];
            for (int i = 0; i < n; i++) {
                all[i] = i;
            }
            return all;
        }
        Set<Long> chosen = new HashSet<>();
        for (long j = n - k; j < n; j++) {
            long t = random.nextLong(j + 1);
            chosen.add(chosen.contains(t) ? j : t);
        }
        return chosen.stream().mapToLong(Long::longValue).sorted().toArray();
    }
}
