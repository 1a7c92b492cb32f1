package mmsim.shootdown;

import mmsim.cpu.Cpu;
import mmsim.cpu.Tlb;
import mmsim.mem.PhysicalMemory;
import mmsim.paging.AddressSpace;
import mmsim.paging.CpuMask;
import mmsim.stats.CpuCounter;

/**
 * {@code linux}: the x86 algorithm of arch/x86/mm/tlb.c.
 * <ul>
 *   <li>Each flush request increments the space's TLB generation; each CPU remembers, per loaded
 *       context, the generation its TLB is up to date with.</li>
 *   <li>Only CPUs in the cpumask are interrupted, and not those in lazy-TLB mode (idle with the space
 *       still loaded): they catch up when a task of the space takes them again, by comparing
 *       generations. Requests that free page tables (a table copy, teardown, a munmap or mremap that
 *       emptied tables) reach lazy CPUs too.</li>
 *   <li>A target exactly one generation behind with a range of at most 33 pages flushes those pages;
 *       otherwise it flushes everything and jumps to the newest generation, so requests to the same CPU
 *       coalesce (a second request finds the CPU already up to date).</li>
 *   <li>The initiator sends its interrupts first and flushes locally while the targets work.</li>
 *   <li>One request per kernel operation covers the union of its ranges (the mmu_gather).</li>
 * </ul>
 * Generations are tracked per (CPU, ASID) together with the space they belong to, so a recycled ASID
 * starts from "unknown" rather than inheriting a stale generation.
 *
 * <p>The research strategies built on this algorithm ({@code abis}, {@code early-ack}, {@code multicast}) change
 * one step each through the protected hooks: which CPUs may hold the translations ({@link #mayHold}), how the
 * interrupts travel ({@link #deliver}), and when targets acknowledge ({@link #acknowledgesOnReceipt}).
 */
public class LinuxShootdown extends AbstractShootdown {
    private final long[][] localGen;
    private final AddressSpace[][] genOwner;
    /**
     * The round's targets: every CPU of the cpumask when the request frees page tables, else those not in lazy-TLB
     * mode that {@link #mayHold} the translations. Made once (it calls the overridable {@code mayHold}).
     */
    private final TargetFilter mayHoldOrFreesTables = (initiator, target, request) ->
            request.freesPageTables() || (!target.isLazy() && mayHold(initiator, target, request));

    public LinuxShootdown(Cpu[] cpus, ShootdownStats stats) {
        super(cpus, stats);
        int slots = cpus.length > 0 && cpus[0].asidTagged() ? Tlb.MAX_ASID + 1 : 1;
        this.localGen = new long[cpus.length][slots];
        this.genOwner = new AddressSpace[cpus.length][slots];
    }

    @Override
    public String name() {
        return "linux";
    }

    private static int slot(Cpu cpu, int asid) {
        return cpu.asidTagged() ? asid : 0;
    }

    /** The generation {@code cpu}'s TLB holds for {@code space}, or -1 when unknown. Owner only. */
    private long local(Cpu cpu, AddressSpace space, int asid) {
        int s = slot(cpu, asid);
        return genOwner[cpu.id()][s] == space ? localGen[cpu.id()][s] : -1;
    }

    private void setLocal(Cpu cpu, AddressSpace space, int asid, long gen) {
        int s = slot(cpu, asid);
        genOwner[cpu.id()][s] = space;
        localGen[cpu.id()][s] = gen;
    }

    @Override
    protected void doFlush(Cpu initiator, FlushRequest request, ReleaseAction release) {
        AddressSpace space = request.space();
        // union of the ranges: one [start, end) as mmu_gather tracks it
        if (!request.isAll() && request.ranges() > 1) {
            long lo = Long.MAX_VALUE;
            long hi = 0;
            for (int r = 0; r < request.ranges(); r++) {
                lo = Math.min(lo, request.start(r));
                hi = Math.max(hi, request.start(r) + request.pages(r) * PhysicalMemory.PAGE_SIZE);
            }
            FlushReason reason = request.reason();
            boolean unlinksTables = request.unlinksTables();
            request.begin(space, reason).addRange(lo, (hi - lo) / PhysicalMemory.PAGE_SIZE);
            if (unlinksTables) {
                request.freesTables();
            }
        }
        // the page-table changes precede the increment; a CPU leaving lazy mode reads the generation after
        long gen = space.tlbGeneration().incrementAndGet();
        request.generation = gen;
        boolean freesTables = request.freesPageTables();
        int skipped = 0;
        if (!freesTables) {
            CpuMask mask = space.cpuMask();
            for (int id = mask.nextSetBit(0); id >= 0 && id < cpus.length; id = mask.nextSetBit(id + 1)) {
                if (cpus[id] != initiator && cpus[id].isLazy()) {
                    skipped++;
                }
            }
        }
        initiator.counters().add(CpuCounter.SHOOTDOWN_LAZY_SKIPPED, skipped);
        prepareTargets(initiator, request, freesTables);
        deliver(initiator, request, space.cpuMask(), mayHoldOrFreesTables);
        // the local flush runs while the targets handle their interrupts: the clock ends at the later of the two
        initiator.charge(flushOne(initiator, request, gen));
        awaitRound(initiator);
        if (release != null) {
            release.release(initiator);
        }
    }

    /**
     * Called once per flush before the targets are chosen, on the initiator, after the page-table change:
     * a strategy that filters targets ({@link #mayHold}) gathers what it needs here. {@code reachesAll}: the
     * request frees page tables, so every CPU of the cpumask is interrupted whatever {@link #mayHold} says.
     * Default: nothing.
     */
    protected void prepareTargets(Cpu initiator, FlushRequest request, boolean reachesAll) {
    }

    /**
     * Whether {@code target} (in the cpumask, not lazy) may hold a translation of {@code request}, which
     * {@code initiator} flushes; those that cannot are not interrupted. Not asked for requests that free page
     * tables. Runs on the initiator. Default: every one may (Linux).
     */
    protected boolean mayHold(Cpu initiator, Cpu target, FlushRequest request) {
        return true;
    }

    /** Sends the request to the CPUs of {@code candidates} that {@code filter} chooses. Default: one IPI each ({@link #startRound}). */
    protected void deliver(Cpu initiator, FlushRequest request, CpuMask candidates, TargetFilter filter) {
        startRound(initiator, request, candidates, filter);
    }

    @Override
    protected long applyOnTarget(Cpu target, FlushRequest request) {
        return flushOne(target, request, request.generation);
    }

    /** flush_tlb_func: bring {@code cpu}'s TLB up to the space's generation. Runs on {@code cpu}. */
    private long flushOne(Cpu cpu, FlushRequest request, long gen) {
        AddressSpace space = request.space();
        boolean loaded = cpu.loadedSpace() == space;
        if (request.reason() == FlushReason.TEARDOWN) {
            setLocal(cpu, null, request.asid(), 0);
            return flushLocal(cpu, request, 0);
        }
        if (!loaded && !cpu.asidTagged()) {
            return 0;  // switched away: the switch flushed everything
        }
        long mmGen = space.tlbGeneration().get();
        long local = local(cpu, space, request.asid());
        if (local >= mmGen) {
            cpu.counters().increment(CpuCounter.SHOOTDOWN_COALESCED);
            return 0;
        }
        long cycles;
        if (local == gen - 1 && !request.isAll() && request.totalPages() <= FULL_FLUSH_CEILING) {
            cycles = flushLocal(cpu, request, FULL_FLUSH_CEILING);
            setLocal(cpu, space, request.asid(), gen);
        } else {
            cpu.flushAsid(request.asid());
            cycles = cpu.costs().fullFlush;
            setLocal(cpu, space, request.asid(), mmGen);
        }
        return cycles;
    }

    @Override
    public void onSwitch(Cpu cpu, AddressSpace space) {
        if (space == null) {
            return;
        }
        // the cpumask bit was set before this read: a later flush request interrupts this CPU
        long mmGen = space.tlbGeneration().get();
        long local = local(cpu, space, space.asid());
        if (local < mmGen) {
            if (local >= 0 || cpu.asidTagged()) {
                cpu.flushAsid(space.asid());
                cpu.charge(cpu.costs().fullFlush);
            }
            setLocal(cpu, space, space.asid(), mmGen);
        }
    }
}
