package mmsim.workloads;

import java.util.List;
import java.util.Map;

import mmsim.check.ContentOracle;
import mmsim.config.Setting;
import mmsim.kernel.ExitStatus;
import mmsim.kernel.ProcessBody;
import mmsim.kernel.Segment;
import mmsim.kernel.Sys;
import mmsim.paging.Vma;
import mmsim.stats.StatsRegistry.Kind;
import mmsim.stats.StatsRegistry.LatencyRecorder;
import mmsim.workload.Workload;
import mmsim.workload.WorkloadContext;

/**
 * A shell spawning commands: a process with a large resident heap forks, and the child at once execs a small
 * program, throwing the copied (or shared) address space away. Everything a fork strategy does for the
 * parent's memory is wasted here, so it measures the bare cost of fork on a big process, the case that
 * {@code vfork} and {@code posix_spawn} exist for.
 *
 * <p>The parent maps {@code forkexec.resident} bytes and touches every page, then spawns
 * {@code forkexec.spawns} commands one after another: fork; the child execs an image of one read-write
 * segment of {@code forkexec.image} bytes; the new image checks that the parent's heap is no longer mapped,
 * that its fresh pages read as zeros, stores a word in each page, reads them all back and exits 0; the parent
 * waits for it.
 *
 * <p>Correctness: before exec the child sees the inherited heap mapped; after exec the old heap is gone
 * ({@link Sys#frameOf} of its first and last page is -1, an inspection without a fault), the image's pages
 * start zeroed and read back what was stored (each read reported to the content oracle); every child exits 0.
 *
 * <p>Reports {@code forkexec.fork_ns} (host time of each fork call) and {@code forkexec.spawn_ns} (host time
 * from before the fork until waitpid returned).
 */
public final class ForkExec implements Workload {
    private static final long PAGE = 4096;
    /** Exit code of an image that read back something other than zeros or what it stored. */
    private static final int IMAGE_CONTENT_WRONG = 1;
    /** Exit code of an image that still sees the parent's heap mapped after exec. */
    private static final int OLD_IMAGE_VISIBLE = 2;
    /** Exit code of a child that does not see the parent's heap before exec (the exec check would prove nothing). */
    private static final int HEAP_NOT_INHERITED = 3;

    static final Setting<Long> RESIDENT = Setting.bytes("forkexec.resident", 64L << 20, 4096, 64L << 30, 4096,
            "The shell's resident heap, every page touched before the first spawn.");
    static final Setting<Integer> SPAWNS = Setting.intRange("forkexec.spawns", 32, 1, 1_000_000,
            "Commands spawned (fork, then exec in the child), one after another.");
    static final Setting<Long> IMAGE = Setting.bytes("forkexec.image", 64L << 10, 4096, 128L << 20, 4096,
            "The exec'd program's one read-write segment, every page stored to and read back.");

    @Override
    public String name() {
        return "forkexec";
    }

    @Override
    public String description() {
        return "A shell spawning commands: fork a big process, exec a small image at once; fork and spawn latency";
    }

    @Override
    public List<Setting<?>> settings() {
        return List.of(RESIDENT, SPAWNS, IMAGE);
    }

    @Override
    public Map<String, String> machineDefaults() {
        return Map.of("memory", "512MiB");
    }

    @Override
    public List<String> headline() {
        return List.of("forkexec.spawn_ns", "forkexec.fork_ns", "fork.ptes_protected", "faults.cow_copy");
    }

    @Override
    public ProcessBody prepare(WorkloadContext ctx) {
        long resident = ctx.get(RESIDENT);
        int spawns = ctx.get(SPAWNS);
        long imageBytes = ctx.get(IMAGE);
        ContentOracle content = ctx.content();
        LatencyRecorder forkNs = ctx.latency("fork_ns", Kind.HOST, "ns", "Host time of each fork() call in the shell.");
        LatencyRecorder spawnNs = ctx.latency("spawn_ns", Kind.HOST, "ns",
                "Host time of each spawn, from before the fork until waitpid returned the exec'd child's status.");
        return sys -> {
            long heap = sys.mmap(resident, Vma.READ_WRITE);
            long heapLastPage = heap + resident - PAGE;
            for (long p = 0; p < resident / PAGE; p++) {
                sys.storeLong(heap + p * PAGE, p);
            }
            int failed = 0;
            for (int i = 0; i < spawns; i++) {
                long t0 = System.nanoTime();
                int pid = sys.fork(child -> {
                    if (child.frameOf(heap) == -1 || child.frameOf(heapLastPage) == -1) {
                        return HEAP_NOT_INHERITED;
                    }
                    child.exec(image -> runImage(image, imageBytes, heap, heapLastPage, content),
                            new Segment(imageBytes, Vma.READ_WRITE));
                    throw new IllegalStateException("exec returned");
                });
                forkNs.record(System.nanoTime() - t0);
                ExitStatus status = sys.waitpid(pid);
                spawnNs.record(System.nanoTime() - t0);
                if (!status.exitedNormally() || status.code() != 0) {
                    failed++;
                    ctx.fail("spawn " + i + " (pid " + pid + ") ended " + status + explain(status) + " (seed " + ctx.seed() + ")");
                }
                ctx.progress((i + 1.0) / spawns);
            }
            return failed == 0 ? 0 : 1;
        };
    }

    /** The exec'd program: the old heap must be gone, its own pages zeroed, then hold what it stores. */
    private static int runImage(Sys image, long imageBytes, long oldHeap, long oldHeapLastPage, ContentOracle content) {
        if (image.frameOf(oldHeap) != -1 || image.frameOf(oldHeapLastPage) != -1) {
            return OLD_IMAGE_VISIBLE;
        }
        long segment = image.segmentAddress(0);
        long pages = imageBytes / PAGE;
        long tag = (long) image.getpid() << 32;
        String where = "pid " + image.getpid() + "'s exec'd image, page ";
        boolean intact = true;
        for (long p = 0; p < pages; p++) {
            long va = segment + p * PAGE;
            intact &= content.check(0, image.loadLong(va), where + p + " before its first store");
            image.storeLong(va, tag | p);
        }
        for (long p = 0; p < pages; p++) {
            intact &= content.check(tag | p, image.loadLong(segment + p * PAGE), where + p);
        }
        return intact ? 0 : IMAGE_CONTENT_WRONG;
    }

    private static String explain(ExitStatus status) {
        if (!status.exitedNormally()) {
            return "";
        }
        return switch (status.code()) {
            case IMAGE_CONTENT_WRONG -> ": the exec'd image read back wrong contents";
            case OLD_IMAGE_VISIBLE -> ": the parent's heap was still mapped after exec";
            case HEAP_NOT_INHERITED -> ": the child did not see the parent's heap before exec";
            default -> "";
        };
    }
}
