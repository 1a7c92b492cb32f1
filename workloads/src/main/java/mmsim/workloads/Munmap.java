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
 * LATR's mmap_micro (Kumar et al., ASPLOS'18): the threads of one process, one per CPU, touch a shared
 * region so that every CPU's TLB caches it, then the main thread unmaps it. Before munmap returns, every
 * CPU must have lost the translations (or, under LATR, at least be unable to reach a reused frame through
 * them): the shootdown that makes sure of it is what the benchmark measures.
 *
 * <p>One round, the threads meeting at a {@link PipeBarrier} between steps: the main thread maps
 * {@code munmap.pages} pages and publishes the address in a control page; every thread writes a word of its
 * own in each page and reads it back; the main thread unmaps the region (timed); it maps as many fresh pages
 * (the lowest-fit allocator puts them at the address just freed, unless a lazy strategy such as latr still
 * holds that range in quarantine) and every thread reads its word of each;
 * the main thread unmaps the fresh pages.
 *
 * <p>Settings: {@code munmap.threads} (threads of the process, the main thread included; 0 means one per
 * simulated CPU), {@code munmap.pages} (4 KiB pages per round), {@code munmap.rounds}.
 *
 * <p>Reports {@code munmap.munmap_ns} (host nanoseconds of each munmap of the touched region) and
 * {@code munmap.rounds}; the machine's shootdown and TLB counters tell what the munmaps cost.
 *
 * <p>Correctness: every word read from a fresh mapping is 0. A non-zero word is the old frame's content,
 * reached through a translation that the munmap left behind in a TLB.
 */
public final class Munmap implements Workload {
    private static final long PAGE = 4096;
    /** Thread {@code t} owns bytes {@code [8t, 8t + 8)} of every page. */
    static final int MAX_THREADS = (int) (PAGE / Long.BYTES);

    static final Setting<Integer> THREADS = Setting.intRange("munmap.threads", 0, 0, MAX_THREADS,
            "Threads of the one process, the main thread included, each touching every page; 0 means one per simulated CPU.");
    static final Setting<Integer> PAGES = Setting.intRange("munmap.pages", 16, 1, 1 << 16,
            "Pages (4 KiB each) mapped, touched by every thread and unmapped in each round.");
    static final Setting<Integer> ROUNDS = Setting.intRange("munmap.rounds", 64, 1, 1_000_000,
            "Rounds of map, touch, unmap and check.");

    @Override
    public String name() {
        return "munmap";
    }

    @Override
    public String description() {
        return "LATR's mmap_micro: threads on every CPU touch shared pages, then one thread unmaps them; munmap latency, shootdown cost";
    }

    @Override
    public List<Setting<?>> settings() {
        return List.of(THREADS, PAGES, ROUNDS);
    }

    @Override
    public List<String> headline() {
        return List.of("munmap.munmap_ns", "shootdown.initiator_cycles", "shootdown.ipis_sent", "shootdown.initiated",
                "tlb.page_invalidations", "tlb.full_flushes");
    }

    @Override
    public ProcessBody prepare(WorkloadContext ctx) {
        int threads = ctx.get(THREADS) == 0 ? Math.min(ctx.machine().cpus(), MAX_THREADS) : ctx.get(THREADS);
        Rounds run = new Rounds(ctx, threads, ctx.get(PAGES), ctx.get(ROUNDS),
                ctx.latency("munmap_ns", Kind.HOST, "ns", "Host time of each munmap of the region every thread had touched."),
                ctx.counter("rounds", Kind.MODELED, "rounds", "Rounds completed: mapped, touched by every thread, unmapped, checked."));
        return run::main;
    }

    /** One run's rounds: what the main thread and the workers do. */
    private static final class Rounds {
        private final WorkloadContext ctx;
        private final int threads;
        private final int pages;
        private final int rounds;
        private final long bytes;
        private final LatencyRecorder munmapNs;
        private final Counter done;

        Rounds(WorkloadContext ctx, int threads, int pages, int rounds, LatencyRecorder munmapNs, Counter done) {
            this.ctx = ctx;
            this.threads = threads;
            this.pages = pages;
            this.rounds = rounds;
            this.bytes = pages * PAGE;
            this.munmapNs = munmapNs;
            this.done = done;
        }

        /** The main thread (thread 0): maps, unmaps and publishes; touches and checks like every worker. */
        int main(Sys sys) {
            long control = sys.mmap(PAGE, Vma.READ_WRITE);   // word 0: the address the workers use next
            PipeBarrier barrier = new PipeBarrier(sys, threads);
            int[] tids = new int[threads - 1];
            for (int t = 1; t < threads; t++) {
                int me = t;
                tids[t - 1] = sys.spawnThread(th -> worker(th, barrier.party(me), me, control));
            }
            PipeBarrier.Party party = barrier.party(0);
            for (int r = 0; r < rounds; r++) {
                long region = sys.mmap(bytes, Vma.READ_WRITE);
                sys.storeLong(control, region);
                party.await(sys);
                touch(sys, region, 0, r);
                party.await(sys);
                long t0 = System.nanoTime();
                sys.munmap(region, bytes);
                munmapNs.record(System.nanoTime() - t0);
                party.await(sys);
                long fresh = sys.mmap(bytes, Vma.READ_WRITE);
                sys.storeLong(control, fresh);
                party.await(sys);
                checkFresh(sys, fresh, 0, r);
                party.await(sys);
                sys.munmap(fresh, bytes);
                done.increment();
                ctx.progress((r + 1.0) / rounds);
            }
            for (int tid : tids) {
                sys.joinThread(tid);
            }
            barrier.close(sys);
            return 0;
        }

        /** A worker meets the main thread at each of its five barriers per round. */
        private void worker(Sys sys, PipeBarrier.Party party, int me, long control) {
            for (int r = 0; r < rounds; r++) {
                party.await(sys);   // the region is mapped and published
                touch(sys, sys.loadLong(control), me, r);
                party.await(sys);   // every thread has touched it: every CPU's TLB holds it
                party.await(sys);   // the main thread has unmapped it
                party.await(sys);   // the fresh mapping is published
                checkFresh(sys, sys.loadLong(control), me, r);
                party.await(sys);   // every thread has checked it
            }
        }

        /** Writes this thread's word in every page, then reads each back. */
        private void touch(Sys sys, long region, int me, int round) {
            long mark = mark(round, me);
            for (int p = 0; p < pages; p++) {
                sys.storeLong(word(region, p, me), mark);
            }
            for (int p = 0; p < pages; p++) {
                long back = sys.loadLong(word(region, p, me));
                if (back != mark) {
                    ctx.fail("round " + round + ", thread " + me + " (cpu " + sys.cpuId() + "): read back 0x"
                            + Long.toHexString(back) + " at 0x" + Long.toHexString(word(region, p, me)) + " of the touched region, stored 0x"
                            + Long.toHexString(mark) + " (seed " + ctx.seed() + ")");
                    return;
                }
            }
        }

        /** Reads this thread's word of every fresh page: each must be 0. Reports the first that is not, and how many. */
        private void checkFresh(Sys sys, long fresh, int me, int round) {
            int stale = 0;
            long firstAddress = 0;
            long firstValue = 0;
            int firstCpu = -1;
            for (int p = 0; p < pages; p++) {
                long address = word(fresh, p, me);
                long value = sys.loadLong(address);
                if (value != 0 && stale++ == 0) {
                    firstAddress = address;
                    firstValue = value;
                    firstCpu = sys.cpuId();
                }
            }
            if (stale > 0) {
                ctx.fail("round " + round + ", thread " + me + ": " + stale + " of " + pages + " fresh pages did not read 0; first 0x"
                        + Long.toHexString(firstValue) + " at 0x" + Long.toHexString(firstAddress) + " on cpu " + firstCpu + " ("
                        + describe(firstValue) + "): a translation the munmap left in a TLB reached the old frame (seed "
                        + ctx.seed() + ")");
            }
        }

        private static long word(long base, int page, int thread) {
            return base + page * PAGE + (long) Long.BYTES * thread;
        }
    }

    /** What thread {@code thread} stores in round {@code round}: never 0, and it says who wrote it when. */
    static long mark(int round, int thread) {
        return ((long) round + 1) << 32 | (thread + 1);
    }

    private static String describe(long value) {
        long round = (value >>> 32) - 1;
        long thread = (value & 0xFFFF_FFFFL) - 1;
        return round >= 0 && thread >= 0 && thread < MAX_THREADS
                ? "what thread " + thread + " stored in round " + round
                : "not a value this workload stores";
    }
}
