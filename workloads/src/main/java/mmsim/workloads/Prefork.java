package mmsim.workloads;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

import mmsim.config.Setting;
import mmsim.kernel.ExitStatus;
import mmsim.kernel.ProcessBody;
import mmsim.kernel.Signals;
import mmsim.kernel.Sys;
import mmsim.paging.Vma;
import mmsim.stats.StatsRegistry.Counter;
import mmsim.stats.StatsRegistry.Kind;
import mmsim.stats.StatsRegistry.LatencyRecorder;
import mmsim.workload.Workload;
import mmsim.workload.WorkloadContext;

/**
 * A prefork server, as Apache's prefork MPM or nginx's master and workers: a master loads a read-mostly table
 * and a heap, forks {@code prefork.workers} long-lived workers that share both copy-on-write, and hands them
 * requests. Most requests only read the shared table; a fraction also write into the inherited heap, each such
 * write to a page the worker has not copied yet costing a copy-on-write fault (and, where other CPUs cached the
 * page, a shootdown).
 *
 * <p>The master fills a table of {@code prefork.data} bytes of longs (each a hash of the seed and its index)
 * and a heap as large (one mark per page), then forks the workers; each has its own request pipe and reply pipe,
 * created before the forks, every process closing the ends it does not use so that end of file reaches the
 * workers. The master sends {@code prefork.requests} requests, an 8-byte key drawn uniformly from the table,
 * round-robin: one to each worker, then the replies of all, so that one request per worker is in flight. A
 * worker looks the key up, with probability {@code prefork.write_fraction} also writes a record for it into the
 * heap, and replies with the value. Once every reply is in, the master stops the workers as
 * {@code prefork.stop} says: by closing the request pipes (each worker reads end of file and exits 0), or by
 * sending each SIGTERM while it waits for its next request, as Apache's and nginx's masters stop theirs.
 *
 * <p>Shared statistics: before the forks the master maps a shared region ({@link Sys#mmapShared}, Linux's
 * {@code MAP_SHARED | MAP_ANONYMOUS}) with a slot per worker, as Apache's scoreboard: the master writes each slot's
 * worker index, then the worker counts the requests it answered and sums their keys there, in place, before each
 * reply; it is never copied on write, under any fork strategy.
 *
 * <p>Correctness: every reply equals the table's value for its key; a worker that wrote a heap record reads it
 * back, and the rest of the copied page (the master's mark) intact, and finds its index in its statistics slot,
 * or reports the run failed (and exits non-zero); every worker ends as the stop says: exited 0, or killed by the
 * master's SIGTERM. After each reply the worker's count in the shared region equals the requests the master has
 * sent it (the reply pipe orders the worker's store before the master's read, and the worker cannot count again
 * before the next request); after the workers ended, every count and key sum equals what the master sent.
 *
 * <p>Reports {@code prefork.request_ns} (host time of each request, from its send until its reply was read)
 * and {@code prefork.requests} (replies received).
 */
public final class Prefork implements Workload {
    private static final long PAGE = 4096;
    /** Bytes per heap record: the key and the value it was written for. */
    private static final int HEAP_RECORD = 64;
    /** Where in each heap page the master's mark lies: the last long, which no record covers. */
    private static final long MARK_OFFSET = PAGE - Long.BYTES;
    /** Bytes per worker in the shared statistics: its request count, the sum of the keys it was sent, its index. */
    private static final int STATS_SLOT = 64;
    /** Where in a worker's statistics slot the master wrote the worker's index before the forks. */
    private static final int SLOT_OWNER = 2 * Long.BYTES;

    static final Setting<Integer> WORKERS = Setting.intRange("prefork.workers", 4, 1, 1024,
            "Worker processes the master forks; also how many requests are in flight at once.");
    static final Setting<Long> DATA = Setting.bytes("prefork.data", 16L << 20, 4096, 64L << 30, 4096,
            "The read-mostly table, in bytes of 8-byte values; the master's writable heap is as large.");
    static final Setting<Integer> REQUESTS = Setting.intRange("prefork.requests", 2000, 1, 100_000_000,
            "Requests the master sends in all, round-robin over the workers.");
    static final Setting<Double> WRITE_FRACTION = Setting.decimal("prefork.write_fraction", 0.1, 0, 1,
            "Fraction of requests whose worker also writes a record into the inherited heap "
                    + "(a copy-on-write fault on the worker's first write to a page).");
    static final Setting<Stop> STOP = Setting.oneOf("prefork.stop", Stop.EOF, Stop.class,
            "How the master stops its workers after the last reply: eof (closes their request pipes; each exits 0) "
                    + "or sigterm (kills each, blocked in its read, with SIGTERM).");

    /** How the master stops its workers. */
    public enum Stop {
        /** Close the request pipes: each worker reads end of file and exits 0. */
        EOF,
        /** Send each worker SIGTERM while it waits for a request: each ends killed by it. */
        SIGTERM;

        @Override
        public String toString() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    @Override
    public String name() {
        return "prefork";
    }

    @Override
    public String description() {
        return "Apache/nginx prefork: a master serves requests through forked workers sharing a table copy-on-write and statistics in a shared mapping; request latency, COW faults";
    }

    @Override
    public List<Setting<?>> settings() {
        return List.of(WORKERS, DATA, REQUESTS, WRITE_FRACTION, STOP);
    }

    @Override
    public Map<String, String> machineDefaults() {
        return Map.of("memory", "512MiB");
    }

    @Override
    public List<String> headline() {
        return List.of("prefork.request_ns", "faults.cow_copy", "faults.cow_reuse", "shootdown.initiated");
    }

    @Override
    public ProcessBody prepare(WorkloadContext ctx) {
        Server server = new Server(ctx);
        return server::master;
    }

    /** One run's server: its sizes, its metrics, and the code of the master and of the workers. */
    private static final class Server {
        private final WorkloadContext ctx;
        private final long seed;
        private final int workers;
        private final long entries;
        private final long dataBytes;
        private final int requests;
        private final double writeFraction;
        private final Stop stop;
        private final LatencyRecorder requestNs;
        private final Counter served;

        Server(WorkloadContext ctx) {
            this.ctx = ctx;
            this.seed = ctx.seed();
            this.workers = ctx.get(WORKERS);
            this.dataBytes = ctx.get(DATA);
            this.entries = dataBytes / Long.BYTES;
            this.requests = ctx.get(REQUESTS);
            this.writeFraction = ctx.get(WRITE_FRACTION);
            this.stop = ctx.get(STOP);
            this.requestNs = ctx.latency("request_ns", Kind.HOST, "ns",
                    "Host time of each request, from the master's send until it read the reply.");
            this.served = ctx.counter("requests", Kind.MODELED, "requests", "Replies the master received.");
        }

        int master(Sys sys) {
            long table = sys.mmap(dataBytes, Vma.READ_WRITE);
            for (long k = 0; k < entries; k++) {
                sys.storeLong(table + k * Long.BYTES, tableValue(seed, k));
            }
            long heap = sys.mmap(dataBytes, Vma.READ_WRITE);
            for (long p = 0; p < dataBytes / PAGE; p++) {
                sys.storeLong(heap + p * PAGE + MARK_OFFSET, heapMark(seed, p));
            }
            long stats = sys.mmapShared((long) workers * STATS_SLOT, Vma.READ_WRITE);
            for (int w = 0; w < workers; w++) {
                sys.storeLong(stats + (long) w * STATS_SLOT + SLOT_OWNER, w);   // the scoreboard, set up before the forks
            }
            int[][] request = new int[workers][];
            int[][] reply = new int[workers][];
            for (int w = 0; w < workers; w++) {
                request[w] = sys.pipe();
                reply[w] = sys.pipe();
            }
            int[] pids = new int[workers];
            for (int w = 0; w < workers; w++) {
                int index = w;
                SplittableRandom random = ctx.random(1 + w);
                pids[w] = sys.fork(worker -> work(worker, index, request, reply, table, heap, stats + (long) index * STATS_SLOT, random));
            }
            for (int w = 0; w < workers; w++) {
                sys.close(request[w][0]);
                sys.close(reply[w][1]);
            }
            long buffer = sys.mmap(PAGE, Vma.READ_WRITE);  // mapped after the forks: not shared, never copied
            long[] sent = new long[workers];
            long[] keySums = new long[workers];
            boolean answered = serve(sys, request, reply, buffer, stats, sent, keySums);
            if (stop == Stop.SIGTERM) {
                for (int pid : pids) {
                    sys.kill(pid, Signals.SIGTERM);
                }
            }
            for (int w = 0; w < workers; w++) {
                sys.close(request[w][1]);
            }
            boolean workersClean = true;
            for (int w = 0; w < workers; w++) {
                ExitStatus status = sys.waitpid(pids[w]);
                sys.close(reply[w][0]);
                boolean asStopped = stop == Stop.EOF ? status.exitedNormally() && status.code() == 0
                        : status.kind() == ExitStatus.Kind.SIGNALED && status.signal() == Signals.SIGTERM;
                if (!asStopped) {
                    workersClean = false;
                    ctx.fail("worker " + w + " (pid " + pids[w] + ") ended " + status + ", not as the " + stop
                            + " stop ends it (seed " + seed + ")");
                }
            }
            boolean counted = true;
            for (int w = 0; w < workers; w++) {
                long count = sys.loadLong(stats + (long) w * STATS_SLOT);
                long keySum = sys.loadLong(stats + (long) w * STATS_SLOT + Long.BYTES);
                if (count != sent[w] || keySum != keySums[w]) {
                    counted = false;
                    ctx.fail("worker " + w + "'s shared statistics read " + count + " requests with key sum " + keySum
                            + " after it exited; the master sent it " + sent[w] + " with key sum " + keySums[w] + " (seed " + seed + ")");
                }
            }
            return answered && workersClean && counted ? 0 : 1;
        }

        /**
         * Sends every request, one per worker at a time, and checks each reply and the worker's count in the shared
         * statistics; false on a wrong or missing reply or count. Counts into {@code sent} and {@code keySums} what
         * each worker was sent.
         */
        private boolean serve(Sys sys, int[][] request, int[][] reply, long buffer, long stats, long[] sent, long[] keySums) {
            SplittableRandom random = ctx.random(0);
            long[] keys = new long[workers];
            long[] sentAt = new long[workers];
            long wrong = 0;
            String firstWrong = null;
            int done = 0;
            while (done < requests) {
                int inFlight = Math.min(workers, requests - done);
                for (int w = 0; w < inFlight; w++) {
                    keys[w] = random.nextLong(entries);
                    sent[w]++;
                    keySums[w] += keys[w];
                    sys.storeLong(buffer, keys[w]);
                    sentAt[w] = System.nanoTime();
                    Pipes.writeFully(sys, request[w][1], buffer, Long.BYTES);
                }
                for (int w = 0; w < inFlight; w++) {
                    if (!Pipes.readFully(sys, reply[w][0], buffer, Long.BYTES)) {
                        ctx.fail("worker " + w + " closed its reply pipe with request " + (done + w) + " unanswered");
                        return false;
                    }
                    requestNs.record(System.nanoTime() - sentAt[w]);
                    served.increment();
                    long value = sys.loadLong(buffer);
                    long expected = tableValue(seed, keys[w]);
                    if (value != expected && wrong++ == 0) {
                        firstWrong = "request " + (done + w) + " for key " + keys[w] + " to worker " + w + ": replied 0x"
                                + Long.toHexString(value) + ", the table holds 0x" + Long.toHexString(expected);
                    }
                    long counted = sys.loadLong(stats + (long) w * STATS_SLOT);
                    if (counted != sent[w] && wrong++ == 0) {
                        firstWrong = "after request " + (done + w) + " worker " + w + "'s shared count reads " + counted
                                + ", the master has sent it " + sent[w];
                    }
                }
                done += inFlight;
                ctx.progress((double) done / requests);
            }
            if (wrong > 0) {
                ctx.fail(wrong + " replies or shared counts of " + requests + " requests disagree with the master's; first: "
                        + firstWrong + " (seed " + seed + ")");
            }
            return wrong == 0;
        }

        /**
         * A worker: answers requests until end of file, counting each and summing its keys in its slot {@code stat}
         * of the shared statistics before it replies; exits 1 when the slot does not name it or a heap record or
         * mark read back wrong.
         */
        private int work(Sys sys, int index, int[][] request, int[][] reply, long table, long heap, long stat,
                         SplittableRandom random) {
            for (int w = 0; w < workers; w++) {
                sys.close(request[w][1]);
                sys.close(reply[w][0]);
                if (w != index) {
                    sys.close(request[w][0]);
                    sys.close(reply[w][1]);
                }
            }
            int in = request[index][0];
            int out = reply[index][1];
            long buffer = sys.mmap(PAGE, Vma.READ_WRITE);
            long heapRecords = dataBytes / HEAP_RECORD;
            int errors = 0;
            if (sys.loadLong(stat + SLOT_OWNER) != index) {
                errors++;
                ctx.fail("worker " + index + " (pid " + sys.getpid() + ") found " + sys.loadLong(stat + SLOT_OWNER)
                        + " as the owner of its statistics slot (seed " + seed + ")");
            }
            while (Pipes.readFully(sys, in, buffer, Long.BYTES)) {
                long key = sys.loadLong(buffer);
                long value = sys.loadLong(table + key * Long.BYTES);
                if (random.nextDouble() < writeFraction) {
                    long record = heap + (key % heapRecords) * HEAP_RECORD;
                    sys.storeLong(record, key);
                    sys.storeLong(record + Long.BYTES, value);
                    long page = (record - heap) / PAGE;
                    boolean intact = sys.loadLong(record) == key && sys.loadLong(record + Long.BYTES) == value
                            && sys.loadLong(heap + page * PAGE + MARK_OFFSET) == heapMark(seed, page);
                    if (!intact && errors++ == 0) {
                        ctx.fail("worker " + index + " (pid " + sys.getpid() + ") read back a wrong record or mark on heap page "
                                + page + " after writing key " + key + "'s record (seed " + seed + ")");
                    }
                }
                sys.storeLong(stat, sys.loadLong(stat) + 1);
                sys.storeLong(stat + Long.BYTES, sys.loadLong(stat + Long.BYTES) + key);
                sys.storeLong(buffer, value);
                Pipes.writeFully(sys, out, buffer, Long.BYTES);
            }
            sys.close(in);
            sys.close(out);
            return errors == 0 ? 0 : 1;
        }
    }

    private static long tableValue(long seed, long key) {
        return Mix.mix64(Mix.mix64(seed) + key);
    }

    private static long heapMark(long seed, long page) {
        return Mix.mix64(Mix.mix64(~seed) + page);
    }
}
