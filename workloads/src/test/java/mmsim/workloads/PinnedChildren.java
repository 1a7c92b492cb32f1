package mmsim.workloads;

import java.util.BitSet;
import java.util.List;

import mmsim.config.Setting;
import mmsim.kernel.ExitStatus;
import mmsim.kernel.ProcessBody;
import mmsim.kernel.Sys;
import mmsim.paging.Vma;
import mmsim.stats.StatsRegistry.Counter;
import mmsim.stats.StatsRegistry.Kind;
import mmsim.workload.Workload;
import mmsim.workload.WorkloadContext;

/**
 * Child processes that share nothing: each maps, touches, checks and unmaps regions of its own, while init waits
 * for them. Init never maps anything. Where the children run:
 * <ul>
 *   <li>{@code pinned.spread=false}: every process is pinned to CPU 0 (init is born there, so it never moves, and
 *       the children inherit the pin). The children share CPU 0, switched by the preemption tick, which falls
 *       due on CPU 0's modeled clock; every other CPU only idles. Nothing one CPU does can reach another, so no
 *       order of the host's threads can change what happens.</li>
 *   <li>{@code pinned.spread=true}: child c is pinned to CPU c, forked there by init, which walks the CPUs (pinned
 *       to CPU c it forks child c, then pins itself to the next CPU and leaves the child its CPU). A child's
 *       address space is only ever loaded on its own CPU, so its munmaps interrupt no one; the children touch
 *       nothing in common but the frame pool (which hands out frames, not events).</li>
 * </ul>
 * The child on CPU c (or the c-th child) does c times the rounds of the first.
 */
final class PinnedChildren implements Workload {
    private static final long PAGE = 4096;

    static final Setting<Integer> CHILDREN = Setting.intRange("pinned.children", 2, 1, 1024,
            "Children forked; with pinned.spread, at most one per CPU but CPU 0.");
    static final Setting<Integer> ROUNDS = Setting.intRange("pinned.rounds", 8, 1, 1_000_000,
            "Rounds of the first child (the c-th does c times as many): map, touch every page, read every page back, unmap.");
    static final Setting<Integer> PAGES = Setting.intRange("pinned.pages", 16, 1, 65_536,
            "Pages each child maps in each round.");
    static final Setting<Boolean> SPREAD = Setting.bool("pinned.spread", false,
            "Child c on CPU c (true), or every process on CPU 0 (false).");

    @Override
    public String name() {
        return "pinned";
    }

    @Override
    public String description() {
        return "children that share nothing map, touch and unmap regions of their own, on CPU 0 or one per CPU";
    }

    @Override
    public List<Setting<?>> settings() {
        return List.of(CHILDREN, ROUNDS, PAGES, SPREAD);
    }

    @Override
    public ProcessBody prepare(WorkloadContext ctx) {
        int children = ctx.get(CHILDREN);
        boolean spread = ctx.get(SPREAD);
        if (spread && children >= ctx.machine().cpus()) {
            throw new mmsim.config.ConfigException("pinned.spread needs a CPU per child besides CPU 0");
        }
        int rounds = ctx.get(ROUNDS);
        long bytes = ctx.get(PAGES) * PAGE;
        Counter done = ctx.counter("rounds", Kind.MODELED, "rounds", "Rounds the children completed.");
        return sys -> {
            pinTo(sys, 0);
            int[] pids = new int[children + 1];
            for (int c = 1; c <= children; c++) {
                if (spread) {
                    pinTo(sys, c);
                }
                int mine = rounds * c;
                pids[c] = sys.fork(child -> work(child, mine, bytes, done));
            }
            pinTo(sys, 0);
            int failed = 0;
            for (int c = 1; c <= children; c++) {
                ExitStatus s = sys.waitpid(pids[c]);
                if (!s.exitedNormally() || s.code() != 0) {
                    ctx.fail("child " + c + " (pid " + pids[c] + ") ended " + s);
                    failed++;
                }
            }
            return failed == 0 ? 0 : 1;
        };
    }

    private static void pinTo(Sys sys, int cpu) {
        BitSet only = new BitSet();
        only.set(cpu);
        sys.schedSetaffinity(0, only);
    }

    /** Maps, stores a word in every page, reads each back, unmaps: {@code rounds} times. Exit 1 on a wrong read. */
    private static int work(Sys sys, int rounds, long bytes, Counter done) {
        for (int r = 0; r < rounds; r++) {
            long region = sys.mmap(bytes, Vma.READ_WRITE);
            for (long off = 0; off < bytes; off += PAGE) {
                sys.storeLong(region + off, r * bytes + off);
            }
            for (long off = 0; off < bytes; off += PAGE) {
                if (sys.loadLong(region + off) != r * bytes + off) {
                    return 1;
                }
            }
            sys.munmap(region, bytes);
            done.increment();
        }
        return 0;
    }
}
