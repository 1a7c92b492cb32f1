package mmsim;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;

import mmsim.check.StaleTranslationOracle;
import mmsim.config.MachineConfig;
import mmsim.cpu.Cpu;
import mmsim.cpu.PageFaultHandler;
import mmsim.mem.FrameMetadata;
import mmsim.mem.FramePool;
import mmsim.mem.PhysicalMemory;
import mmsim.paging.AddressSpace;
import mmsim.paging.PageTable;
import mmsim.stats.CpuCounter;
import mmsim.stats.OpLatencies;
import mmsim.stats.StatsRegistry;

/**
 * A booted machine: physical memory, frame metadata, the frame pool, the page-table walker and the
 * CPUs, built from one {@link MachineConfig}. The one entry point a workload or kernel needs.
 * Booting builds nothing per frame (physical memory, reference counts and the free-frame supply all grow
 * with the frames touched), so even {@code memory=4TiB} boots in well under a second.
 * Closing it frees physical memory; no CPU may run afterwards.
 */
public final class Machine implements AutoCloseable {
    /**
     * The gauge of {@link PhysicalMemory#hostBytesAllocated()} in {@link #stats()}. Not {@code host.memory_bytes}:
     * a run's manifest already uses that name for the host's total memory.
     */
    public static final String HOST_MEMORY_GAUGE = "mem.host_bytes";

    private final MachineConfig config;
    private final PhysicalMemory memory;
    private final FrameMetadata frames;
    private final FramePool framePool;
    private final PageTable pageTable;
    private final List<Cpu> cpus;
    /** What {@link #setFaultHandler} installed last. */
    private volatile PageFaultHandler faultHandler = PageFaultHandler.UNHANDLED;
    private final StaleTranslationOracle oracle;
    private final StatsRegistry stats = new StatsRegistry();
    private final OpLatencies latencies;
    private final mmsim.cpu.Slots slots;
    private int nextSpaceId;
    /** ASIDs in use (1..Tlb.MAX_ASID; 0 is every space's tag when ASIDs are off). */
    private final java.util.BitSet asids = new java.util.BitSet();

    private Machine(MachineConfig config) {
        this.config = config;
        this.memory = new PhysicalMemory(config.frames());
        this.frames = new FrameMetadata(config.frames());
        this.framePool = new FramePool(config.frames(), config.cpus(), config.framePoolBatch());
        this.pageTable = new PageTable(memory, framePool, frames);
        this.slots = new mmsim.cpu.Slots(config.cpus(), config.simParallelism(), config.simPhaseCycles());
        Cpu[] list = new Cpu[config.cpus()];
        for (int i = 0; i < list.length; i++) {
            list[i] = new Cpu(i, config, memory, pageTable, slots);
        }
        slots.attach(list);
        this.cpus = List.of(list);
        this.oracle = config.checking() ? new StaleTranslationOracle(pageTable, config.checkingFailFast()) : null;
        for (Cpu cpu : list) {
            cpu.setTranslationChecker(oracle);
        }
        stats.gauge("modeled.time", StatsRegistry.Kind.MODELED, "cycles",
                "The latest modeled clock of any CPU at the end: the run's modeled duration.", this::modeledTime);
        stats.gauge("sim.phases", StatsRegistry.Kind.HOST, "events",
                "Bound phases completed (sim.phase.cycles each): how often every runnable CPU synchronised.", slots::phases);
        stats.gauge("sim.slot_grants", StatsRegistry.Kind.HOST, "events",
                "Host slots handed to a CPU (sim.parallelism of them): each one a host thread hand-off.", slots::grants);
        for (CpuCounter c : CpuCounter.all()) {
            stats.gauge(c.key(), StatsRegistry.Kind.MODELED, c.unit(), c.doc(), () -> counterTotal(c));
        }
        stats.gauge(HOST_MEMORY_GAUGE, StatsRegistry.Kind.HOST, "bytes",
                "Host memory backing simulated physical memory: 2 MiB chunks allocated as frames are first touched"
                        + " (and a zero page). Grows with the frames the run touched, not with the memory setting.",
                memory::hostBytesAllocated);
        this.latencies = new OpLatencies(config.cpus());
        latencies.register(stats);
    }

    /** The modeled latencies of system calls, faults and shootdown rounds, per CPU and kind (registered in {@link #stats()}). */
    public OpLatencies opLatencies() {
        return latencies;
    }

    /**
     * The run's statistics tree. The machine registers every {@link CpuCounter} (summed over CPUs, exact
     * when quiescent) and every {@link OpLatencies.Op}'s distribution; the kernel, the harness and the workload add theirs.
     */
    public StatsRegistry stats() {
        return stats;
    }

    /** The host-slot arbiter of this machine's CPUs (active once a kernel boots on it). */
    public mmsim.cpu.Slots slots() {
        return slots;
    }

    /** The latest modeled clock of any CPU: the run's modeled duration in cycles. Exact when quiescent. */
    public long modeledTime() {
        long max = 0;
        for (Cpu cpu : cpus) {
            max = Math.max(max, cpu.clock());
        }
        return max;
    }

    /** One counter summed over every CPU. Exact when no CPU is running. */
    public long counterTotal(CpuCounter c) {
        long sum = 0;
        for (Cpu cpu : cpus) {
            sum += cpu.counters().read(c);
        }
        return sum;
    }

    /** Checking mode's stale-translation oracle, or null when checking is off. */
    public StaleTranslationOracle oracle() {
        return oracle;
    }

    public static Machine boot(MachineConfig config) {
        return new Machine(config);
    }

    public MachineConfig config() {
        return config;
    }

    public PhysicalMemory memory() {
        return memory;
    }

    public FrameMetadata frames() {
        return frames;
    }

    public FramePool framePool() {
        return framePool;
    }

    public PageTable pageTable() {
        return pageTable;
    }

    public List<Cpu> cpus() {
        return cpus;
    }

    public Cpu cpu(int id) {
        return cpus.get(id);
    }

    /**
     * Installs {@code handler} as every CPU's page-fault entry point. Before the CPUs run, or from the one CPU of a
     * one-CPU machine (a CPU reads its entry point without synchronization).
     */
    public void setFaultHandler(PageFaultHandler handler) {
        this.faultHandler = handler;
        for (Cpu cpu : cpus) {
            cpu.setFaultHandler(handler);
        }
    }

    /** The page-fault entry point installed on every CPU: {@link PageFaultHandler#UNHANDLED} until a kernel boots. */
    public PageFaultHandler faultHandler() {
        return faultHandler;
    }

    /**
     * A new, empty address space whose root table is taken on {@code cpu} (or {@link FramePool#NO_CPU}),
     * with its own ASID when the TLBs are tagged.
     *
     * @throws IllegalStateException when no frame is left for the root table, or no ASID
     */
    public synchronized AddressSpace newAddressSpace(int cpu) {
        int root = pageTable.allocateTable(cpu);
        if (root == FramePool.NO_FRAME) {
            throw new IllegalStateException("out of frames for a page-table root");
        }
        AddressSpace space = new AddressSpace(nextSpaceId++, root, config.cpus());
        assignAsid(space);
        return space;
    }

    /**
     * Gives {@code space} an unused ASID when the TLBs are tagged (nothing otherwise). Recycle it with
     * {@link #releaseAsid} only once no TLB holds entries tagged with it.
     *
     * @throws IllegalStateException when every ASID is in use
     */
    public void assignAsid(AddressSpace space) {
        if (!config.tlbAsid()) {
            return;
        }
        synchronized (asids) {
            int asid = asids.nextClearBit(1);
            if (asid > mmsim.cpu.Tlb.MAX_ASID) {
                throw new IllegalStateException("all " + mmsim.cpu.Tlb.MAX_ASID + " ASIDs are in use");
            }
            asids.set(asid);
            space.setAsid(asid);
        }
    }

    /** Returns {@code space}'s ASID for reuse. */
    public void releaseAsid(AddressSpace space) {
        if (space.asid() != 0) {
            synchronized (asids) {
                asids.clear(space.asid());
            }
        }
    }

    /** Every CPU's counters summed. Exact when no CPU is running. */
    public Map<CpuCounter, Long> countersTotal() {
        Map<CpuCounter, Long> totals = new EnumMap<>(CpuCounter.class);
        for (CpuCounter c : CpuCounter.all()) {
            totals.put(c, counterTotal(c));
        }
        return totals;
    }

    /** Free frames plus referenced frames; equal to the total when frames are conserved. Call when quiescent. */
    public long framesAccountedQuiescent() {
        return framePool.freeFramesQuiescent() + frames.framesReferenced();
    }

    @Override
    public void close() {
        memory.close();
    }
}
