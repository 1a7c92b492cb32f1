package mmsim.stats;

import org.HdrHistogram.Histogram;

/**
 * The modeled latency of every system call, page fault and shootdown round, per kind ({@link Op}): cycles on
 * the modeled clock of the CPU that did the work, from entry to return.
 *
 * <p>Recording: each CPU appends its latencies to a small batch of its own, which only the thread executing on
 * that CPU writes (plain stores, no lock, no allocation); a full batch is added to one shared HdrHistogram per
 * kind under this object's lock. The merged distribution is the same as one histogram per CPU and kind would
 * give (a histogram's counts, minimum and maximum do not depend on the order of its records), but a machine of
 * 256 CPUs touches 21 histograms instead of up to 21 per CPU. Per-CPU histograms were each recorded into
 * rarely, so a record missed the host's caches and grew its histogram a bucket at a time, and the end of a run
 * merged thousands of them: 5-9 % of the host time of a 256-CPU chaos soak in JFR samples (1 % on 4 CPUs), and
 * nearly a third of the bytes it allocated.
 * With {@code sim.parallelism} host slots only that many CPUs record at once, so the lock is rarely contended.
 *
 * <p>Reading ({@link #merged}): the shared histograms plus every CPU's unflushed batch, exact when the machine
 * is quiescent (the hand-offs of the scheduler and the end of a run order each batch's writes before it).
 *
 * <p>A negative latency would mean a task's clock went backwards, which the scheduler rules out (a task
 * resumes no earlier than it left its CPU); should one happen all the same it is recorded as 0 and counted
 * ({@link #negatives}, the gauge {@code latency.negative}), never dropped silently.
 */
public final class OpLatencies {
    /** What a latency is of; each with its metric name (a contract: summaries and scripts read these names). */
    public enum Op {
        FORK_COW("latency.fork.cow", "fork under the cow strategy, from entry to return in the parent (the child's page-table copy, write-protection and its shootdown)."),
        FORK_EAGER("latency.fork.eager", "fork under the eager strategy, from entry to return in the parent (every private page copied)."),
        FORK_ODF("latency.fork.odf", "fork under the odf strategy, from entry to return in the parent (leaf tables shared, links write-protected, one shootdown)."),
        EXEC("latency.exec", "exec, from entry until the new image is ready to run (the old image torn down; exec charges no system-call entry/exit)."),
        EXIT("latency.exit", "exit (Sys.exit, or the process body returning), from entry until the thread is done on its CPU: the last thread's teardown of the process included; exit charges no system-call entry/exit."),
        WAITPID("latency.waitpid", "waitpid and waitAny that reaped a child, from entry to return: the modeled time blocked until the child exited included."),
        MMAP("latency.mmap", "mmap in every variant (plain, shared, fixed, with a hint), from entry to return: a fixed mapping's unmapping of what it replaces included."),
        MUNMAP("latency.munmap", "munmap, from entry to return: the shootdown it waited for included."),
        MPROTECT("latency.mprotect", "mprotect, from entry to return: the shootdown it waited for included."),
        MADVISE("latency.madvise", "madvise(MADV_DONTNEED), from entry to return: the shootdown it waited for included."),
        MREMAP("latency.mremap", "mremap, from entry to return: the shootdown of a move or a shrink included."),
        PIPE_READ("latency.pipe_read", "read from a pipe, from entry to return: the modeled time blocked on an empty pipe and the copy's faults included."),
        PIPE_WRITE("latency.pipe_write", "write to a pipe, from entry to return: the modeled time blocked on a full pipe and the copy's faults included."),
        FAULT_DEMAND_ZERO("latency.fault.demand_zero", "A write fault that gave a private page a fresh zeroed frame (a first touch, or a write to the zero page), from fault entry to the return to the faulting instruction."),
        FAULT_ZERO_PAGE("latency.fault.zero_page", "A read fault that mapped the shared zero frame (mm.zero_page), from fault entry to the return."),
        FAULT_COW_COPY("latency.fault.cow_copy", "A copy-on-write fault that copied the page, from fault entry to the return: the shootdown of the old translation included."),
        FAULT_COW_REUSE("latency.fault.cow_reuse", "A copy-on-write fault whose process was the page's last owner (made writable in place), from fault entry to the return."),
        FAULT_TABLE_COPY("latency.fault.table_copy", "A fault that made on-demand fork's shared leaf table private (copied it) before resolving, from fault entry to the return."),
        FAULT_SEGFAULT("latency.fault.segfault", "A fault that kills the process with a segmentation fault, from fault entry until the kill is decided."),
        FAULT_OTHER("latency.fault.other", "Every other fault: a shared mapping's page, a spurious one (another CPU resolved it first), a bad user-copy buffer (EFAULT), an out-of-memory kill."),
        SHOOTDOWN_INTERRUPTED("latency.shootdown.interrupted", "Per shootdown: the modeled cycles it cost the CPUs it interrupted (handler, flush and acknowledgement charged to each target, summed); 0 when it interrupted nobody.");

        private static final Op[] ALL = values();

        private final String metric;
        private final String doc;

        Op(String metric, String doc) {
            this.metric = metric;
            this.doc = doc;
        }

        /** The metric's name in the statistics tree. */
        public String metric() {
            return metric;
        }

        public String doc() {
            return doc;
        }

        /** The fork kind of the fork strategy called {@code strategy}, or null for a plugged-in strategy of another name (not recorded). */
        public static Op fork(String strategy) {
            return switch (strategy) {
                case "cow" -> FORK_COW;
                case "eager" -> FORK_EAGER;
                case "odf" -> FORK_ODF;
                default -> null;
            };
        }
    }

    /** The name of the gauge of {@link #negatives}. */
    public static final String NEGATIVE_GAUGE = "latency.negative";

    /**
     * Latencies a CPU buffers before it adds them to the shared histograms under the lock. The flush lands on the one
     * operation whose record fills the batch (about 4 ns a latency): with 64 it was every 64th record, over 1 % of
     * COW-reuse faults, which put the flush (0.36 us against a 0.11 us p50) at their p99; with 512 it is under 0.2 %
     * of a fault kind's records even where each fault records two (the fault and its shootdown), so p99 is the
     * fault's own. A full batch is 4.5 KiB per CPU; {@link #merged} scans the unflushed ones.
     */
    static final int BATCH = 512;

    /** [op], each created at its first flush; guarded by this. */
    private final Histogram[] shared = new Histogram[Op.ALL.length];
    /** [cpu], each created at its CPU's first record; written only by the thread executing on that CPU. */
    private final Batch[] batches;
    /** [cpu]: latencies that came out negative (recorded as 0). */
    private final long[] negatives;

    /** One CPU's unflushed latencies: {@code size} pairs of kind and cycles. Single writer: the thread executing on the CPU. */
    private static final class Batch {
        final byte[] ops = new byte[BATCH];
        final long[] cycles = new long[BATCH];
        int size;
    }

    public OpLatencies(int cpus) {
        batches = new Batch[cpus];
        negatives = new long[cpus];
    }

    /** Records {@code cycles} of {@code op} on {@code cpu}. Only the thread executing on {@code cpu} may call this. */
    public void record(int cpu, Op op, long cycles) {
        Batch b = batches[cpu];
        if (b == null) {
            b = batches[cpu] = new Batch();
        }
        if (cycles < 0) {
            negatives[cpu]++;
            cycles = 0;
        }
        int i = b.size;
        b.ops[i] = (byte) op.ordinal();
        b.cycles[i] = cycles;
        b.size = i + 1;
        if (i + 1 == BATCH) {
            flush(b);
        }
    }

    /** Adds a full batch to the shared histograms and empties it. Called by the batch's CPU. */
    private synchronized void flush(Batch b) {
        for (int i = 0; i < b.size; i++) {
            histogram(b.ops[i]).recordValue(b.cycles[i]);
        }
        b.size = 0;
    }

    /** The shared histogram of the kind with ordinal {@code op}, created at its first use. Under the lock. */
    private Histogram histogram(int op) {
        Histogram h = shared[op];
        if (h == null) {
            h = shared[op] = new Histogram(3);
        }
        return h;
    }

    /** Every CPU's latencies of {@code op} merged (empty when none). Call when quiescent. */
    public synchronized Histogram merged(Op op) {
        Histogram all = new Histogram(3);
        if (shared[op.ordinal()] != null) {
            all.add(shared[op.ordinal()]);
        }
        for (Batch b : batches) {
            if (b == null) {
                continue;
            }
            for (int i = 0; i < b.size; i++) {
                if (b.ops[i] == op.ordinal()) {
                    all.recordValue(b.cycles[i]);
                }
            }
        }
        return all;
    }

    /** How many latencies came out negative and were recorded as 0 (none in a correct simulator). Exact when quiescent. */
    public long negatives() {
        long sum = 0;
        for (long n : negatives) {
            sum += n;
        }
        return sum;
    }

    /** Registers every kind in {@code stats} as a modeled distribution in cycles, and the {@link #NEGATIVE_GAUGE}. */
    public void register(StatsRegistry stats) {
        for (Op op : Op.ALL) {
            stats.histogramSource(op.metric(), StatsRegistry.Kind.MODELED, "cycles", op.doc(), () -> merged(op));
        }
        stats.gauge(NEGATIVE_GAUGE, StatsRegistry.Kind.MODELED, "events",
                "Latencies that came out negative (a task's clock going backwards) and were recorded as 0: 0 in a correct simulator.",
                this::negatives);
    }
}
