package mmsim.workloads;

import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import mmsim.config.Setting;
import mmsim.kernel.ProcessBody;
import mmsim.kernel.Sys;
import mmsim.paging.Vma;
import mmsim.stats.StatsRegistry.Counter;
import mmsim.stats.StatsRegistry.Kind;
import mmsim.stats.StatsRegistry.LatencyRecorder;
import mmsim.workload.Workload;
import mmsim.workload.WorkloadContext;

/**
 * AFL's fork server: a parent initialises a large heap once, then forks one child per input; each child
 * reads part of the heap (checking every value it reads), dirties a few pages and exits. What fork
 * strategies are compared on: the cost of fork itself against the faults the children then take.
 *
 * <p>Correctness: every child reads back exactly what the parent stored before the fork, and exits 0.
 * Reports the host time of each {@code fork} call and children per host second.
 */
public final class ForkServer implements Workload {
    private static final long PAGE = 4096;

    static final Setting<Long> HEAP = Setting.bytes("forkserver.heap", 64L << 20, 4096, 1L << 40, 4096,
            "Resident heap of the fork server, filled (one word per page) before the first fork.");
    static final Setting<Integer> FORKS = Setting.intRange("forkserver.forks", 32, 1, 1_000_000,
            "Children forked, one after the other (each runs one input and exits).");
    static final Setting<Double> READ_FRACTION = Setting.decimal("forkserver.read_fraction", 0.25, 0, 16,
            "Pages each child reads, as a fraction of the heap's pages (random pages, repeats allowed).");
    static final Setting<Double> DIRTY_FRACTION = Setting.decimal("forkserver.dirty_fraction", 0.05, 0, 16,
            "Pages each child writes, as a fraction of the heap's pages (random pages, repeats allowed).");

    @Override
    public String name() {
        return "forkserver";
    }

    @Override
    public String description() {
        return "AFL's fork server: a big parent forks one short-lived child per input; fork latency, children/s";
    }

    @Override
    public List<Setting<?>> settings() {
        return List.of(HEAP, FORKS, READ_FRACTION, DIRTY_FRACTION);
    }

    @Override
    public Map<String, String> machineDefaults() {
        return Map.of("memory", "512MiB");
    }

    @Override
    public List<String> headline() {
        return List.of("forkserver.fork_ns", "forkserver.children_per_s", "faults.cow_copy", "faults.table_copy", "fork.pages_copied");
    }

    @Override
    public ProcessBody prepare(WorkloadContext ctx) {
        long heap = ctx.get(HEAP);
        int forks = ctx.get(FORKS);
        long pages = heap / PAGE;
        long reads = (long) (pages * ctx.get(READ_FRACTION));
        long writes = (long) (pages * ctx.get(DIRTY_FRACTION));
        LatencyRecorder forkNs = ctx.latency("fork_ns", Kind.HOST, "ns", "Host time of each fork() call in the server.");
        Counter children = ctx.counter("children", Kind.MODELED, "processes", "Children forked and reaped.");
        long[] loopNanos = {0};
        ctx.gauge("children_per_s", Kind.HOST, "processes/s", "Children forked, run and reaped per host second of the fork loop.",
                () -> loopNanos[0] == 0 ? 0 : children.value() * 1_000_000_000L / loopNanos[0]);
        return sys -> {
            long base = sys.mmap(heap, Vma.READ_WRITE);
            for (long p = 0; p < pages; p++) {
                sys.storeLong(base + p * PAGE, p);
            }
            int failed = 0;
            long loopStart = System.nanoTime();
            for (int i = 0; i < forks; i++) {
                SplittableRandom random = ctx.random(i);
                long t0 = System.nanoTime();
                int pid = sys.fork(child -> runInput(child, base, pages, reads, writes, random));
                forkNs.record(System.nanoTime() - t0);
                var status = sys.waitpid(pid);
                children.increment();
                if (!status.exitedNormally() || status.code() != 0) {
                    failed++;
                    ctx.fail("child " + i + " (pid " + pid + ") ended " + status);
                }
                ctx.progress((i + 1.0) / forks);
            }
            loopNanos[0] = System.nanoTime() - loopStart;
            return failed == 0 ? 0 : 1;
        };
    }

    /** One input: read random pages (each must hold its page number), then dirty a few. */
    private static int runInput(Sys child, long base, long pages, long reads, long writes, SplittableRandom random) {
        for (long k = 0; k < reads; k++) {
            long p = random.nextLong(pages);
            if (child.loadLong(base + p * PAGE) != p) {
                return 1;
            }
        }
        for (long k = 0; k < writes; k++) {
            long p = random.nextLong(pages);
            child.storeLong(base + p * PAGE + 8, k);
        }
        return 0;
    }
}
