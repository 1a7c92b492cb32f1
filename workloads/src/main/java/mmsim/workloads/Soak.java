package mmsim.workloads;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;

import mmsim.Machine;
import mmsim.check.ContentOracle;
import mmsim.check.MemoryModel;
import mmsim.check.MemoryModel.Region;
import mmsim.config.MachineConfig;
import mmsim.kernel.ExitStatus;
import mmsim.kernel.Kernel;
import mmsim.kernel.SyscallException;
import mmsim.kernel.Sys;
import mmsim.paging.Vma;
import mmsim.stats.CpuCounter;

/**
 * The randomized soak: random fork, exit, waitpid, mmap, munmap, mprotect, madvise, pipe traffic and
 * spawnThread on every CPU, with both oracles on — the stale-translation oracle checks every TLB hit,
 * the content oracle checks every read against each thread's sequential model of its own memory.
 *
 * <p>Fails (exit code 1, printing the seed that reproduces the choices) on a stale translation, a
 * content mismatch, a child that did not exit cleanly, a leaked frame, or a process that never ended;
 * a watchdog (the kernel's run timeout) dumps every simulated thread and fails (exit code 2) when the
 * run hangs. Thread interleavings come from the host, so a seed reproduces every random choice but not
 * every interleaving.
 *
 * <p>Usage: {@code java -cp workloads/target/mmsim.jar mmsim.workloads.Soak seconds=60 seed=1 cpus=4
 * shootdown=linux fork=cow [memory=256MiB]}.
 */
public final class Soak {
    private static final long PAGE = 4096;

    /** What a soak does, by kind. */
    public enum Op {
        LOAD, STORE, MMAP, MUNMAP, MPROTECT, MADVISE, FORK, PIPE, WAITPID, EXIT, SPAWN, YIELD
    }

    /** The soak's settings. */
    public record Options(long millis, long seed, int cpus, String shootdown, String fork, String memory) {
    }

    /** What a soak did and what went wrong. */
    public record Result(Options options, List<String> problems, Map<Op, Long> ops, int processes,
                         long contentChecks, Map<CpuCounter, Long> counters) {
        public boolean clean() {
            return problems.isEmpty();
        }
    }

    private final Options options;
    private final ContentOracle content = new ContentOracle();
    private final AtomicLongArray ops = new AtomicLongArray(Op.values().length);
    private final AtomicInteger processes = new AtomicInteger(1);
    private final List<String> problems = java.util.Collections.synchronizedList(new ArrayList<>());
    private final long deadline;

    private Soak(Options options) {
        this.options = options;
        this.deadline = System.nanoTime() + options.millis * 1_000_000;
    }

    public static Result run(Options o) throws InterruptedException {
        MachineConfig config = MachineConfig.parse(Map.of("cpus", Integer.toString(o.cpus), "memory", o.memory,
                "shootdown.strategy", o.shootdown, "fork.strategy", o.fork, "checking", "true",
                "seed", Long.toString(o.seed)));
        Soak soak = new Soak(o);
        Map<CpuCounter, Long> counters;
        try (Machine machine = Machine.boot(config)) {
            Kernel kernel = Kernel.boot(machine);
            try {
                ExitStatus status = kernel.run(sys -> soak.init(sys), Duration.ofMillis(o.millis + 120_000));
                if (!status.exitedNormally() || status.code() != 0) {
                    soak.problems.add("init ended " + status);
                }
            } catch (TimeoutException e) {
                soak.problems.add("watchdog: the run did not finish in time (deadlock or lost process): " + e.getMessage());
            } finally {
                kernel.close();
            }
            counters = machine.countersTotal();
            if (counters.get(CpuCounter.ORACLE_STALE_HITS) > 0) {
                soak.problems.add(counters.get(CpuCounter.ORACLE_STALE_HITS) + " stale translations, first: "
                        + machine.oracle().violations());
            }
            if (machine.frames().framesReferenced() != 0 || machine.framePool().freeFramesQuiescent() != config.frames()) {
                soak.problems.add("frames leaked: " + machine.frames().framesReferenced() + " still referenced, "
                        + (config.frames() - machine.framePool().freeFramesQuiescent()) + " not back in the pool");
            }
        }
        if (soak.content.mismatches() > 0) {
            soak.problems.add(soak.content.mismatches() + " reads disagreed with the model, first: " + soak.content.firstMismatches());
        }
        Map<Op, Long> byKind = new EnumMap<>(Op.class);
        for (Op op : Op.values()) {
            byKind.put(op, soak.ops.get(op.ordinal()));
        }
        return new Result(o, List.copyOf(soak.problems), byKind, soak.processes.get(), soak.content.checks(), counters);
    }

    private int init(Sys sys) {
        List<Integer> threads = new ArrayList<>();
        for (int t = 1; t < options.cpus; t++) {
            final long threadSeed = options.seed * 1_000_003 + t;
            threads.add(sys.spawnThread(th -> work(th, new MemoryModel(), new SplittableRandom(threadSeed), 0, Integer.MAX_VALUE)));
            count(Op.SPAWN);
        }
        int failed = work(sys, new MemoryModel(), new SplittableRandom(options.seed), 0, Integer.MAX_VALUE);
        for (int tid : threads) {
            sys.joinThread(tid);
        }
        return failed;
    }

    private void count(Op op) {
        ops.incrementAndGet(op.ordinal());
    }

    /** One thread's random walk over its own regions; returns how many problems it saw. */
    private int work(Sys sys, MemoryModel model, SplittableRandom random, int depth, int steps) {
        List<Integer> children = new ArrayList<>();
        int failed = 0;
        int pid = sys.getpid();
        while (steps-- > 0 && System.nanoTime() < deadline) {
            List<Region> regions = model.regions();
            int roll = random.nextInt(100);
            if (regions.isEmpty() || (roll < 8 && regions.size() < 8)) {
                int pages = 1 + random.nextInt(16);
                long a = sys.mmap(pages * PAGE, Vma.READ_WRITE);
                model.add(a, pages, true);
                count(Op.MMAP);
            } else if (roll < 35) {
                Region r = regions.get(random.nextInt(regions.size()));
                if (r.writable) {
                    int page = random.nextInt(r.pages);
                    int w = random.nextInt(MemoryModel.WORDS_PER_PAGE);
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
                if (!content.check(r.expected(page, w), sys.loadLong(va),
                        "seed " + options.seed + " pid " + pid + " tid " + sys.gettid() + " load 0x" + Long.toHexString(va))) {
                    failed++;
                }
                count(Op.LOAD);
            } else if (roll < 63 && regions.size() > 1) {
                Region r = regions.get(random.nextInt(regions.size()));
                sys.munmap(r.start, r.pages * PAGE);
                model.remove(r);
                count(Op.MUNMAP);
            } else if (roll < 67) {
                Region r = regions.get(random.nextInt(regions.size()));
                r.writable = !r.writable;
                sys.mprotect(r.start, r.pages * PAGE, r.writable ? Vma.READ_WRITE : Vma.READ);
                count(Op.MPROTECT);
            } else if (roll < 70) {
                Region r = regions.get(random.nextInt(regions.size()));
                int page = random.nextInt(r.pages);
                sys.madvise(r.start + page * PAGE, PAGE, Sys.MADV_DONTNEED);
                r.zero(page);
                count(Op.MADVISE);
            } else if (roll < 75 && depth < 3 && children.size() < 3) {
                children.add(fork(sys, model, random, depth));
            } else if (roll < 82 && !children.isEmpty()) {
                failed += reap(sys, children.remove(random.nextInt(children.size())));
            } else {
                sys.yield();
                count(Op.YIELD);
            }
        }
        for (int child : children) {
            failed += reap(sys, child);
        }
        return failed;
    }

    private int reap(Sys sys, int child) {
        ExitStatus s = sys.waitpid(child);
        count(Op.WAITPID);
        if (!s.exitedNormally() || s.code() != 0) {
            problems.add("seed " + options.seed + ": child " + child + " of pid " + sys.getpid() + " ended " + s);
            return 1;
        }
        return 0;
    }

    /** Forks a child that checks the copy of this thread's model, maybe receiving bytes through a pipe first. */
    private int fork(Sys sys, MemoryModel model, SplittableRandom random, int depth) {
        MemoryModel childModel = model.copy();
        long childSeed = random.nextLong();
        boolean withPipe = random.nextBoolean();
        int[] pipe = withPipe ? sys.pipe() : null;
        int bytes = 256 + random.nextInt(3840);
        byte[] message = new byte[bytes];
        new SplittableRandom(childSeed).nextBytes(message);
        int child;
        try {
            child = sys.fork(c -> {
                SplittableRandom r = new SplittableRandom(childSeed);
                int failed = 0;
                if (pipe != null) {
                    c.close(pipe[1]);
                    failed += receive(c, childModel, pipe[0], message);
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
            problems.add("seed " + options.seed + ": fork failed: " + e.getMessage());
            return -1;
        }
        processes.incrementAndGet();
        count(Op.FORK);
        if (pipe != null) {
            sys.close(pipe[0]);
            long buf = sys.mmap(bytes, Vma.READ_WRITE);
            sys.store(buf, message, 0, bytes);
            sys.write(pipe[1], buf, bytes);
            sys.close(pipe[1]);
            sys.munmap(buf, bytes);
            count(Op.PIPE);
        }
        return child;
    }

    /** Reads the parent's message into the child's first writable region (a kernel write into possibly shared pages) and checks it. */
    private int receive(Sys c, MemoryModel model, int fd, byte[] message) {
        Region target = null;
        for (Region r : model.regions()) {
            if (r.writable && r.pages * PAGE >= message.length) {
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
        if (!content.check(message.length, got, "seed " + options.seed + " pipe message length")) {
            failed++;
        }
        byte[] back = new byte[got];
        c.load(into, back, 0, got);
        for (int i = 0; i < got; i += 8) {
            int len = Math.min(8, got - i);
            if (!content.check(wordOf(message, i, len), wordOf(back, i, len), "seed " + options.seed + " pipe byte " + i)) {
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

    // ---- command line ----

    public static void main(String[] args) throws Exception {
        Map<String, String> a = new LinkedHashMap<>(Map.of("seconds", "30", "seed", "1", "cpus", "4",
                "shootdown", "linux", "fork", "cow", "memory", "256MiB"));
        for (String arg : args) {
            int eq = arg.indexOf('=');
            if (eq < 0 || !a.containsKey(arg.substring(0, eq))) {
                System.err.println("usage: Soak [seconds=N] [seed=S] [cpus=C] [shootdown=NAME] [fork=eager|cow|odf] [memory=SIZE]; got '" + arg + "'");
                System.exit(2);
            }
            a.put(arg.substring(0, eq), arg.substring(eq + 1));
        }
        Options o = new Options(Long.parseLong(a.get("seconds")) * 1000, Long.parseLong(a.get("seed")),
                Integer.parseInt(a.get("cpus")), a.get("shootdown"), a.get("fork"), a.get("memory"));
        System.out.printf("soak: %ds, seed %d, %d CPUs, shootdown %s, fork %s, %s, %d host cores%n", o.millis / 1000, o.seed,
                o.cpus, o.shootdown, o.fork, o.memory, Runtime.getRuntime().availableProcessors());
        Result r;
        try {
            r = run(o);
        } catch (IllegalArgumentException e) {
            System.err.println("invalid setting: " + e.getMessage());
            System.exit(2);
            return;
        }
        System.out.println(describe(r));
        if (!r.clean()) {
            System.out.println("FAILED; reproduce the same choices with seed=" + o.seed);
            for (String p : r.problems()) {
                System.out.println("  " + p);
            }
            System.exit(r.problems().stream().anyMatch(p -> p.startsWith("watchdog")) ? 2 : 1);
        }
        System.out.println("clean");
    }

    /** A readable account of what the soak did. */
    public static String describe(Result r) {
        StringBuilder sb = new StringBuilder("operations:");
        r.ops().forEach((op, n) -> sb.append(' ').append(op.name().toLowerCase(java.util.Locale.ROOT)).append('=').append(n));
        Map<CpuCounter, Long> c = r.counters();
        sb.append(String.format("%nprocesses: %d; content checks: %d%n", r.processes(), r.contentChecks()));
        sb.append(String.format("shootdowns: %d (IPIs %d); faults: demand-zero %d, cow copy %d, cow reuse %d, table copy %d, segfaults %d, oom %d; stale hits %d",
                c.get(CpuCounter.SHOOTDOWNS), c.get(CpuCounter.SHOOTDOWN_IPIS_SENT), c.get(CpuCounter.FAULTS_DEMAND_ZERO),
                c.get(CpuCounter.FAULTS_COW_COPY), c.get(CpuCounter.FAULTS_COW_REUSE), c.get(CpuCounter.FAULTS_TABLE_COPY),
                c.get(CpuCounter.SEGFAULTS), c.get(CpuCounter.OOM_KILLS), c.get(CpuCounter.ORACLE_STALE_HITS)));
        return sb.toString();
    }
}
