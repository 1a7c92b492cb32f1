package mmsim.workloads;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;

import mmsim.check.ContentOracle;
import mmsim.check.MemoryModel;
import mmsim.check.MemoryModel.Handoff;
import mmsim.check.MemoryModel.Region;
import mmsim.config.ConfigException;
import mmsim.config.Setting;
import mmsim.kernel.Errno;
import mmsim.kernel.ExitStatus;
import mmsim.kernel.Errno;
import mmsim.kernel.ProcessBody;
import mmsim.kernel.Signals;
import mmsim.kernel.Sys;
import mmsim.kernel.SyscallException;
import mmsim.paging.PageTable;
import mmsim.paging.Vma;
import mmsim.stats.StatsRegistry.Counter;
import mmsim.stats.StatsRegistry.Kind;
import mmsim.workload.Workload;
import mmsim.workload.WorkloadContext;

/**
 * The randomized soak: random fork, exit, waitpid, kill, mmap (some with a hint far away, in page tables
 * of their own, which munmap and mremap then free), munmap, mremap (grow, shrink, move), mmap with MAP_FIXED
 * over part of a region, mprotect, madvise, pipe traffic, spawnThread, sched_setaffinity and yield on every
 * CPU, each thread checking every read against its own sequential model of its memory (the content oracle,
 * invariant 10), which follows every move. Run it with {@code --check} so that the
 * stale-translation oracle checks every TLB hit too: {@code mmsim run chaos --check --seconds 60 --seed 7}.
 *
 * <p>Shared mappings: a third of the regions a walk maps are shared ({@link Sys#mmapShared}), and init's threads
 * all share one more. Each tracked word of a shared region has one owner at a time ({@link MemoryModel}): the
 * owner writes it and checks its reads; the other sharers read it unchecked, since with no synchronisation any
 * value the owner stored may be the one they see. Fork hands a random half of the parent's words to the child
 * (and init lends each thread a share of its region); after {@code waitpid} (or {@code joinThread}) the parent
 * takes them back and must read exactly what the child last stored, which only a mapping really shared gives
 * (a child the walk killed may have died mid-store: its words are not taken back, and stay unchecked).
 * Untouched pages are read as often as written ones, so with {@code mm.zero_page} on many reads map the zero
 * page and must read 0. mremap and MAP_FIXED act on private regions only (a shared object keeps its size).
 *
 * <p>A kill sends one of the walker's own children SIGTERM or SIGKILL and reaps it at once; the children of a
 * killed child outlive it, init adopts them, and init waits for every such orphan at the end. The walk notes
 * each signal it sends before sending it, so that what a kill causes is told from a failure: the victim's
 * status, and a grandchild's status when the killer was killed before reaping it. A child's pipe message is
 * written whole before the fork, so no child waits on a pipe whose writer was killed (another thread's child may
 * hold its write end open indefinitely). An affinity step pins the thread
 * to a random set of CPUs (sometimes all), inherited by the children it forks after.
 *
 * <p>Correctness: every read agrees with the model, every child and adopted orphan exits 0 or ends by the
 * signal the walk sent it (a zombie keeps the exit it had), a thread runs only on CPUs its affinity allows,
 * no fork fails for lack of memory, and (through the harness) no stale TLB hit and no leaked frame. A seed
 * reproduces every random choice (each thread and child walks with a generator of its own). In the default
 * mode the interleaving of threads comes from the host, and so does how many operations fit in
 * {@code chaos.seconds}; in the deterministic mode ({@code --deterministic}) the walk runs for a modeled budget,
 * {@code chaos.cycles}, and a seed reproduces the whole run.
 */
public final class Chaos implements Workload {
    private static final long PAGE = 4096;
    /** Where far mappings are hinted: 4 GiB, above everything else the walk maps; one of 4096 leaf-table spans. */
    private static final long FAR = 1L << 32;
    private static final int FAR_SPANS = 4096;

    static final Setting<Integer> SECONDS = Setting.intRange("chaos.seconds", 10, 1, 7 * 24 * 3600,
            "Host seconds the random walk runs before every thread winds down (children finish their steps): the budget "
                    + "in the default mode unless chaos.cycles is given. A deterministic run never reads host time, so there "
                    + "giving chaos.seconds (or --seconds) is an error: give chaos.cycles.");
    /** The modeled budget's default: 20 ms of modeled time at 3 GHz, 2 to 3 host seconds deterministic on 4 CPUs and 2 host cores. */
    static final long DEFAULT_CYCLES = 60_000_000L;
    static final Setting<Long> CYCLES = Setting.longRange("chaos.cycles", DEFAULT_CYCLES, 10_000L, 1L << 50,
            "Modeled budget of the random walk: each thread stops taking new steps once the clock of the CPU it runs on "
                    + "is this many cycles past init's start (children finish their steps). The budget in the deterministic "
                    + "mode (the default, 60,000,000 cycles = 20 ms at 3 GHz, takes 2 to 3 host seconds on 4 CPUs), and in "
                    + "the default mode when given, instead of chaos.seconds (one budget per run: not both).");
    static final Setting<Integer> THREADS = Setting.intRange("chaos.threads", 0, 0, 4096,
            "Threads of the init process doing random walks; 0 means one per simulated CPU.");

    /** What the walk does, by kind; each is counted as {@code chaos.ops.<kind>}. */
    public enum Op {
        LOAD, STORE, MMAP, MUNMAP, MREMAP, MAP_FIXED, MPROTECT, MADVISE, FORK, PIPE, WAITPID, EXIT, SPAWN, YIELD, KILL, AFFINITY,
        /** A shared mapping mapped. */
        MMAP_SHARED,
        /** A read of a shared word another sharer owns: any value it stored may be read, so none is checked. */
        SHARED_LOAD,
        /** A word taken back from a reaped child or a joined thread, read and checked against its last store. */
        TAKE_BACK
    }

    /** Pages of the shared mapping init's threads share. */
    private static final int LENT_PAGES = 4;

    @Override
    public String name() {
        return "chaos";
    }

    @Override
    public String description() {
        return "the randomized soak: random fork/exit/waitpid/kill/mmap (private and shared)/munmap/mremap/MAP_FIXED/mprotect/madvise/pipes/threads/affinity, every read checked";
    }

    /**
     * 4 GiB unless given: the walk's population grows with the CPUs and the time it runs (256 CPUs exhausted the
     * machine's default 256 MiB in about 8 host seconds, and a fork failing for lack of memory fails the soak); host
     * memory is taken only for the frames the walk touches.
     */
    @Override
    public java.util.Map<String, String> machineDefaults() {
        return java.util.Map.of("memory", "4GiB");
    }

    @Override
    public List<Setting<?>> settings() {
        return List.of(SECONDS, CYCLES, THREADS);
    }

    @Override
    public List<String> headline() {
        return List.of("chaos.content_checks", "chaos.processes", "shootdown.initiated", "shootdown.initiator_cycles",
                "faults.cow_copy", "oracle.stale_hits");
    }

    @Override
    public ProcessBody prepare(WorkloadContext ctx) {
        Map<Op, Counter> ops = new EnumMap<>(Op.class);
        for (Op op : Op.values()) {
            String kind = op.name().toLowerCase(Locale.ROOT);
            ops.put(op, ctx.counter("ops." + kind, Kind.MODELED, "operations", "Random-walk steps of kind " + kind + "."));
        }
        Counter processes = ctx.counter("processes", Kind.MODELED, "processes", "Processes the walk created, init included.");
        ctx.gauge("content_checks", Kind.MODELED, "reads", "Reads checked against the threads' models.", () -> ctx.content().checks());
        int threads = ctx.get(THREADS) == 0 ? ctx.machine().cpus() : ctx.get(THREADS);
        Walk walk = new Walk(ctx, ops, processes, ctx.machine().cpus(), modeledBudget(ctx));
        return sys -> walk.init(sys, threads);
    }

    /**
     * Whether the walk's budget is modeled ({@code chaos.cycles}) rather than host time ({@code chaos.seconds}).
     *
     * @throws ConfigException when both are given, or host seconds are given to a deterministic run
     */
    private static boolean modeledBudget(WorkloadContext ctx) {
        boolean seconds = ctx.given(SECONDS);
        boolean cycles = ctx.given(CYCLES);
        if (seconds && cycles) {
            throw new ConfigException(SECONDS.key() + " and " + CYCLES.key() + " are both given, but the walk has one budget: "
                    + "give " + CYCLES.key() + " (modeled cycles) or " + SECONDS.key() + " (host seconds)");
        }
        if (seconds && ctx.machine().deterministic()) {
            throw new ConfigException(SECONDS.key() + " (--seconds) is host time, which a deterministic run never reads "
                    + "(how far the walk got would depend on the host): give a modeled budget instead, " + CYCLES.key()
                    + "=N cycles (default " + DEFAULT_CYCLES + ", 20 ms at 3 GHz)");
        }
        return cycles || ctx.machine().deterministic();
    }

    /** One run's random walk: shared, read-only settings and thread-safe counters. */
    private static final class Walk {
        private final WorkloadContext ctx;
        private final ContentOracle content;
        private final Map<Op, Counter> ops;
        private final Counter processes;
        /** Modeled cycles (on a CPU's clock) when true, else host nanoseconds: what {@link #budget} and {@link #start} count. */
        private final boolean modeledBudget;
        private final long budget;
        /** When init started, set before any other thread exists. */
        private long start;
        private final long seed;
        private final int cpus;
        /** Every signal the walk sent, by the pid it went to (noted before the kill; a record for the checks, not a synchronisation). */
        private final Map<Integer, Integer> signalsSent = new ConcurrentHashMap<>();

        Walk(WorkloadContext ctx, Map<Op, Counter> ops, Counter processes, int cpus, boolean modeledBudget) {
            this.ctx = ctx;
            this.content = ctx.content();
            this.ops = ops;
            this.processes = processes;
            this.seed = ctx.seed();
            this.modeledBudget = modeledBudget;
            this.budget = modeledBudget ? ctx.get(CYCLES) : ctx.get(SECONDS) * 1_000_000_000L;
            this.cpus = cpus;
        }

        private long now(Sys sys) {
            return modeledBudget ? sys.nowCycles() : System.nanoTime();
        }

        /** The walk stops taking new steps once its budget is spent (a budget, not a synchronisation). */
        private boolean pastDeadline(Sys sys) {
            long spent = now(sys) - start;
            ctx.progress((double) spent / budget);
            return spent >= budget;
        }

        /**
         * The init process: starts the budget (before any other thread exists), maps the shared region its threads
         * share, lends each spawned thread a share of its words, then walks on every thread; each thread's words
         * are taken back and checked once it has been joined.
         */
        int init(Sys sys, int threads) {
            start = now(sys);
            processes.increment();
            MemoryModel model = new MemoryModel();
            Region lent = model.addShared(sys.mmapShared(LENT_PAGES * PAGE, Vma.READ_WRITE), LENT_PAGES, true, true);
            count(Op.MMAP_SHARED);
            SplittableRandom lending = ctx.random(-1);
            List<Integer> tids = new ArrayList<>();
            List<Handoff> loans = new ArrayList<>();
            for (int t = 1; t < threads; t++) {
                final SplittableRandom random = ctx.random(t);
                final int sharers = threads - t + 1;
                Handoff loan = model.lend(lent, () -> lending.nextInt(sharers) == 0);
                loans.add(loan);
                tids.add(sys.spawnThread(th -> work(th, loan.child(), random, 0, Integer.MAX_VALUE)));
                count(Op.SPAWN);
            }
            int failed = work(sys, model, ctx.random(0), 0, Integer.MAX_VALUE);
            for (int i = 0; i < tids.size(); i++) {
                sys.joinThread(tids.get(i));
                failed += checkTakenBack(sys, model, loans.get(i), "thread " + tids.get(i));
            }
            failed += reapOrphans(sys);
            return failed == 0 ? 0 : 1;
        }

        /** Waits for the orphans init adopted (children of killed children): each must exit 0 or end by the signal the walk sent it. */
        private int reapOrphans(Sys sys) {
            int failed = 0;
            while (true) {
                Sys.Waited w;
                try {
                    w = sys.waitAny();
                } catch (SyscallException e) {
                    if (e.errno() == Errno.ECHILD) {
                        return failed;
                    }
                    throw e;
                }
                count(Op.WAITPID);
                if (!endedWell(w.pid(), w.status())) {
                    ctx.fail("seed " + seed + ": orphan " + w.pid() + " adopted by init ended " + w.status());
                    failed++;
                }
            }
        }

        /** Whether {@code pid} exited 0, or ended by the signal the walk sent it. */
        private boolean endedWell(int pid, ExitStatus s) {
            Integer sent = signalsSent.get(pid);
            boolean bySentSignal = sent != null && s.kind() == ExitStatus.Kind.SIGNALED && s.signal() == sent;
            return bySentSignal || (s.exitedNormally() && s.code() == 0);
        }

        private void count(Op op) {
            ops.get(op).increment();
        }

        /** A forked child and the words of shared regions handed to it. */
        private record Child(int pid, Handoff handoff) {
        }

        /** One thread's random walk over its own regions; returns how many problems it saw. */
        private int work(Sys sys, MemoryModel model, SplittableRandom random, int depth, int steps) {
            List<Child> children = new ArrayList<>();
            int failed = 0;
            int pid = sys.getpid();
            while (steps-- > 0 && !pastDeadline(sys)) {
                List<Region> regions = model.regions();
                int roll = random.nextInt(100);
                if (regions.isEmpty() || (roll < 8 && regions.size() < 8)) {
                    int pages = 1 + random.nextInt(16);
                    // one in four far away, in a leaf table of its own (unless another thread took the hint
                    // first): unmapping or moving it frees page tables
                    if (random.nextInt(3) == 0) {
                        model.addShared(sys.mmapShared(pages * PAGE, Vma.READ_WRITE), pages, true, false);
                        count(Op.MMAP_SHARED);
                    } else {
                        long a = random.nextInt(4) == 0
                                ? sys.mmapHint(FAR + random.nextInt(FAR_SPANS) * PageTable.LEAF_TABLE_SPAN, pages * PAGE, Vma.READ_WRITE)
                                : sys.mmap(pages * PAGE, Vma.READ_WRITE);
                        model.add(a, pages, true);
                        count(Op.MMAP);
                    }
                } else if (roll < 35) {
                    Region r = regions.get(random.nextInt(regions.size()));
                    int page = random.nextInt(r.pages);
                    int w = random.nextInt(MemoryModel.WORDS_PER_PAGE);
                    if (r.writable && r.owns(page, w)) {
                        long v = random.nextLong();
                        sys.storeLong(r.address(page, w), v);
                        r.stored(page, w, v);
                        count(Op.STORE);
                    }
                } else if (roll < 60) {
                    Region r = regions.get(random.nextInt(regions.size()));
                    int page = random.nextInt(r.pages);
                    int w = random.nextInt(MemoryModel.WORDS_PER_PAGE);
                    long va = r.address(page, w);
                    if (!r.owns(page, w)) {
                        sys.loadLong(va);
                        count(Op.SHARED_LOAD);
                    } else {
                        long expected = r.expected(page, w);
                        long got = sys.loadLong(va);
                        // the description only on a mismatch: its gettid is a system call, modeled time the walk never asked for
                        if (!content.check(expected, got)) {
                            content.describeMismatch(expected, got,
                                    "seed " + seed + " pid " + pid + " tid " + sys.gettid() + " load 0x" + Long.toHexString(va));
                            failed++;
                        }
                        count(Op.LOAD);
                    }
                } else if (roll < 63 && regions.size() > 1) {
                    Region r = regions.get(random.nextInt(regions.size()));
                    if (!r.pinned) {
                        sys.munmap(r.start, r.pages * PAGE);
                        model.remove(r);
                        count(Op.MUNMAP);
                    }
                } else if (roll < 67) {
                    Region r = regions.get(random.nextInt(regions.size()));
                    if (!r.pinned) {
                        r.writable = !r.writable;
                        sys.mprotect(r.start, r.pages * PAGE, r.writable ? Vma.READ_WRITE : Vma.READ);
                        count(Op.MPROTECT);
                    }
                } else if (roll < 70) {
                    Region r = regions.get(random.nextInt(regions.size()));
                    int page = random.nextInt(r.pages);
                    sys.madvise(r.start + page * PAGE, PAGE, Sys.MADV_DONTNEED);
                    if (!r.shared) {
                        r.zero(page);   // a shared page keeps its data: the next touch maps it again
                    }
                    count(Op.MADVISE);
                } else if (roll < 75 && depth < 3 && children.size() < 3) {
                    Child child = fork(sys, model, random, depth);
                    if (child != null) {
                        children.add(child);
                    } else {
                        failed++;
                    }
                } else if (roll < 82 && !children.isEmpty()) {
                    failed += reap(sys, model, children.remove(random.nextInt(children.size())));
                } else if (roll < 84 && !children.isEmpty()) {
                    failed += killAndReap(sys, model, children.remove(random.nextInt(children.size())), random);
                } else if (roll >= 84 && roll < 86) {
                    failed += pin(sys, random);
                } else if (roll >= 86 && roll < 89) {
                    Region r = regions.get(random.nextInt(regions.size()));
                    if (!r.shared) {   // private regions only: a shared object keeps its size
                        failed += remap(sys, model, r, random);
                    }
                } else if (roll >= 89 && roll < 91) {
                    Region r = regions.get(random.nextInt(regions.size()));
                    if (!r.shared) {
                        int first = random.nextInt(r.pages);
                        int pages = 1 + random.nextInt(r.pages - first);
                        sys.mmapFixed(r.start + first * PAGE, pages * PAGE, r.writable ? Vma.READ_WRITE : Vma.READ);
                        for (int page = first; page < first + pages; page++) {
                            r.zero(page);
                        }
                        count(Op.MAP_FIXED);
                    }
                } else {
                    sys.yield();
                    count(Op.YIELD);
                }
            }
            for (Child child : children) {
                failed += reap(sys, model, child);
            }
            return failed;
        }

        /**
         * Resizes {@code r} to 1 to 24 pages with mremap, allowed to move or not; the model follows. Only a growth
         * without MREMAP_MAYMOVE may fail (ENOMEM: the pages after the region are taken, or belong to a
         * neighbour with the same protection, which Linux would have merged into the same mapping).
         */
        private int remap(Sys sys, MemoryModel model, Region r, SplittableRandom random) {
            int pages = 1 + random.nextInt(24);
            boolean mayMove = random.nextBoolean();
            try {
                long a = sys.mremap(r.start, r.pages * PAGE, pages * PAGE, mayMove ? Sys.MREMAP_MAYMOVE : 0);
                model.remap(r, a, pages);
                count(Op.MREMAP);
                return 0;
            } catch (SyscallException e) {
                if (e.errno() == Errno.ENOMEM && !mayMove && pages > r.pages) {
                    return 0;
                }
                ctx.fail("seed " + seed + ": pid " + sys.getpid() + " mremap of " + r.pages + " to " + pages
                        + " pages failed: " + e.getMessage());
                return 1;
            }
        }

        /** Waits for {@code child}, then takes back the shared words handed to it and checks each. */
        private int reap(Sys sys, MemoryModel model, Child child) {
            ExitStatus s = sys.waitpid(child.pid());
            count(Op.WAITPID);
            if (!s.exitedNormally() || s.code() != 0) {
                model.takeBack(child.handoff());
                ctx.fail("seed " + seed + ": child " + child.pid() + " of pid " + sys.getpid() + " ended " + s);
                return 1;
            }
            return checkTakenBack(sys, model, child.handoff(), "child " + child.pid());
        }

        /** Takes back the shared words of {@code handoff}, whose child finished, and checks that each reads its last store. */
        private int checkTakenBack(Sys sys, MemoryModel model, Handoff handoff, String from) {
            int failed = 0;
            for (MemoryModel.Word word : model.takeBack(handoff)) {
                long va = word.address();
                long got = sys.loadLong(va);
                if (!content.check(word.expected(), got)) {
                    content.describeMismatch(word.expected(), got, "seed " + seed + " pid " + sys.getpid() + " tid "
                            + sys.gettid() + " load 0x" + Long.toHexString(va) + " of a shared word taken back from " + from);
                    failed++;
                }
                count(Op.TAKE_BACK);
            }
            return failed;
        }

        /**
         * Sends {@code child} SIGTERM or SIGKILL and reaps it: it must end by that signal, or have exited 0
         * before the signal came (a zombie ignores it).
         */
        private int killAndReap(Sys sys, MemoryModel model, Child child, SplittableRandom random) {
            int sig = random.nextBoolean() ? Signals.SIGTERM : Signals.SIGKILL;
            signalsSent.put(child.pid(), sig);
            sys.kill(child.pid(), sig);
            count(Op.KILL);
            ExitStatus s = sys.waitpid(child.pid());
            count(Op.WAITPID);
            if (!endedWell(child.pid(), s)) {
                ctx.fail("seed " + seed + ": child " + child.pid() + " of pid " + sys.getpid() + ", sent " + Signals.name(sig)
                        + ", ended " + s);
                return 1;
            }
            if (s.exitedNormally()) {
                return checkTakenBack(sys, model, child.handoff(), "child " + child.pid());
            }
            return 0;   // killed, perhaps mid-store: its shared words are not taken back and stay unchecked
        }

        /** Pins this thread to a random set of CPUs (every CPU one time in four) and checks it now runs on one of them. */
        private int pin(Sys sys, SplittableRandom random) {
            BitSet allowed = new BitSet(cpus);
            if (random.nextInt(4) == 0) {
                allowed.set(0, cpus);
            } else {
                do {
                    for (int c = 0; c < cpus; c++) {
                        if (random.nextBoolean()) {
                            allowed.set(c);
                        }
                    }
                } while (allowed.isEmpty());
            }
            sys.schedSetaffinity(0, allowed);
            count(Op.AFFINITY);
            int on = sys.cpuId();
            if (!allowed.get(on)) {
                ctx.fail("seed " + seed + ": pid " + sys.getpid() + " tid " + sys.gettid() + " runs on CPU " + on
                        + " after pinning itself to " + allowed);
                return 1;
            }
            return 0;
        }

        /**
         * Forks a child that checks the copy of this thread's model, owning a random half of its shared words, maybe
         * receiving bytes through a pipe first; null when fork failed.
         */
        private Child fork(Sys sys, MemoryModel model, SplittableRandom random, int depth) {
            Handoff handoff = model.fork(random::nextBoolean);
            MemoryModel childModel = handoff.child();
            long childSeed = random.nextLong();
            boolean withPipe = random.nextBoolean();
            int[] pipe = withPipe ? sys.pipe() : null;
            int bytes = 256 + random.nextInt(3840);
            byte[] message = new byte[bytes];
            new SplittableRandom(childSeed).nextBytes(message);
            int parent = sys.getpid();
            if (pipe != null) {
                // the whole message goes in before the fork (it fits in the pipe): a sibling forked meanwhile by another
                // thread of this process inherits the write end, and a child left waiting for the rest of a message
                // whose writer was killed would then wait for an end of file that sibling holds off
                long buf = sys.mmap(bytes, Vma.READ_WRITE);
                sys.store(buf, message, 0, bytes);
                sys.write(pipe[1], buf, bytes);
                sys.munmap(buf, bytes);
            }
            int child;
            try {
                child = sys.fork(c -> {
                    SplittableRandom r = new SplittableRandom(childSeed);
                    int failed = 0;
                    if (pipe != null) {
                        c.close(pipe[1]);
                        failed += receive(c, childModel, pipe[0], message, parent);
                        c.close(pipe[0]);
                    }
                    failed += work(c, childModel, r, depth + 1, 200 + r.nextInt(2000));
                    count(Op.EXIT);
                    return failed == 0 ? 0 : 1;
                });
            } catch (SyscallException e) {
                if (pipe != null) {
                    sys.close(pipe[0]);
                    sys.close(pipe[1]);
                }
                model.takeBack(handoff);
                ctx.fail("seed " + seed + ": fork failed: " + e.getMessage());
                return null;
            }
            processes.increment();
            count(Op.FORK);
            if (pipe != null) {
                sys.close(pipe[0]);
                sys.close(pipe[1]);
                count(Op.PIPE);
            }
            return new Child(child, handoff);
        }

        /**
         * Reads the parent's message into the child's first writable private region (a kernel write into pages it
         * may share copy-on-write) and checks it. End of file before any byte is no failure when the walk killed the parent: it
         * died before it sent the message.
         */
        private int receive(Sys c, MemoryModel model, int fd, byte[] message, int parent) {
            Region target = null;
            for (Region r : model.regions()) {
                if (r.writable && !r.shared && r.pages * PAGE >= message.length) {
                    target = r;
                    break;
                }
            }
            long into = target != null ? target.start : c.mmap(message.length, Vma.READ_WRITE);
            int got = 0;
            while (got < message.length) {
                int n = c.read(fd, into + got, message.length - got);
                if (n == 0) {
                    break;
                }
                got += n;
            }
            int failed = 0;
            if (got == 0 && signalsSent.containsKey(parent)) {
                if (target == null) {
                    c.munmap(into, message.length);
                }
                return 0;
            }
            if (!content.check(message.length, got, "seed " + seed + " pipe message length")) {
                failed++;
            }
            byte[] back = new byte[got];
            c.load(into, back, 0, got);
            for (int i = 0; i < got; i += 8) {
                int len = Math.min(8, got - i);
                if (!content.check(wordOf(message, i, len), wordOf(back, i, len), "seed " + seed + " pipe byte " + i)) {
                    failed++;
                    break;
                }
            }
            if (target != null) {
                // the message overwrote the region's start: those tracked words now hold its bytes
                for (int page = 0; page < target.pages; page++) {
                    for (int w = 0; w < MemoryModel.WORDS_PER_PAGE; w++) {
                        long off = target.address(page, w) - target.start;
                        if (off + 8 <= got) {
                            target.stored(page, w, wordOf(message, (int) off, 8));
                        }
                    }
                }
            } else {
                c.munmap(into, message.length);
            }
            return failed;
        }

        private static long wordOf(byte[] b, int at, int len) {
            long v = 0;
            for (int i = len - 1; i >= 0; i--) {
                v = (v << 8) | (b[at + i] & 0xFF);
            }
            return v;
        }
    }
}
