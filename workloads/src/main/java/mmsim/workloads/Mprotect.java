package mmsim.workloads;

import java.util.List;

import mmsim.config.Setting;
import mmsim.kernel.ExitStatus;
import mmsim.kernel.ProcessBody;
import mmsim.kernel.Sys;
import mmsim.paging.Vma;
import mmsim.stats.StatsRegistry.Counter;
import mmsim.stats.StatsRegistry.Kind;
import mmsim.stats.StatsRegistry.LatencyRecorder;
import mmsim.workload.PipeBarrier;
import mmsim.workload.Workload;
import mmsim.workload.WorkloadContext;

/**
 * Write-protection toggling, as a garbage collector's write barrier or a JIT's code patching does it:
 * threads on every CPU read a shared page while one thread repeatedly revokes and restores write access to
 * it. A permission downgrade cannot be lazy: once {@code mprotect(READ)} returns, no CPU may write through
 * a translation it cached while the page was writable, so every strategy shoots it down synchronously.
 *
 * <p>Each round runs in a forked child, because the round ends in a write that must kill its process. The
 * child maps a page P and starts reader threads, which read P's generation word until a stop word in a
 * control page is set (yielding between reads). Its main thread, the toggler, does {@code mprotect.toggles}
 * times: {@code mprotect(P, READ)} (timed), {@code mprotect(P, READ_WRITE)}, store generation + 1 in P. It
 * then stops and joins the readers, and checks the revocation itself: a new thread writes P (caching a
 * writable translation on its CPU) and meets the toggler at a {@link PipeBarrier}; the toggler revokes write
 * access; at a second barrier the writer is let go and writes P again. That write must fault and kill the
 * child; if it lands instead, the child exits with code 3. The init process waits for
 * each child.
 *
 * <p>Settings: {@code mprotect.threads} (threads of each child, the toggler included, so
 * {@code threads - 1} readers; 0 means one per simulated CPU), {@code mprotect.toggles} (revoke/restore
 * pairs per round), {@code mprotect.rounds} (children, one after the other).
 *
 * <p>Reports {@code mprotect.mprotect_ns} (host nanoseconds of each {@code mprotect(P, READ)} of the toggle
 * loop) and {@code mprotect.revoked_write_faults} (rounds whose write after the revocation faulted).
 *
 * <p>Correctness: no reader sees the generation go backwards, and every round's child is killed by a
 * segfault (any other end, the write landing included, fails the run).
 */
public final class Mprotect implements Workload {
    private static final long PAGE = 4096;
    /** The child's exit code when the write after {@code mprotect(P, READ)} did not fault. */
    static final int REVOKED_WRITE_LANDED = 3;
    /** The control page's word that tells the readers to stop. */
    private static final long STOP = 0;
    /** P's words: the toggler's generation, and the word the revocation check writes. */
    private static final long GENERATION = 0;
    private static final long WRITTEN = 8;

    static final Setting<Integer> THREADS = Setting.intRange("mprotect.threads", 0, 0, 4096,
            "Threads of each round's child, the toggling main thread included (the rest read); 0 means one per simulated CPU.");
    static final Setting<Integer> TOGGLES = Setting.intRange("mprotect.toggles", 200, 1, 10_000_000,
            "mprotect(READ) / mprotect(READ_WRITE) / store cycles of the toggling thread per round.");
    static final Setting<Integer> ROUNDS = Setting.intRange("mprotect.rounds", 4, 1, 100_000,
            "Rounds, each a forked child that toggles and ends with a write that must fault.");

    @Override
    public String name() {
        return "mprotect";
    }

    @Override
    public String description() {
        return "Readers on every CPU while one thread revokes and restores write access to their page; mprotect latency, a revoked write must fault";
    }

    @Override
    public List<Setting<?>> settings() {
        return List.of(THREADS, TOGGLES, ROUNDS);
    }

    @Override
    public List<String> headline() {
        return List.of("mprotect.mprotect_ns", "shootdown.initiator_cycles", "shootdown.reason.mprotect", "kills.segfault");
    }

    @Override
    public ProcessBody prepare(WorkloadContext ctx) {
        int threads = ctx.get(THREADS) == 0 ? ctx.machine().cpus() : ctx.get(THREADS);
        Toggles run = new Toggles(ctx, threads, ctx.get(TOGGLES), ctx.get(ROUNDS),
                ctx.latency("mprotect_ns", Kind.HOST, "ns", "Host time of each mprotect(P, READ) of the toggle loop."),
                ctx.counter("revoked_write_faults", Kind.MODELED, "rounds",
                        "Rounds whose write after mprotect(P, READ) returned faulted and killed the child, as it must."));
        return run::init;
    }

    /** One run: the init process forks a child per round; each child toggles and checks the revocation. */
    private static final class Toggles {
        private final WorkloadContext ctx;
        private final int threads;
        private final int toggles;
        private final int rounds;
        private final LatencyRecorder mprotectNs;
        private final Counter revokedWriteFaults;

        Toggles(WorkloadContext ctx, int threads, int toggles, int rounds, LatencyRecorder mprotectNs, Counter revokedWriteFaults) {
            this.ctx = ctx;
            this.threads = threads;
            this.toggles = toggles;
            this.rounds = rounds;
            this.mprotectNs = mprotectNs;
            this.revokedWriteFaults = revokedWriteFaults;
        }

        /** Init: one child per round; each must end in a segfault. */
        int init(Sys sys) {
            for (int r = 0; r < rounds; r++) {
                int round = r;
                int pid = sys.fork(child -> round(child, round));
                ExitStatus status = sys.waitpid(pid);
                if (status.kind() == ExitStatus.Kind.SEGFAULT) {
                    revokedWriteFaults.increment();
                } else if (status.exitedNormally() && status.code() == REVOKED_WRITE_LANDED) {
                    ctx.fail("round " + round + ": a write after mprotect(P, READ) returned landed instead of faulting; a TLB kept a writable"
                            + " translation (seed " + ctx.seed() + ")");
                } else {
                    ctx.fail("round " + round + ": the child (pid " + pid + ") ended " + status + "; it must be killed by the segfault of"
                            + " its write after mprotect(P, READ) (seed " + ctx.seed() + ")");
                }
                ctx.progress((r + 1.0) / rounds);
            }
            return 0;
        }

        /** A round's child: readers and toggling, then the revocation check, whose write kills it. */
        private int round(Sys sys, int round) {
            long control = sys.mmap(PAGE, Vma.READ_WRITE);
            // written before any reader starts, so that no translation of it ever changes (a first read would map the
            // zero page, and the stop flag's write would then replace it): the flag reaches the readers through any
            // shootdown strategy, the broken ones the tests plant included
            sys.storeLong(control + STOP, 0);
            long page = sys.mmap(PAGE, Vma.READ_WRITE);
            sys.storeLong(page + GENERATION, 0);
            int[] readers = new int[threads - 1];
            for (int t = 0; t < readers.length; t++) {
                int me = t;
                readers[t] = sys.spawnThread(th -> read(th, round, me, control, page));
            }
            for (int g = 1; g <= toggles; g++) {
                long t0 = System.nanoTime();
                sys.mprotect(page, PAGE, Vma.READ);
                mprotectNs.record(System.nanoTime() - t0);
                sys.mprotect(page, PAGE, Vma.READ_WRITE);
                sys.storeLong(page + GENERATION, g);
            }
            sys.storeLong(control + STOP, 1);
            for (int tid : readers) {
                sys.joinThread(tid);
            }
            return checkRevocation(sys, page);
        }

        private static java.util.BitSet cpuSet(int cpu) {
            java.util.BitSet set = new java.util.BitSet();
            set.set(cpu);
            return set;
        }

        /** A reader: the generation it sees never goes backwards. */
        private void read(Sys sys, int round, int me, long control, long page) {
            long last = 0;
            while (sys.loadLong(control + STOP) == 0) {
                long generation = sys.loadLong(page + GENERATION);
                if (generation < last || generation > toggles) {
                    ctx.fail("round " + round + ", reader " + me + " (cpu " + sys.cpuId() + "): read generation " + generation + " after "
                            + last + " (the toggler counts up from 0 to " + toggles + "; seed " + ctx.seed() + ")");
                    return;
                }
                last = generation;
                sys.yield();
            }
        }

        /**
         * A writer thread caches a writable translation of P, the main thread revokes write access, and the
         * writer writes again: that write kills the process. The writer's thread ends only if its write landed,
         * so a join that returns is the writer's report: the child then exits with {@link #REVOKED_WRITE_LANDED}.
         */
        private int checkRevocation(Sys sys, long page) {
            PipeBarrier gate = new PipeBarrier(sys, 2);
            boolean pin = ctx.machine().cpus() > 1;
            if (pin) {
                // pinned apart, and alone on their CPUs: no context switch can flush the writer's entry by chance,
                // so only the shootdown can remove it (the check is then deterministic)
                sys.schedSetaffinity(sys.gettid(), cpuSet(0));
            }
            int writer = sys.spawnThread(th -> {
                if (pin) {
                    th.schedSetaffinity(th.gettid(), cpuSet(1));
                }
                PipeBarrier.Party party = gate.party(1);
                th.storeLong(page + WRITTEN, 1);   // a writable translation in this CPU's TLB
                party.await(th);
                party.await(th);                   // P is read-only now
                th.storeLong(page + WRITTEN, 2);   // must fault
            });
            PipeBarrier.Party party = gate.party(0);
            party.await(sys);                      // the writer has written
            sys.mprotect(page, PAGE, Vma.READ);
            party.await(sys);
            sys.joinThread(writer);
            return REVOKED_WRITE_LANDED;
        }
    }
}
