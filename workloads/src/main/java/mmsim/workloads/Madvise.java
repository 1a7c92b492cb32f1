package mmsim.workloads;

import java.util.List;

import mmsim.config.Setting;
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
 * will-it-scale's tlb_flush2: the threads of one process, one per CPU, each dirty a private anonymous region
 * of their own and drop it again with {@code madvise(MADV_DONTNEED)}. No thread shares a page with another,
 * yet each drop is a shootdown aimed at every CPU the process runs on: the cost that grows with the thread
 * count is the interrupts, not the work.
 *
 * <p>Each thread maps its region, waits at a {@link PipeBarrier} until every thread has, then, for each
 * pass and each page: stores a non-zero word, drops the page with {@code madvise(page, 4096, MADV_DONTNEED)}
 * (timed) and reads the word back.
 *
 * <p>Settings: {@code madvise.threads} (threads of the process, the main thread included; 0 means one per
 * simulated CPU), {@code madvise.size} (bytes of each thread's region, a multiple of 4 KiB),
 * {@code madvise.passes} (times each thread goes over its region).
 *
 * <p>Reports {@code madvise.madvise_ns} (host nanoseconds of each madvise call) and {@code madvise.pages}
 * (pages stored, dropped and checked, over all threads and passes).
 *
 * <p>Correctness: the read after each madvise returns 0. The stored value instead means a TLB still held the
 * dropped page's translation.
 */
public final class Madvise implements Workload {
    private static final long PAGE = 4096;

    static final Setting<Integer> THREADS = Setting.intRange("madvise.threads", 0, 0, 4096,
            "Threads of the one process, the main thread included, each with a region of its own; 0 means one per simulated CPU.");
    static final Setting<Long> SIZE = Setting.bytes("madvise.size", 1L << 20, PAGE, 1L << 34, PAGE,
            "Bytes of each thread's region (a multiple of 4 KiB), dropped a page at a time.");
    static final Setting<Integer> PASSES = Setting.intRange("madvise.passes", 2, 1, 1_000_000,
            "Times each thread goes over its whole region: store, madvise(MADV_DONTNEED) and check every page.");

    @Override
    public String name() {
        return "madvise";
    }

    @Override
    public String description() {
        return "will-it-scale's tlb_flush2: threads on every CPU dirty private pages and madvise(DONTNEED) them; madvise latency, IPIs";
    }

    @Override
    public List<Setting<?>> settings() {
        return List.of(THREADS, SIZE, PASSES);
    }

    @Override
    public List<String> headline() {
        return List.of("madvise.madvise_ns", "shootdown.initiator_cycles", "shootdown.ipis_sent", "shootdown.initiated");
    }

    @Override
    public ProcessBody prepare(WorkloadContext ctx) {
        int threads = ctx.get(THREADS) == 0 ? ctx.machine().cpus() : ctx.get(THREADS);
        Drops run = new Drops(ctx, threads, ctx.get(SIZE), ctx.get(PASSES),
                ctx.latency("madvise_ns", Kind.HOST, "ns", "Host time of each madvise(page, 4096, MADV_DONTNEED)."),
                ctx.counter("pages", Kind.MODELED, "pages", "Pages stored, dropped with madvise and checked, over all threads and passes."));
        return run::main;
    }

    /** One run: what every thread does to its own region. */
    private static final class Drops {
        private final WorkloadContext ctx;
        private final int threads;
        private final long size;
        private final int passes;
        private final LatencyRecorder madviseNs;
        private final Counter pages;

        Drops(WorkloadContext ctx, int threads, long size, int passes, LatencyRecorder madviseNs, Counter pages) {
            this.ctx = ctx;
            this.threads = threads;
            this.size = size;
            this.passes = passes;
            this.madviseNs = madviseNs;
            this.pages = pages;
        }

        /** The main thread starts the others, drops pages as thread 0, and waits for them. */
        int main(Sys sys) {
            PipeBarrier start = new PipeBarrier(sys, threads);
            int[] tids = new int[threads - 1];
            for (int t = 1; t < threads; t++) {
                int me = t;
                tids[t - 1] = sys.spawnThread(th -> dropPages(th, start.party(me), me));
            }
            dropPages(sys, start.party(0), 0);
            for (int tid : tids) {
                sys.joinThread(tid);
            }
            start.close(sys);
            return 0;
        }

        private void dropPages(Sys sys, PipeBarrier.Party start, int me) {
            long count = size / PAGE;
            long region = sys.mmap(size, Vma.READ_WRITE);
            start.await(sys);   // every thread has its region and its CPU: all drop at once
            for (int pass = 0; pass < passes; pass++) {
                for (long p = 0; p < count; p++) {
                    long page = region + p * PAGE;
                    long mark = mark(me, pass, p);
                    sys.storeLong(page, mark);
                    long t0 = System.nanoTime();
                    sys.madvise(page, PAGE, Sys.MADV_DONTNEED);
                    madviseNs.record(System.nanoTime() - t0);
                    long back = sys.loadLong(page);
                    if (back != 0) {
                        ctx.fail("thread " + me + ", pass " + pass + ", page " + p + " at 0x" + Long.toHexString(page) + " (cpu "
                                + sys.cpuId() + "): read 0x" + Long.toHexString(back) + " after madvise(MADV_DONTNEED), not 0"
                                + (back == mark ? " but the value just stored: a TLB kept the dropped translation" : "")
                                + " (seed " + ctx.seed() + ")");
                    }
                    pages.increment();
                    if (me == 0) {
                        ctx.progress((pass * count + p + 1.0) / (passes * count));
                    }
                }
            }
            sys.munmap(region, size);
        }
    }

    /** The word thread {@code thread} stores in page {@code page} on pass {@code pass}: never 0. */
    private static long mark(int thread, int pass, long page) {
        return ((long) thread + 1) << 48 | ((long) pass + 1) << 28 | (page + 1);
    }
}
