package mmsim.stats;

/**
 * Modeled cycles: what each simulated event would cost on real hardware, in one table. Every CPU keeps
 * a modeled clock ({@code Cpu.clock}) that these costs advance through {@code Cpu.charge} (busy cycles:
 * {@link CpuCounter#MODELED_CYCLES} plus its TLB hits at {@link #TLB_L1_HIT}), and that waits move forward;
 * these numbers, not host time, are what strategies are compared on, so they do not depend on host noise.
 * Each constant names its source; where a source gives a range, the value chosen is said.
 */
public final class CostModel {
    private CostModel() {
    }

    /** Modeled clock frequency, for converting cycles to time in reports: a 3 GHz server core. */
    public static final double GHZ = 3.0;

    /** An L1 dTLB hit adds nothing beyond the load-to-use latency it overlaps with: 1 cycle (Intel SDM optimization manual, Skylake). */
    public static final long TLB_L1_HIT = 1;
    /** An STLB (L2 TLB) hit after an L1 miss: 9 cycles (Intel optimization manual, Skylake: "STLB hit ~9 cycles"). */
    public static final long TLB_L2_HIT = 9;
    /** One page-walk level, the entry hitting in the data caches: 25 cycles (walks of 4 levels cost ~20–100+ cycles, Bhattacharjee & Lustig, "Architectural and OS support for virtual memory", 2017; mid value). */
    public static final long WALK_LEVEL = 25;
    /** Page-fault exception entry plus return to user: 1000 cycles (~0.33 µs; lmbench/"Linux page fault cost" measurements put entry+exit at 0.2–0.5 µs on Skylake with KPTI off). */
    public static final long FAULT_ENTRY_EXIT = 1000;
    /** Zeroing one 4 KiB frame (rep stosb, cache-resident destination): 250 cycles (~18–86 ns measured on the project host, ../shared/DESIGN.md §6). */
    public static final long PAGE_ZERO = 250;
    /** Copying one 4 KiB frame, source and destination partly cold: 600 cycles (~20–300 ns measured on the project host, DESIGN.md §6; midpoint). */
    public static final long PAGE_COPY = 600;
    /** Updating one page-table entry with a locked instruction: 20 cycles (a contended-free lock cmpxchg, Agner Fog's tables). */
    public static final long PTE_UPDATE = 20;
    /** A local INVLPG: 260 cycles (Molnar, 2015, x86 TLB flush measurements quoted in arch/x86/mm/tlb.c history). */
    public static final long INVLPG = 260;
    /** A full local flush by CR3 reload without PCID: 130 cycles (100–170 measured, same source; midpoint). The refill cost shows up as later walks. */
    public static final long FULL_FLUSH = 130;
    /** Writing the x2APIC ICR to send one IPI: 200 cycles (Intel SDM Vol. 3, x2APIC MSR write latency ~ 100s of cycles). */
    public static final long IPI_SEND = 200;
    /** Delivery of an IPI to a running remote CPU until its handler starts: 2400 cycles (first remote target ≈ 0.8 µs on Haswell, per the x86 concurrent TLB flush patch series, Amit 2019). */
    public static final long IPI_DELIVERY = 2400;
    /** Interrupt entry and exit on the target (cycles lost by the interrupted CPU besides its flush): 600 cycles. */
    public static final long IPI_HANDLER = 600;
    /** The acknowledgement's cache-line transfer back to the initiator: 150 cycles (a cross-core cache-to-cache transfer, ~50 ns). */
    public static final long IPI_ACK = 150;
    /** AMD INVLPGB for one range, broadcast by the fabric: 400 cycles (Zen 3 measurements in the Linux INVLPGB series, 2025: a few hundred cycles). */
    public static final long INVLPGB = 400;
    /** AMD TLBSYNC: waiting for every core to complete outstanding INVLPGBs: 1500 cycles (~0.5 µs, same series). */
    public static final long TLBSYNC = 1500;
    /** Posting a lazy invalidation to another CPU's queue (LATR): one cache-line write, 100 cycles (LATR, ASPLOS'18, §5). */
    public static final long LAZY_POST = 100;
    /** A system call's entry and return, the call's own work aside: 150 cycles (~50 ns, lmbench lat_syscall null on Skylake without KPTI). */
    public static final long SYSCALL = 150;
    /** A context switch between tasks (save/restore, scheduler): 3000 cycles (~1 µs, lmbench lat_ctx on modern x86). */
    public static final long CONTEXT_SWITCH = 3000;

    /** Cycles to microseconds at {@link #GHZ}. */
    public static double micros(long cycles) {
        return cycles / (GHZ * 1000.0);
    }
}
