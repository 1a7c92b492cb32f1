package mmsim.config;

import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import mmsim.stats.CostModel;

/**
 * Every setting of a simulated machine, each a named constant with its default and documentation,
 * and an immutable resolved configuration. Unknown keys and invalid values are errors that name the
 * key and what it allows; cross-setting rules (a TLB's ways must divide its entries into a power-of-two
 * number of sets) are checked too. The resolved map, defaults included, is what a run writes out.
 */
public final class MachineConfig {

    /** Which entry a full TLB set gives up on an insert. */
    public enum Replacement {
        /** Least recently used: hits refresh an entry's age. */
        LRU("Least recently used: hits refresh an entry's age."),
        /** First in, first out: only the insert sets an entry's age. */
        FIFO("First in, first out: only the insert sets an entry's age."),
        /** A way drawn from the CPU's seeded generator. */
        RANDOM("A way drawn from the CPU's seeded generator.");

        private final String doc;

        Replacement(String doc) {
            this.doc = doc;
        }

        /** One sentence on what it does and where it comes from, for {@code mmsim list}. */
        public String doc() {
            return doc;
        }

        @Override
        public String toString() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** How fork copies an address space. */
    public enum ForkStrategy {
        /** Copy every present page at fork (JOS dumbfork, gem5 SE mode). */
        EAGER("Copy every present page at fork (JOS dumbfork, gem5 SE mode)."),
        /** Share frames write-protected; copy on the first write (KeOS, xv6's COW lab, Linux). */
        COW("Share frames write-protected; copy on the first write (KeOS, xv6's COW lab, Linux)."),
        /** Share last-level page tables; copy a table on the first write into it (On-demand fork, EuroSys'21). */
        ODF("Share last-level page tables; copy a table on the first write into it (On-demand fork, EuroSys'21).");

        private final String doc;

        ForkStrategy(String doc) {
            this.doc = doc;
        }

        /** One sentence on what it does and where it comes from, for {@code mmsim list}. */
        public String doc() {
            return doc;
        }

        @Override
        public String toString() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** How stale translations leave other CPUs' TLBs (see mmsim.shootdown). */
    public enum Shootdown {
        /** Interrupt every other CPU and wait for every acknowledgement (early kernels). */
        BROADCAST("Interrupt every other CPU and wait for every acknowledgement (early kernels)."),
        /** Interrupt only the CPUs in the address space's cpumask, and wait (KeOS, OS161). */
        TARGETED("Interrupt only the CPUs in the address space's cpumask, and wait (KeOS, OS161)."),
        /** arch/x86/mm/tlb.c: TLB generations, lazy CPUs skipped, 33-page ceiling, concurrent local flush. */
        LINUX("arch/x86/mm/tlb.c: TLB generations, lazy CPUs skipped, 33-page ceiling, concurrent local flush."),
        /** LATR (ASPLOS'18): munmap/madvise invalidated lazily at ticks and switches, frames freed after. */
        LATR("LATR (ASPLOS'18): munmap/madvise invalidated lazily at ticks and switches, frames freed after."),
        /** AMD INVLPGB + TLBSYNC / ARM TLBI IS: remote TLBs invalidated without interrupting their CPUs. */
        HW_BROADCAST("AMD INVLPGB + TLBSYNC / ARM TLBI IS: remote TLBs invalidated without interrupting their CPUs."),
        /** Linux's arch_tlbbatch: one request per target CPU for a whole operation, one round at the end. */
        BATCHED("Linux's arch_tlbbatch: one request per target CPU for a whole operation, one round at the end."),
        /** ABIS (ATC'17): linux, interrupting only the CPUs page access tracking says may hold the translation. */
        ABIS("ABIS (ATC'17): linux, interrupting only the CPUs page access tracking says may cache the entries (private pages: one or none)."),
        /** Early acknowledgement (EuroSys'20): linux, targets acknowledge on receipt unless page tables are freed. */
        EARLY_ACK("Don't shoot down TLB shootdowns (EuroSys'20): linux, targets acknowledge on receipt and flush after, unless page tables are freed."),
        /** Barrelfish's NUMA-aware multicast (SOSP'09): one IPI per socket, forwarded there, acknowledgements aggregated. */
        MULTICAST("Barrelfish's NUMA-aware multicast (SOSP'09): linux with one IPI per socket, forwarded there, acknowledgements aggregated per socket."),
        /** DiDi (PACT'11): a shared TLB directory invalidates only the cores that cached the entry, in hardware. */
        DIDI("DiDi (PACT'11): a shared TLB directory sends hardware invalidations only to the cores that cached the entry; no interrupts.");

        private final String doc;

        Shootdown(String doc) {
            this.doc = doc;
        }

        /** One sentence on what it does and where it comes from, for {@code mmsim list}. */
        public String doc() {
            return doc;
        }

        @Override
        public String toString() {
            return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
        }
    }

    public static final Setting<Integer> CPUS = Setting.intRange("cpus", 2, 1, 1024,
            "Simulated CPUs. Each is driven by one Java thread at a time (at most sim.parallelism at once) and has its own TLB "
                    + "and interrupt inbox.");

    public static final Setting<Integer> TOPOLOGY_SOCKETS = Setting.intRange("topology.sockets", 1, 1, 1024,
            "Sockets (NUMA nodes) the CPUs are spread over, cores of a socket numbered consecutively (CPU i is on socket "
                    + "i / cores_per_socket). An IPI, an acknowledgement and a cache-line transfer to another socket cost "
                    + "cost.ipi_delivery_remote, cost.ipi_ack_remote and cost.lazy_post_remote instead of their same-socket "
                    + "values. Must divide cpus.");

    public static final Setting<Integer> TOPOLOGY_CORES_PER_SOCKET = Setting.intRange("topology.cores_per_socket", 0, 0, 1024,
            "Cores per socket; 0 (the default) means cpus / topology.sockets. Given alone it sets topology.sockets to "
                    + "cpus / topology.cores_per_socket; given with it, the two must multiply to cpus.");

    public static final Setting<Long> MEMORY = Setting.bytes("memory", 256L << 20, 64L << 10, 4L << 40, 4096,
            "Physical memory: real off-heap bytes, divided into 4 KiB frames, taken from the host in 2 MiB chunks as frames are "
                    + "first used. Page-table pages are taken from it too.");

    public static final Setting<Integer> PAGE_SIZE = Setting.intRange("page.size", 4096, 4096, 4096,
            "Page and frame size in bytes. Only 4 KiB pages are modelled.");

    public static final Setting<Integer> TLB_LEVELS = Setting.intRange("tlb.levels", 2, 1, 2,
            "TLB levels per CPU: 1 (an L1 only) or 2 (an L1 backed by a larger L2, as x86's STLB).");

    public static final Setting<Integer> TLB_L1_ENTRIES = Setting.intRange("tlb.l1.entries", 64, 1, 1 << 16,
            "Entries of each CPU's first-level TLB (Skylake's L1 dTLB: 64).");

    public static final Setting<Integer> TLB_L1_WAYS = Setting.intRange("tlb.l1.ways", 4, 1, 64,
            "Associativity of the L1 TLB; entries/ways (the number of sets) must be a power of two (Skylake: 4).");

    public static final Setting<Integer> TLB_L2_ENTRIES = Setting.intRange("tlb.l2.entries", 1536, 1, 1 << 20,
            "Entries of the second-level TLB when tlb.levels=2 (Skylake's STLB: 1536).");

    public static final Setting<Integer> TLB_L2_WAYS = Setting.intRange("tlb.l2.ways", 12, 1, 64,
            "Associativity of the L2 TLB; entries/ways must be a power of two (Skylake: 12).");

    public static final Setting<Replacement> TLB_REPLACEMENT = Setting.oneOf("tlb.replacement", Replacement.LRU,
            Replacement.class, "Which way of a full TLB set an insert replaces.");

    public static final Setting<Boolean> TLB_ASID = Setting.bool("tlb.asid", false,
            "Tag TLB entries with an address-space id (x86 PCID): a context switch then keeps other spaces' entries.");

    public static final Setting<Integer> FRAMEPOOL_BATCH = Setting.intRange("framepool.batch", 32, 1, 4096,
            "Frames moved at once between a CPU's frame cache and the global pool; a cache holds at most twice this.");

    public static final Setting<ForkStrategy> FORK_STRATEGY = Setting.oneOf("fork.strategy", ForkStrategy.COW,
            ForkStrategy.class, "How fork copies the parent's address space.");

    public static final Setting<Boolean> MM_ZERO_PAGE = Setting.bool("mm.zero_page", true,
            "A read fault on an untouched private anonymous page maps one shared, read-only zero frame (no allocation, no "
                    + "zeroing; faults.zero_page) and the first write allocates (faults.zero_page_write), as Linux does by "
                    + "default; false makes every first touch allocate a zeroed frame (faults.demand_zero), for comparisons.");

    public static final Setting<Shootdown> SHOOTDOWN_STRATEGY = Setting.oneOf("shootdown.strategy", Shootdown.TARGETED,
            Shootdown.class, "How the kernel removes stale translations from other CPUs' TLBs.");

    public static final Setting<Boolean> CHECKING = Setting.bool("checking", false,
            "Checking mode: the stale-translation oracle checks every TLB hit against the page table.");

    public static final Setting<Boolean> CHECKING_FAIL_FAST = Setting.bool("checking.failfast", false,
            "In checking mode, throw at the first stale-translation hit (naming CPU, address and frame) instead of counting it.");

    public static final Setting<Integer> SCHED_QUANTUM_US = Setting.intRange("sched.quantum.us", 2000, 1, 1_000_000,
            "The preemption tick's period in modeled microseconds at the cost model's clock (cost.ghz): the same quantum as "
                    + "sched.quantum.cycles, which it sets when given alone (kept for scripts written before modeled time).");

    public static final Setting<Long> SCHED_QUANTUM_CYCLES = Setting.longRange("sched.quantum.cycles", 6_000_000L, 1_000L,
            1L << 40, "Modeled cycles of a CPU's clock between preemption ticks (a waiting task gets the CPU; LATR "
                    + "reconciles its lazy queue): 6,000,000 = 2 ms at 3 GHz, between Linux's 1 ms (HZ=1000) and 4 ms (HZ=250) ticks.");

    public static final Setting<Integer> SIM_PARALLELISM = Setting.intRange("sim.parallelism", 0, 0, 1024,
            "Host slots: at most this many simulated CPUs execute at once (0: the host's cores). Waiting CPUs give their "
                    + "slot up, so 256 CPUs run on 2 host cores without time-slicing; 1 with sim.deterministic.");

    public static final Setting<Long> SIM_PHASE_CYCLES = Setting.longRange("sim.phase.cycles", 1_000L, 100L, 1L << 40,
            "Bound phase length in modeled cycles: no CPU runs more than one phase ahead of the slowest runnable one "
                    + "(zsim's bound-weave phases). 1,000 keeps the skew below an IPI's delivery (2,400 cycles), so CPUs interleave "
                    + "at the grain shootdowns happen in (zsim uses 10,000 for cache-level events); longer costs fewer host hand-overs "
                    + "but lets a CPU run further ahead of the others it interacts with.");

    public static final Setting<Boolean> SIM_DETERMINISTIC = Setting.bool("sim.deterministic", false,
            "Deterministic mode: one host slot, the next CPU chosen by a fixed rule (pending interrupt, then lowest modeled "
                    + "clock, ties by CPU id), so the same seed gives the same counters, clocks and modeled histograms, bit for bit.");

    public static final Setting<String> SIM_THREADS = Setting.oneOfStrings("sim.threads", "auto",
            java.util.List.of("auto", "virtual", "platform"),
            "What backs each simulated task: virtual threads (JDK 21+; a host park/unpark hand-off costs ~0.3 us), platform "
                    + "threads (any JDK; ~25 us per hand-off, ~100 us per start), or auto (virtual on JDK 24+, where blocking inside "
                    + "synchronized no longer pins a carrier; platform before). The modeled results are the same either way.");

    public static final Setting<Long> SEED = Setting.anyLong("seed", 1L,
            "The one seed every random choice of a run derives from (replacement, workloads).");

    public static final Setting<String> COST_PROFILE = Setting.text("cost.profile", CostProfile.DEFAULT,
            "a built-in profile (" + String.join(", ", CostProfile.BUILT_IN) + ") or the path of a profile file",
            "The cost model's values: a built-in profile, or a profile file (Java properties, as mmsim calibrate writes). "
                    + "A cost.<name> setting given alongside overrides that one value. Every run records the resolved values.");

    /**
     * One setting per cost-model parameter ({@code cost.<name>}); the default shown is the default profile's value,
     * and an unset one takes the value of the profile {@code cost.profile} names.
     */
    public static final List<Setting<?>> COST_SETTINGS = java.util.Arrays.stream(CostModel.Parameter.values())
            .map(MachineConfig::costSetting).collect(java.util.stream.Collectors.toUnmodifiableList());

    private static Setting<?> costSetting(CostModel.Parameter p) {
        double d = CostProfile.load(CostProfile.DEFAULT).values().get(p);
        String doc = p.doc() + " (" + p.unit() + ")";
        return p == CostModel.Parameter.GHZ
                ? Setting.decimal(p.key(), d, 0.1, 100, doc)
                : Setting.longRange(p.key(), (long) d, 0, 1_000_000_000_000L, doc);
    }

    /** All settings, in the order they are documented and written out. */
    public static final List<Setting<?>> SETTINGS = java.util.stream.Stream.concat(java.util.stream.Stream.of(
            CPUS, TOPOLOGY_SOCKETS, TOPOLOGY_CORES_PER_SOCKET, MEMORY, PAGE_SIZE, TLB_LEVELS, TLB_L1_ENTRIES, TLB_L1_WAYS, TLB_L2_ENTRIES, TLB_L2_WAYS,
            TLB_REPLACEMENT, TLB_ASID, FRAMEPOOL_BATCH, FORK_STRATEGY, MM_ZERO_PAGE, SHOOTDOWN_STRATEGY, CHECKING, CHECKING_FAIL_FAST, SCHED_QUANTUM_US,
            SCHED_QUANTUM_CYCLES, SIM_PARALLELISM, SIM_PHASE_CYCLES, SIM_DETERMINISTIC, SIM_THREADS, SEED, COST_PROFILE),
            COST_SETTINGS.stream()).collect(java.util.stream.Collectors.toUnmodifiableList());

    private final Map<Setting<?>, Object> values;
    private final Map<String, String> overrides;
    private final CostProfile profile;
    private final CostModel costs;

    private MachineConfig(Map<Setting<?>, Object> values, Map<String, String> overrides, CostProfile profile) {
        this.values = values;
        this.overrides = Map.copyOf(overrides);
        this.profile = profile;
        EnumMap<CostModel.Parameter, Double> table = new EnumMap<>(CostModel.Parameter.class);
        for (CostModel.Parameter p : CostModel.Parameter.values()) {
            table.put(p, ((Number) values.get(COST_SETTINGS.get(p.ordinal()))).doubleValue());
        }
        this.costs = new CostModel(table);
        validate();
    }

    /** Every setting at its default. */
    public static MachineConfig defaults() {
        return parse(Map.of());
    }

    /**
     * Resolves {@code overrides} (key → text) over the defaults.
     *
     * @throws ConfigException on an unknown key (listing the known ones) or an invalid value
     */
    public static MachineConfig parse(Map<String, String> overrides) {
        Map<Setting<?>, Object> resolved = new LinkedHashMap<>();
        for (Setting<?> s : SETTINGS) {
            resolved.put(s, s.defaultValue());
        }
        for (Map.Entry<String, String> e : overrides.entrySet()) {
            Setting<?> setting = find(e.getKey());
            resolved.put(setting, setting.parse(e.getValue()));
        }
        CostProfile profile = resolveCosts(resolved, overrides);
        resolveQuantum(resolved, overrides);
        resolveParallelism(resolved, overrides);
        resolveTopology(resolved, overrides);
        return new MachineConfig(resolved, overrides, profile);
    }

    /** The profile cost.profile names supplies every cost.<name> not given itself. */
    private static CostProfile resolveCosts(Map<Setting<?>, Object> resolved, Map<String, String> overrides) {
        CostProfile profile = CostProfile.load((String) resolved.get(COST_PROFILE));
        for (CostModel.Parameter p : CostModel.Parameter.values()) {
            Setting<?> s = COST_SETTINGS.get(p.ordinal());
            if (!overrides.containsKey(s.key())) {
                double v = profile.values().get(p);
                resolved.put(s, p == CostModel.Parameter.GHZ ? (Object) v : (Object) (long) v);
            }
        }
        return profile;
    }

    /** sched.quantum.us and sched.quantum.cycles name one quantum: the one given sets the other; both must agree. */
    private static void resolveQuantum(Map<Setting<?>, Object> resolved, Map<String, String> overrides) {
        boolean us = overrides.containsKey(SCHED_QUANTUM_US.key());
        boolean cycles = overrides.containsKey(SCHED_QUANTUM_CYCLES.key());
        long cyclesPerMicro = Math.round((Double) resolved.get(COST_SETTINGS.get(CostModel.Parameter.GHZ.ordinal())) * 1000);
        if (us && !cycles) {
            resolved.put(SCHED_QUANTUM_CYCLES, (Integer) resolved.get(SCHED_QUANTUM_US) * cyclesPerMicro);
        } else if (cycles) {
            long c = (Long) resolved.get(SCHED_QUANTUM_CYCLES);
            long micros = Math.max(1, Math.min(1_000_000, c / cyclesPerMicro));
            if (us && (Integer) resolved.get(SCHED_QUANTUM_US) != micros) {
                throw new ConfigException(SCHED_QUANTUM_US.key() + "=" + resolved.get(SCHED_QUANTUM_US) + " and "
                        + SCHED_QUANTUM_CYCLES.key() + "=" + c + " disagree: give one of them (1 us = " + cyclesPerMicro + " cycles)");
            }
            resolved.put(SCHED_QUANTUM_US, (int) micros);
        }
    }

    /** topology.sockets and topology.cores_per_socket: either sets the other; both must multiply to cpus. */
    private static void resolveTopology(Map<Setting<?>, Object> resolved, Map<String, String> overrides) {
        int cpus = (Integer) resolved.get(CPUS);
        int sockets = (Integer) resolved.get(TOPOLOGY_SOCKETS);
        int perSocket = (Integer) resolved.get(TOPOLOGY_CORES_PER_SOCKET);
        boolean socketsGiven = overrides.containsKey(TOPOLOGY_SOCKETS.key());
        if (perSocket != 0 && !socketsGiven) {
            if (cpus % perSocket != 0) {
                throw new ConfigException(TOPOLOGY_CORES_PER_SOCKET.key() + "=" + perSocket + " does not divide " + CPUS.key()
                        + "=" + cpus + ": every socket has the same number of cores");
            }
            sockets = cpus / perSocket;
        } else if (perSocket == 0) {
            if (sockets > cpus || cpus % sockets != 0) {
                throw new ConfigException(TOPOLOGY_SOCKETS.key() + "=" + sockets + " does not divide " + CPUS.key() + "=" + cpus
                        + ": every socket has the same number of cores (give a divisor of " + cpus + ")");
            }
            perSocket = cpus / sockets;
        } else if (sockets * perSocket != cpus) {
            throw new ConfigException(TOPOLOGY_SOCKETS.key() + "=" + sockets + " times " + TOPOLOGY_CORES_PER_SOCKET.key() + "="
                    + perSocket + " is " + (sockets * perSocket) + ", not " + CPUS.key() + "=" + cpus);
        }
        resolved.put(TOPOLOGY_SOCKETS, sockets);
        resolved.put(TOPOLOGY_CORES_PER_SOCKET, perSocket);
    }

    /** sim.parallelism 0 becomes the host's cores; the deterministic mode runs one slot. */
    private static void resolveParallelism(Map<Setting<?>, Object> resolved, Map<String, String> overrides) {
        int p = (Integer) resolved.get(SIM_PARALLELISM);
        if ((Boolean) resolved.get(SIM_DETERMINISTIC)) {
            if (overrides.containsKey(SIM_PARALLELISM.key()) && p != 1 && p != 0) {
                throw new ConfigException(SIM_PARALLELISM.key() + "=" + p + " contradicts " + SIM_DETERMINISTIC.key()
                        + "=true, which runs one CPU at a time: drop one of them (or set " + SIM_PARALLELISM.key() + "=1)");
            }
            p = 1;
        } else if (p == 0) {
            p = Runtime.getRuntime().availableProcessors();
        }
        resolved.put(SIM_PARALLELISM, p);
    }

    /**
     * A copy with one more override, over the overrides this configuration was parsed from (so a new
     * {@code cost.profile} takes effect for every cost not given itself).
     */
    public MachineConfig with(String key, String value) {
        Map<String, String> all = new LinkedHashMap<>(overrides);
        all.put(key, value);
        return parse(all);
    }

    /** The settings given explicitly when this configuration was parsed (key to text), defaults excluded. */
    public Map<String, String> overrides() {
        return overrides;
    }

    /** The cost model of this machine: the profile's values, with any cost.<name> setting in place of its own. */
    public CostModel costs() {
        return costs;
    }

    /** The profile {@code cost.profile} named (before single cost settings overrode any of its values). */
    public CostProfile costProfile() {
        return profile;
    }

    /** The setting named {@code key}. */
    public static Setting<?> find(String key) {
        for (Setting<?> s : SETTINGS) {
            if (s.key().equals(key)) {
                return s;
            }
        }
        throw new ConfigException("unknown setting '" + key + "'; known settings: "
                + String.join(", ", SETTINGS.stream().map(Setting::key).toList()));
    }

    @SuppressWarnings("unchecked")
    public <T> T get(Setting<T> setting) {
        return (T) values.get(setting);
    }

    /** Every setting, defaults resolved, as key → text that {@link #parse} reads back. */
    @SuppressWarnings({"unchecked", "rawtypes"})
    public Map<String, String> asStrings() {
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<Setting<?>, Object> e : values.entrySet()) {
            Setting s = e.getKey();
            out.put(s.key(), s.format(e.getValue()));
        }
        return Collections.unmodifiableMap(out);
    }

    public int cpus() {
        return get(CPUS);
    }

    /** Sockets (resolved: divides {@link #cpus()}). */
    public int sockets() {
        return get(TOPOLOGY_SOCKETS);
    }

    /** Cores per socket (resolved: {@code cpus / sockets}). */
    public int coresPerSocket() {
        return get(TOPOLOGY_CORES_PER_SOCKET);
    }

    /** The socket of CPU {@code cpu} (0-based): cores of a socket are numbered consecutively. */
    public int socketOf(int cpu) {
        return cpu / coresPerSocket();
    }

    public long memoryBytes() {
        return get(MEMORY);
    }

    /** Physical frames of {@link #memoryBytes()}. */
    public int frames() {
        return (int) (memoryBytes() / get(PAGE_SIZE));
    }

    public int tlbLevels() {
        return get(TLB_LEVELS);
    }

    public int tlbL1Entries() {
        return get(TLB_L1_ENTRIES);
    }

    public int tlbL1Ways() {
        return get(TLB_L1_WAYS);
    }

    public int tlbL2Entries() {
        return get(TLB_L2_ENTRIES);
    }

    public int tlbL2Ways() {
        return get(TLB_L2_WAYS);
    }

    public Replacement tlbReplacement() {
        return get(TLB_REPLACEMENT);
    }

    public boolean tlbAsid() {
        return get(TLB_ASID);
    }

    public int framePoolBatch() {
        return get(FRAMEPOOL_BATCH);
    }

    public ForkStrategy forkStrategy() {
        return get(FORK_STRATEGY);
    }

    /** Whether read faults on untouched private pages map the zero frame ({@link #MM_ZERO_PAGE}). */
    public boolean zeroPage() {
        return get(MM_ZERO_PAGE);
    }

    public Shootdown shootdownStrategy() {
        return get(SHOOTDOWN_STRATEGY);
    }

    public boolean checking() {
        return get(CHECKING);
    }

    public boolean checkingFailFast() {
        return get(CHECKING_FAIL_FAST);
    }

    public int schedQuantumMicros() {
        return get(SCHED_QUANTUM_US);
    }

    /** Modeled cycles between preemption ticks. */
    public long schedQuantumCycles() {
        return get(SCHED_QUANTUM_CYCLES);
    }

    /** Host slots: simulated CPUs executing at once (resolved: never 0; 1 in deterministic mode). */
    public int simParallelism() {
        return get(SIM_PARALLELISM);
    }

    /** Modeled cycles per bound phase. */
    public long simPhaseCycles() {
        return get(SIM_PHASE_CYCLES);
    }

    /** Whether the run is deterministic (one slot, fixed grant rule). */
    public boolean deterministic() {
        return get(SIM_DETERMINISTIC);
    }

    /** auto, virtual or platform: what backs each simulated task. */
    public String simThreads() {
        return get(SIM_THREADS);
    }

    public long seed() {
        return get(SEED);
    }

    private void validate() {
        checkGeometry(TLB_L1_ENTRIES, TLB_L1_WAYS);
        if (tlbLevels() == 2) {
            checkGeometry(TLB_L2_ENTRIES, TLB_L2_WAYS);
        }
        long maxFrames = Integer.MAX_VALUE;
        if (memoryBytes() / get(PAGE_SIZE) > maxFrames) {
            throw new ConfigException(MEMORY.key() + ": at most " + maxFrames + " frames are addressable");
        }
    }

    private void checkGeometry(Setting<Integer> entriesSetting, Setting<Integer> waysSetting) {
        int entries = get(entriesSetting);
        int ways = get(waysSetting);
        if (ways > entries || entries % ways != 0 || Integer.bitCount(entries / ways) != 1) {
            throw new ConfigException(entriesSetting.key() + "=" + entries + " and " + waysSetting.key() + "=" + ways
                    + " do not fit: " + entriesSetting.key() + " / " + waysSetting.key()
                    + " (the number of sets) must be a whole power of two");
        }
    }

    @Override
    public String toString() {
        return asStrings().toString();
    }
}
