package mmsim.workloads;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;

import mmsim.config.Setting;
import mmsim.kernel.ExitStatus;
import mmsim.kernel.ProcessBody;
import mmsim.kernel.Sys;
import mmsim.paging.Vma;
import mmsim.stats.StatsRegistry.Counter;
import mmsim.stats.StatsRegistry.Kind;
import mmsim.stats.StatsRegistry.LatencyRecorder;
import mmsim.workload.Workload;
import mmsim.workload.WorkloadContext;

/**
 * Redis's BGSAVE: a server holding its whole dataset in memory forks a child that writes a point-in-time
 * snapshot, while the server keeps serving writes. The fork strategy decides who pays for the snapshot's
 * consistency: an eager fork copies the dataset up front; copy-on-write makes the server's first write to each
 * page during the snapshot copy it; on-demand fork defers the page-table copy too.
 *
 * <p>The server holds {@code snapshot.data} bytes of 64-byte records, a record's first long its value (at
 * the start, a hash of the seed and the record's index). Each round it forks a child that reads every record
 * (every page), sums a checksum, writes those 8 bytes into a pipe and exits 0; meanwhile the server makes
 * {@code snapshot.writes} writes of fresh random values to records drawn by a Zipf law of exponent
 * {@code snapshot.zipf} (ranks spread over the records by a fixed permutation, as hashing spreads Redis's hot
 * keys over its heap), then reads the checksum and reaps the child. {@code snapshot.rounds} rounds run one
 * after another.
 *
 * <p>Correctness: each child's checksum equals the checksum of the data at the moment of its fork, computed
 * on the host from the seed and a model of every write the server made before that fork, never by reading the
 * simulated memory. A child that saw a write made after its fork, or missed one made before, fails the run
 * with both checksums and the seed.
 *
 * <p>Reports {@code snapshot.duration_ns} (host time of each round, from before the fork until the checksum
 * arrived), {@code snapshot.write_ns} (host time of each of the server's stores), {@code snapshot.copied_bytes}
 * (bytes of the server's pages its writes moved to a new frame during snapshots: the copy-on-write copies,
 * observed with {@link Sys#frameOf} around each store; an eager fork's up-front copy is
 * {@code fork.pages_copied} instead), {@code snapshot.peak_frames} (most frames in use, as {@link Sys#sysinfo}
 * counts them, at the points sampled: before each fork, every 1024 writes and after each round) and
 * {@code snapshot.rounds}.
 */
public final class Snapshot implements Workload {
    private static final long PAGE = 4096;
    /** Bytes per record; its first long is the record's value. */
    private static final int RECORD = 64;
    /** Server writes between two samples of the frames in use. */
    private static final int PEAK_SAMPLE_EVERY = 1024;
    /** A prime above the most records there can be, so that {@code rank * SPREAD % records} is a permutation. */
    private static final long SPREAD = 2_654_435_761L;

    static final Setting<Long> DATA = Setting.bytes("snapshot.data", 64L << 20, 4096, 64L << 30, 4096,
            "The server's dataset, in bytes of 64-byte records, all written before the first snapshot.");
    static final Setting<Integer> WRITES = Setting.intRange("snapshot.writes", 20_000, 0, 100_000_000,
            "Records the server overwrites during each snapshot, after its fork returned.");
    static final Setting<Double> ZIPF = Setting.decimal("snapshot.zipf", 0.99, 0, 10,
            "Skew of the written records' popularity: the exponent of a Zipf law (0 is uniform).");
    static final Setting<Integer> ROUNDS = Setting.intRange("snapshot.rounds", 5, 1, 1_000_000,
            "Snapshots taken one after another.");

    /** The server's write (counted from 0 over all rounds) that the checksum model leaves out, or -1. */
    private final long forgottenWrite;

    public Snapshot() {
        this(-1);
    }

    /**
     * A twin whose model of the data leaves out the server's write number {@code forgottenWrite} (counted
     * from 0 over all rounds), so that a later round's checksum check must fail: the test that the check can.
     */
    Snapshot(long forgottenWrite) {
        this.forgottenWrite = forgottenWrite;
    }

    @Override
    public String name() {
        return "snapshot";
    }

    @Override
    public String description() {
        return "Redis BGSAVE: a forked child checksums the dataset while the parent writes; write latency, pages copied";
    }

    @Override
    public List<Setting<?>> settings() {
        return List.of(DATA, WRITES, ZIPF, ROUNDS);
    }

    @Override
    public Map<String, String> machineDefaults() {
        return Map.of("memory", "512MiB");
    }

    @Override
    public List<String> headline() {
        return List.of("snapshot.duration_ns", "snapshot.write_ns", "faults.cow_copy", "snapshot.copied_bytes",
                "snapshot.peak_frames");
    }

    @Override
    public ProcessBody prepare(WorkloadContext ctx) {
        long records = ctx.get(DATA) / RECORD;
        int writes = ctx.get(WRITES);
        int rounds = ctx.get(ROUNDS);
        Zipf popularity = new Zipf(records, ctx.get(ZIPF));
        long seed = ctx.seed();
        LatencyRecorder durationNs = ctx.latency("duration_ns", Kind.HOST, "ns",
                "Host time of each snapshot round, from before the fork until the child's checksum was read.");
        LatencyRecorder writeNs = ctx.latency("write_ns", Kind.HOST, "ns",
                "Host time of each of the server's stores during a snapshot, copy-on-write faults included.");
        Counter copiedBytes = ctx.counter("copied_bytes", Kind.MODELED, "bytes",
                "Bytes of the server's pages that its writes during snapshots moved to a new frame (copy-on-write copies).");
        Counter roundsDone = ctx.counter("rounds", Kind.MODELED, "snapshots", "Snapshot rounds completed and reaped.");
        long[] peakFrames = {0};
        ctx.gauge("peak_frames", Kind.MODELED, "frames",
                "Most frames in use at the sampled points: before each fork, every " + PEAK_SAMPLE_EVERY
                        + " writes, after each round.", () -> peakFrames[0]);
        Consumer<Sys> samplePeak = sys -> peakFrames[0] = Math.max(peakFrames[0], sys.sysinfo().usedFrames());
        return sys -> {
            long base = sys.mmap(records * RECORD, Vma.READ_WRITE);
            for (long r = 0; r < records; r++) {
                sys.storeLong(base + r * RECORD, initialValue(seed, r));
            }
            long buffer = sys.mmap(PAGE, Vma.READ_WRITE);
            DataModel model = new DataModel(seed, records);
            SplittableRandom random = ctx.random(0);
            long writeNumber = 0;
            int failed = 0;
            for (int round = 0; round < rounds; round++) {
                long expected = model.checksum();
                samplePeak.accept(sys);
                sys.madvise(buffer, PAGE, Sys.MADV_DONTNEED);  // not shared with the child: the checksum's arrival copies no page
                int[] pipe = sys.pipe();
                long t0 = System.nanoTime();
                int pid = sys.fork(child -> saveSnapshot(child, base, records, pipe));
                sys.close(pipe[1]);
                for (int w = 0; w < writes; w++) {
                    long record = (popularity.next(random) * SPREAD) % records;
                    long value = random.nextLong();
                    long va = base + record * RECORD;
                    int frameBefore = sys.frameOf(va);
                    long s = System.nanoTime();
                    sys.storeLong(va, value);
                    writeNs.record(System.nanoTime() - s);
                    if (sys.frameOf(va) != frameBefore) {
                        copiedBytes.add(PAGE);
                    }
                    if (writeNumber++ != forgottenWrite) {
                        model.write(record, value);
                    }
                    if ((w + 1) % PEAK_SAMPLE_EVERY == 0) {
                        samplePeak.accept(sys);
                        ctx.progress((round + (w + 1.0) / writes) / rounds);
                    }
                }
                boolean arrived = Pipes.readFully(sys, pipe[0], buffer, Long.BYTES);
                durationNs.record(System.nanoTime() - t0);
                long actual = sys.loadLong(buffer);
                sys.close(pipe[0]);
                ExitStatus status = sys.waitpid(pid);
                roundsDone.increment();
                samplePeak.accept(sys);
                if (!status.exitedNormally() || status.code() != 0) {
                    failed++;
                    ctx.fail("round " + round + ": the snapshot child (pid " + pid + ") ended " + status);
                } else if (!arrived) {
                    failed++;
                    ctx.fail("round " + round + ": the snapshot child (pid " + pid + ") exited without writing its checksum");
                } else if (actual != expected) {
                    failed++;
                    ctx.fail("round " + round + ": the child's checksum 0x" + Long.toHexString(actual)
                            + " is not the checksum 0x" + Long.toHexString(expected) + " of the data at its fork"
                            + " (seed " + seed + ")");
                }
                ctx.progress((round + 1.0) / rounds);
            }
            return failed == 0 ? 0 : 1;
        };
    }

    /** The child: checksums every record, sends the 8 bytes to the server, exits 0. */
    private static int saveSnapshot(Sys child, long base, long records, int[] pipe) {
        child.close(pipe[0]);
        long sum = 0;
        for (long r = 0; r < records; r++) {
            sum += contribution(r, child.loadLong(base + r * RECORD));
        }
        long buffer = child.mmap(PAGE, Vma.READ_WRITE);  // its own page: a store to the inherited one would copy it
        child.storeLong(buffer, sum);
        Pipes.writeFully(child, pipe[1], buffer, Long.BYTES);
        child.close(pipe[1]);
        return 0;
    }

    private static long initialValue(long seed, long record) {
        return Mix.mix64(Mix.mix64(seed) + record);
    }

    /** A record's term of the checksum: the checksum is the sum of every record's term. */
    private static long contribution(long record, long value) {
        return Mix.mix64(value ^ Mix.mix64(record));
    }

    /**
     * The host's model of the server's data: the records it overwrote (every other one still holds its
     * initial value) and the checksum of the whole, kept up to date write by write.
     */
    private static final class DataModel {
        private final long seed;
        private final Map<Long, Long> overwritten = new HashMap<>();
        private long checksum;

        DataModel(long seed, long records) {
            this.seed = seed;
            for (long r = 0; r < records; r++) {
                checksum += contribution(r, initialValue(seed, r));
            }
        }

        void write(long record, long value) {
            Long old = overwritten.put(record, value);
            long before = old == null ? initialValue(seed, record) : old;
            checksum += contribution(record, value) - contribution(record, before);
        }

        long checksum() {
            return checksum;
        }
    }
}
