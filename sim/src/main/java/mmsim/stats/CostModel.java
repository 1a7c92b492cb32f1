package mmsim.stats;

import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Modeled cycles: what each simulated event would cost on a real machine, one immutable table per run.
 * Every CPU keeps a modeled clock ({@code Cpu.clock}) that these costs advance through {@code Cpu.charge}
 * (busy cycles: {@link CpuCounter#MODELED_CYCLES} plus its TLB hits at {@link #tlbL1Hit}), and that waits move
 * forward; these numbers, not host time, are what strategies are compared on, so they do not depend on host noise.
 *
 * <p>Each field is one {@link Parameter}: a machine setting {@code cost.<name>} whose value comes from the
 * run's cost profile ({@code cost.profile}: a built-in profile such as {@code skylake-server}, or a profile file
 * that {@code mmsim calibrate} wrote) unless the setting is given itself. The profile names each value's source;
 * {@code mmsim list} prints them. Costs that grow with an operation's size are charged per unit by the code that
 * does the work (a fork pays {@link #forkFixed} once and {@link #forkPerPage} per resident page it shares; an
 * unmapping pays one {@link #invlpg} per page, or one {@link #fullFlush}).
 *
 * <p>Immutable and safe to share between threads; read on the hot path through final fields.
 */
public final class CostModel {

    /** One cost the model charges: its setting's key is {@code cost.<name>}; every cost but the clock is in cycles. */
    public enum Parameter {
        GHZ("ghz", "GHz", "The modeled core clock: converts cycles to time in reports and sched.quantum.us to cycles."),
        TLB_L1_HIT("tlb_l1_hit", "cycles", "An L1 dTLB hit, charged on every access."),
        TLB_L2_HIT("tlb_l2_hit", "cycles", "An L2 TLB (STLB) hit after an L1 miss."),
        WALK_LEVEL("walk_level", "cycles", "One level of a page walk (four per walk)."),
        FAULT_ENTRY_EXIT("fault_entry_exit", "cycles", "A page fault's exception entry, the handler's fixed work and the return to user."),
        PAGE_ALLOC("page_alloc", "cycles", "Allocating one frame (a user page, a copy or a page-table page)."),
        PAGE_ZERO("page_zero", "cycles", "Zeroing one 4 KiB frame."),
        PAGE_COPY("page_copy", "cycles", "Copying one 4 KiB frame (a copy-on-write copy, an eager fork's copy)."),
        PTE_UPDATE("pte_update", "cycles", "Writing one page-table entry with a locked instruction."),
        INVLPG("invlpg", "cycles", "Invalidating one page in the local TLB (INVLPG)."),
        FULL_FLUSH("full_flush", "cycles", "Flushing the whole local TLB (CR3 reload); the refills show up as later walks."),
        IPI_SEND("ipi_send", "cycles", "Sending one IPI (an x2APIC ICR write), per target."),
        IPI_DELIVERY("ipi_delivery", "cycles", "From an IPI's send until the target's handler starts, the target on the sender's socket."),
        IPI_DELIVERY_REMOTE("ipi_delivery_remote", "cycles", "From an IPI's send until the target's handler starts, the target on another socket (topology.sockets)."),
        IPI_HANDLER("ipi_handler", "cycles", "Interrupt entry and exit on the target, its flush aside."),
        IPI_ACK("ipi_ack", "cycles", "A cache-line transfer between two cores of one socket: an acknowledgement read back by the initiator."),
        IPI_ACK_REMOTE("ipi_ack_remote", "cycles", "A cache-line transfer between sockets: an acknowledgement from a core on another socket."),
        INVLPGB("invlpgb", "cycles", "One broadcast invalidation (AMD INVLPGB, ARM TLBI IS) of a range."),
        TLBSYNC("tlbsync", "cycles", "Waiting for every CPU to complete the broadcast invalidations (AMD TLBSYNC)."),
        LAZY_POST("lazy_post", "cycles", "Posting one lazy invalidation to another CPU's queue (LATR), that CPU on the poster's socket."),
        LAZY_POST_REMOTE("lazy_post_remote", "cycles", "Posting one lazy invalidation to the queue of a CPU on another socket (LATR)."),
        DIRECTORY_LOOKUP("directory_lookup", "cycles", "One lookup in a shared TLB directory at the last-level cache (didi), per page invalidated."),
        SYSCALL("syscall", "cycles", "A system call's entry and return, the call's own work aside."),
        CONTEXT_SWITCH("context_switch", "cycles", "Switching between two tasks on one CPU (save, restore, scheduler)."),
        FORK_FIXED("fork_fixed", "cycles", "A fork's work that does not grow with memory: task, mm and file table, the child's first wakeup."),
        FORK_PER_PAGE("fork_per_page", "cycles", "A fork's work per resident page it shares copy-on-write: copy the entry, take a reference, write-protect."),
        EXEC_FIXED("exec_fixed", "cycles", "An exec's work beyond tearing down the old image and mapping the new one: loading the program."),
        EXIT_FIXED("exit_fixed", "cycles", "An exit's work beyond unmapping its memory: files, signals, notifying the parent."),
        MMAP_FIXED("mmap_fixed", "cycles", "An mmap's work on the VMA tree, per call."),
        MUNMAP_FIXED("munmap_fixed", "cycles", "A munmap's work on the VMA tree and page tables, per call (its flushes and frees aside)."),
        MPROTECT_FIXED("mprotect_fixed", "cycles", "An mprotect's work on the VMA tree, per call (its entry updates and flushes aside)."),
        MADVISE_FIXED("madvise_fixed", "cycles", "An madvise's work, per call (its entry updates and flushes aside).");

        private final String name;
        private final String unit;
        private final String doc;

        Parameter(String name, String unit, String doc) {
            this.name = name;
            this.unit = unit;
            this.doc = doc;
        }

        /** The setting's key: {@code cost.<name>}. */
        public String key() {
            return "cost." + name;
        }

        /** {@code cycles}, or {@code GHz} for the clock. */
        public String unit() {
            return unit;
        }

        /** What the cost covers, in one sentence. */
        public String doc() {
            return doc;
        }

        /** The parameter whose key is {@code key}, or null. */
        public static Parameter ofKey(String key) {
            for (Parameter p : values()) {
                if (p.key().equals(key)) {
                    return p;
                }
            }
            return null;
        }

        @Override
        public String toString() {
            return name.toLowerCase(Locale.ROOT);
        }
    }

    /** Cycles per nanosecond. */
    public final double ghz;
    /** Cycles; see {@link Parameter#TLB_L1_HIT}. */
    public final long tlbL1Hit;
    /** Cycles; see {@link Parameter#TLB_L2_HIT}. */
    public final long tlbL2Hit;
    /** Cycles; see {@link Parameter#WALK_LEVEL}. */
    public final long walkLevel;
    /** Cycles; see {@link Parameter#FAULT_ENTRY_EXIT}. */
    public final long faultEntryExit;
    /** Cycles; see {@link Parameter#PAGE_ALLOC}. */
    public final long pageAlloc;
    /** Cycles; see {@link Parameter#PAGE_ZERO}. */
    public final long pageZero;
    /** Cycles; see {@link Parameter#PAGE_COPY}. */
    public final long pageCopy;
    /** Cycles; see {@link Parameter#PTE_UPDATE}. */
    public final long pteUpdate;
    /** Cycles; see {@link Parameter#INVLPG}. */
    public final long invlpg;
    /** Cycles; see {@link Parameter#FULL_FLUSH}. */
    public final long fullFlush;
    /** Cycles; see {@link Parameter#IPI_SEND}. */
    public final long ipiSend;
    /** Cycles; see {@link Parameter#IPI_DELIVERY}. */
    public final long ipiDelivery;
    /** Cycles; see {@link Parameter#IPI_DELIVERY_REMOTE}. */
    public final long ipiDeliveryRemote;
    /** Cycles; see {@link Parameter#IPI_HANDLER}. */
    public final long ipiHandler;
    /** Cycles; see {@link Parameter#IPI_ACK}. */
    public final long ipiAck;
    /** Cycles; see {@link Parameter#IPI_ACK_REMOTE}. */
    public final long ipiAckRemote;
    /** Cycles; see {@link Parameter#INVLPGB}. */
    public final long invlpgb;
    /** Cycles; see {@link Parameter#TLBSYNC}. */
    public final long tlbsync;
    /** Cycles; see {@link Parameter#LAZY_POST}. */
    public final long lazyPost;
    /** Cycles; see {@link Parameter#LAZY_POST_REMOTE}. */
    public final long lazyPostRemote;
    /** Cycles per page; see {@link Parameter#DIRECTORY_LOOKUP}. */
    public final long directoryLookup;
    /** Cycles; see {@link Parameter#SYSCALL}. */
    public final long syscall;
    /** Cycles; see {@link Parameter#CONTEXT_SWITCH}. */
    public final long contextSwitch;
    /** Cycles; see {@link Parameter#FORK_FIXED}. */
    public final long forkFixed;
    /** Cycles per page; see {@link Parameter#FORK_PER_PAGE}. */
    public final long forkPerPage;
    /** Cycles; see {@link Parameter#EXEC_FIXED}. */
    public final long execFixed;
    /** Cycles; see {@link Parameter#EXIT_FIXED}. */
    public final long exitFixed;
    /** Cycles; see {@link Parameter#MMAP_FIXED}. */
    public final long mmapFixed;
    /** Cycles; see {@link Parameter#MUNMAP_FIXED}. */
    public final long munmapFixed;
    /** Cycles; see {@link Parameter#MPROTECT_FIXED}. */
    public final long mprotectFixed;
    /** Cycles; see {@link Parameter#MADVISE_FIXED}. */
    public final long madviseFixed;

    private final Map<Parameter, Double> values;

    /**
     * A table from one value per parameter: cycles (whole numbers, at least 0) and the clock in GHz (positive).
     *
     * @throws IllegalArgumentException when a parameter is missing, a cycle count is negative or not whole, or the clock is not positive
     */
    public CostModel(Map<Parameter, ? extends Number> values) {
        Objects.requireNonNull(values, "values");
        EnumMap<Parameter, Double> v = new EnumMap<>(Parameter.class);
        for (Parameter p : Parameter.values()) {
            Number n = values.get(p);
            if (n == null) {
                throw new IllegalArgumentException("no value for " + p.key());
            }
            double d = n.doubleValue();
            if (p == Parameter.GHZ ? !(d > 0) : d < 0 || d != Math.rint(d)) {
                throw new IllegalArgumentException(p.key() + "=" + n + ": "
                        + (p == Parameter.GHZ ? "a clock rate in GHz above 0" : "a whole number of cycles, 0 or more"));
            }
            v.put(p, d);
        }
        this.values = v;
        ghz = v.get(Parameter.GHZ);
        tlbL1Hit = cycles(Parameter.TLB_L1_HIT);
        tlbL2Hit = cycles(Parameter.TLB_L2_HIT);
        walkLevel = cycles(Parameter.WALK_LEVEL);
        faultEntryExit = cycles(Parameter.FAULT_ENTRY_EXIT);
        pageAlloc = cycles(Parameter.PAGE_ALLOC);
        pageZero = cycles(Parameter.PAGE_ZERO);
        pageCopy = cycles(Parameter.PAGE_COPY);
        pteUpdate = cycles(Parameter.PTE_UPDATE);
        invlpg = cycles(Parameter.INVLPG);
        fullFlush = cycles(Parameter.FULL_FLUSH);
        ipiSend = cycles(Parameter.IPI_SEND);
        ipiDelivery = cycles(Parameter.IPI_DELIVERY);
        ipiDeliveryRemote = cycles(Parameter.IPI_DELIVERY_REMOTE);
        ipiHandler = cycles(Parameter.IPI_HANDLER);
        ipiAck = cycles(Parameter.IPI_ACK);
        ipiAckRemote = cycles(Parameter.IPI_ACK_REMOTE);
        invlpgb = cycles(Parameter.INVLPGB);
        tlbsync = cycles(Parameter.TLBSYNC);
        lazyPost = cycles(Parameter.LAZY_POST);
        lazyPostRemote = cycles(Parameter.LAZY_POST_REMOTE);
        directoryLookup = cycles(Parameter.DIRECTORY_LOOKUP);
        syscall = cycles(Parameter.SYSCALL);
        contextSwitch = cycles(Parameter.CONTEXT_SWITCH);
        forkFixed = cycles(Parameter.FORK_FIXED);
        forkPerPage = cycles(Parameter.FORK_PER_PAGE);
        execFixed = cycles(Parameter.EXEC_FIXED);
        exitFixed = cycles(Parameter.EXIT_FIXED);
        mmapFixed = cycles(Parameter.MMAP_FIXED);
        munmapFixed = cycles(Parameter.MUNMAP_FIXED);
        mprotectFixed = cycles(Parameter.MPROTECT_FIXED);
        madviseFixed = cycles(Parameter.MADVISE_FIXED);
    }

    private long cycles(Parameter p) {
        return values.get(p).longValue();
    }

    /** The value of {@code p}: cycles, or GHz for {@link Parameter#GHZ}. */
    public double value(Parameter p) {
        return values.get(p);
    }

    /** Cycles from sending an IPI until the handler starts on a target on the sender's socket ({@code sameSocket}) or another. */
    public long ipiDelivery(boolean sameSocket) {
        return sameSocket ? ipiDelivery : ipiDeliveryRemote;
    }

    /** Cycles of one cache-line transfer (an acknowledgement) within a socket ({@code sameSocket}) or between two. */
    public long lineTransfer(boolean sameSocket) {
        return sameSocket ? ipiAck : ipiAckRemote;
    }

    /** Cycles to microseconds at this table's clock. */
    public double micros(long cycles) {
        return cycles / (ghz * 1000.0);
    }

    @Override
    public String toString() {
        return values.toString();
    }
}
