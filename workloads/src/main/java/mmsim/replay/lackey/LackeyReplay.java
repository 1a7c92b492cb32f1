package mmsim.replay.lackey;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;

import mmsim.config.ConfigException;
import mmsim.config.Setting;
import mmsim.kernel.ProcessBody;
import mmsim.kernel.Rusage;
import mmsim.kernel.Sys;
import mmsim.paging.PageTable;
import mmsim.paging.Vma;
import mmsim.stats.CpuCounter;
import mmsim.stats.StatsRegistry.Counter;
import mmsim.stats.StatsRegistry.Kind;
import mmsim.workload.WorkloadContext;

/**
 * Replays a valgrind lackey trace ({@link LackeyReader}) through one simulated process: each data access is a
 * load or a store at the traced address, through the CPU's TLBs, page walks and faults, so the run reports what
 * the program's access stream does to a TLB of the configured geometry ({@code tlb.*}; sweep them with
 * {@code --set}). The classic use: one trace, many geometries.
 *
 * <p>Approximations, all documented in the settings:
 * <ul>
 *   <li>The program's mappings are not in the trace. The first access to a {@code replay.map_unit}-sized,
 *       aligned region maps the whole region (mmap with MAP_FIXED, read-write); its pages then fault in as
 *       touched: a read of an untouched page maps the zero page, a write allocates (as Linux does for anonymous
 *       memory; text and file-backed pages are not told apart).</li>
 *   <li>An access is one byte at its address through the MMU (a second at its last byte when it crosses into the
 *       next page): the TLB behaviour is per page, and values do not matter. A modify ({@code M}) is one store:
 *       one instruction, one translation, the page dirtied.</li>
 *   <li>Instruction fetches are skipped unless {@code replay.ifetch=true}; then they go through the same (data)
 *       TLB as loads: mmsim models no separate ITLB.</li>
 *   <li>Addresses at or above user space's limit (the vsyscall page) are skipped and counted.</li>
 * </ul>
 *
 * <p>Metrics: {@code replay.events} (accesses replayed), {@code replay.lines}, {@code replay.loads},
 * {@code replay.stores}, {@code replay.modifies}, {@code replay.fetches} (replayed), {@code replay.malformed}
 * (lines skipped), {@code replay.outside}, {@code replay.regions} (regions mapped), {@code replay.tlb_l1_hit_ppm}
 * and {@code replay.tlb_l2_hit_ppm} (hit rates in parts per million: L1 hits per lookup, L2 hits per L1 miss), and
 * the machine's own (walks, faults, modeled cycles).
 */
public final class LackeyReplay {
    static final Setting<Boolean> IFETCH = Setting.bool("replay.ifetch", false,
            "lackey: replay instruction fetches (I lines) too, through the data TLB (mmsim models no separate ITLB); "
                    + "false replays loads, stores and modifies only.");
    static final Setting<Long> MAP_UNIT = Setting.bytes("replay.map_unit", 2L << 20, 4096, 1L << 30, 4096,
            "lackey: the first access to an aligned region of this size maps all of it (read-write, MAP_FIXED); the trace "
                    + "does not record the program's mappings. Its pages then fault in as touched.");
    static final Setting<Long> MAX_LINES = Setting.longRange("replay.max_lines", 0, 0, Long.MAX_VALUE,
            "lackey: stop after this many trace lines, valgrind's own and malformed ones included (0: the whole trace).");

    static final Setting<String> READ_AHEAD = Setting.oneOfStrings("replay.read_ahead", "auto", List.of("auto", "on", "off"),
            "lackey: inflate the trace on the replaying thread and parse it on a host thread of its own, ahead of the "
                    + "replay (LackeyReadAhead): about 30-60 % more accesses per host second on 2 host cores, for a second "
                    + "busy host core; auto: when the JVM sees 2 or more cores. off for runs side by side on every core "
                    + "(mmsim sweep --jobs). The modeled results are the same either way.");

    /** This replay's settings, part of the replay workload's. */
    public static final List<Setting<?>> SETTINGS = List.of(IFETCH, MAP_UNIT, MAX_LINES, READ_AHEAD);

    private static final int BATCH = 8192;

    private LackeyReplay() {
    }

    /**
     * Registers the replay's metrics and returns the init process that replays {@code file}.
     *
     * @throws ConfigException when the file cannot be opened as a lackey trace (before the machine runs anything)
     */
    public static ProcessBody prepare(WorkloadContext ctx, Path file) {
        try (LackeyReader probe = LackeyReader.open(file)) {
            LackeyReader.Batch b = new LackeyReader.Batch(64);
            probe.next(b);
            if (b.count == 0 && probe.malformed() > 0) {
                throw new ConfigException("replay.file=" + file + ": not valgrind lackey output (line " + probe.firstMalformedLine()
                        + ": '" + probe.firstMalformedText() + "'); record one with valgrind --tool=lackey --trace-mem=yes");
            }
        } catch (IOException e) {
            throw new ConfigException("replay.file=" + file + ": cannot read it as a lackey trace (" + e.getMessage() + ")");
        }
        Metrics m = new Metrics(ctx);
        boolean ifetch = ctx.get(IFETCH);
        long unit = ctx.get(MAP_UNIT);
        long maxLines = ctx.get(MAX_LINES);
        String readAhead = ctx.get(READ_AHEAD);
        boolean readsAhead = readAhead.equals("on") || (readAhead.equals("auto") && Runtime.getRuntime().availableProcessors() >= 2);
        return sys -> {
            Replayer r = new Replayer(sys, ifetch, unit);
            try {
                if (readsAhead) {
                    // inflated here, parsed on a host thread of its own: the same batches, fetches left out unless replayed
                    try (LackeyReadAhead ahead = new LackeyReadAhead(LackeyReader.openText(file), BATCH, maxLines, !ifetch)) {
                        for (LackeyReader.Batch batch; (batch = ahead.next()) != null; ) {
                            r.replay(batch);
                        }
                        m.finish(ctx, sys, r, ahead.reader(), file);
                    }
                } else {
                    try (LackeyReader reader = LackeyReader.open(file)) {
                        if (maxLines > 0) {
                            reader.limitLines(maxLines);
                        }
                        LackeyReader.Batch batch = new LackeyReader.Batch(BATCH);
                        while (reader.next(batch)) {
                            r.replay(batch);
                        }
                        m.finish(ctx, sys, r, reader, file);
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException("replay.file=" + file + ": read failed after " + r.parsed() + " accesses", e);
            }
            return 0;
        };
    }

    /** The replay loop's state: counts kept in locals of one thread, the regions mapped so far. */
    static final class Replayer {
        private static final int LEAF_BITS = 18;
        private static final long LEAF_MASK = (1L << LEAF_BITS) - 1;
        private final Sys sys;
        private final boolean ifetch;
        private final int unitShift;
        /** One bit per region of the user address space (mapped yet), in leaves of 2^18 regions made on first use. */
        private final long[][] mapped;
        long loads;
        long stores;
        long modifies;
        long fetches;
        long outside;
        long regions;
        long events;
        private long parsed;

        Replayer(Sys sys, boolean ifetch, long unit) {
            this.sys = sys;
            this.ifetch = ifetch;
            this.unitShift = Long.numberOfTrailingZeros(unit);
            if (Long.bitCount(unit) != 1) {
                throw new ConfigException("replay.map_unit=" + unit + ": a power of two");
            }
            long regionsInUserSpace = PageTable.USER_VA_LIMIT >>> unitShift;
            this.mapped = new long[(int) Math.max(1, regionsInUserSpace >>> LEAF_BITS)][];
        }

        /** Accesses parsed so far (replayed or skipped). */
        long parsed() {
            return parsed;
        }

        void replay(LackeyReader.Batch b) {
            for (int i = 0; i < b.count; i++) {
                byte kind = b.kind[i];
                long a = b.address[i];
                int size = b.size[i];
                switch (kind) {
                    case LackeyReader.LOAD -> loads++;
                    case LackeyReader.STORE -> stores++;
                    case LackeyReader.MODIFY -> modifies++;
                    default -> {
                        if (!ifetch) {
                            continue;
                        }
                        fetches++;
                    }
                }
                long last = a + size - 1;
                if (a < 0 || last >= PageTable.USER_VA_LIMIT || last < a) {
                    outside++;
                    continue;
                }
                boolean write = kind == LackeyReader.STORE || kind == LackeyReader.MODIFY;
                access(a, write);
                if (((a ^ last) >>> 12) != 0) {
                    access(last, write);   // crosses into the next page
                }
                events++;
            }
            parsed += b.count;
        }

        private void access(long va, boolean write) {
            long region = va >>> unitShift;
            long[] leaf = mapped[(int) (region >>> LEAF_BITS)];
            if (leaf == null || (leaf[(int) ((region & LEAF_MASK) >>> 6)] & (1L << region)) == 0) {
                map(region);
            }
            if (write) {
                sys.storeByte(va, (byte) 1);
            } else {
                sys.loadByte(va);
            }
        }

        private void map(long region) {
            sys.mmapFixed(region << unitShift, 1L << unitShift, Vma.READ_WRITE);
            int top = (int) (region >>> LEAF_BITS);
            if (mapped[top] == null) {
                mapped[top] = new long[1 << (LEAF_BITS - 6)];
            }
            mapped[top][(int) ((region & LEAF_MASK) >>> 6)] |= 1L << region;
            regions++;
        }
    }

    private static final class Metrics {
        final Counter events;
        final Counter processes;
        final Counter lines;
        final Counter loads;
        final Counter stores;
        final Counter modifies;
        final Counter fetches;
        final Counter malformed;
        final Counter outside;
        final Counter regions;
        final Counter l1HitPpm;
        final Counter l2HitPpm;

        Metrics(WorkloadContext ctx) {
            events = ctx.counter("events", Kind.MODELED, "events", "Accesses replayed through the MMU.");
            processes = ctx.counter("processes", Kind.MODELED, "processes", "Simulated processes the replay ran (a lackey trace is one).");
            lines = ctx.counter("lines", Kind.MODELED, "lines", "Trace lines read (valgrind's own messages and malformed lines included).");
            loads = ctx.counter("loads", Kind.MODELED, "events", "Loads (L lines) in the trace.");
            stores = ctx.counter("stores", Kind.MODELED, "events", "Stores (S lines) in the trace.");
            modifies = ctx.counter("modifies", Kind.MODELED, "events", "Modifies (M lines: a load and a store, one instruction) in the trace.");
            fetches = ctx.counter("fetches", Kind.MODELED, "events", "Instruction fetches replayed (with replay.ifetch=true).");
            malformed = ctx.counter("malformed", Kind.MODELED, "lines", "Malformed lines skipped (the first is named on stderr).");
            outside = ctx.counter("outside", Kind.MODELED, "events", "Accesses at or above user space's limit, skipped.");
            regions = ctx.counter("regions", Kind.MODELED, "regions", "replay.map_unit regions mapped on first touch.");
            l1HitPpm = ctx.counter("tlb_l1_hit_ppm", Kind.MODELED, "ppm", "L1 TLB hits per million lookups of the replaying process.");
            l2HitPpm = ctx.counter("tlb_l2_hit_ppm", Kind.MODELED, "ppm", "L2 TLB hits per million L1 misses of the replaying process.");
        }

        void finish(WorkloadContext ctx, Sys sys, Replayer r, LackeyReader reader, Path file) {
            events.add(r.events);
            processes.add(1);
            lines.add(reader.lines());
            loads.add(r.loads);
            stores.add(r.stores);
            modifies.add(r.modifies);
            fetches.add(r.fetches);
            malformed.add(reader.malformed());
            outside.add(r.outside);
            regions.add(r.regions);
            Rusage u = sys.getrusage(Sys.RUSAGE_SELF);
            long lookups = u.get(CpuCounter.LOADS) + u.get(CpuCounter.STORES);
            long l1Misses = u.get(CpuCounter.TLB_L1_MISSES);
            if (lookups > 0) {
                l1HitPpm.add(Math.round(1e6 * (lookups - l1Misses) / lookups));
            }
            if (l1Misses > 0) {
                l2HitPpm.add(Math.round(1e6 * u.get(CpuCounter.TLB_L2_HITS) / l1Misses));
            }
            if (reader.malformed() > 0) {
                System.err.printf("replay: %s: %d malformed lines skipped, the first at line %d: '%s'%n", file, reader.malformed(),
                        reader.firstMalformedLine(), reader.firstMalformedText());
            }
            if (reader.truncatedAt() >= 0) {
                System.err.printf("replay: %s: the trace is cut off after line %d (replayed up to there)%n", file, reader.truncatedAt());
            }
        }
    }
}
