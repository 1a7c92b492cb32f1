package mmsim.cpu;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.LockSupport;

import org.jctools.queues.MpscArrayQueue;

import mmsim.config.MachineConfig;
import mmsim.mem.PhysicalMemory;
import mmsim.paging.AddressSpace;
import mmsim.paging.PageTable;
import mmsim.stats.CpuCounter;
import mmsim.stats.SingleWriterCounters;

/**
 * A simulated CPU: a TLB, an MMU access path, an interrupt inbox, the loaded address space and event
 * counters.
 *
 * <p>Contract: exactly one Java thread executes on a CPU at a time (a task, or the CPU's idle thread);
 * the scheduler orders hand-offs with happens-before, so the CPU's owner-only state (TLB, counters,
 * frame cache, loaded space) needs no atomics. Any thread may {@link #post} an interrupt; it runs on the
 * CPU's thread at its next access boundary or idle-loop iteration ({@link #pollInterrupts}).
 */
public final class Cpu {
    private static final VarHandle PENDING;
    private static final VarHandle SLEEPER;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            PENDING = lookup.findVarHandle(Cpu.class, "interruptPending", int.class);
            SLEEPER = lookup.findVarHandle(Cpu.class, "sleeper", Thread.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final int id;
    private final boolean asidTagged;
    private final Tlb tlb;
    private final SingleWriterCounters counters = new SingleWriterCounters();
    private final Mmu mmu;
    private final MpscArrayQueue<Interrupt> inbox;
    /** 1 while the inbox may hold interrupts: set by posters after the offer, cleared by the owner before draining. */
    @SuppressWarnings("unused")
    private int interruptPending;
    /** A thread parked waiting for work on this CPU, unparked by {@link #post}. */
    @SuppressWarnings("unused")
    private volatile Thread sleeper;
    private AddressSpace loaded;
    /** {@link #serviceInterrupts} as a preallocated Runnable: what a poster on this CPU runs while a target's inbox is full. */
    private final Runnable servicer = this::serviceInterrupts;
    /** Lazy-TLB mode: the idle task holds the CPU with the last space still loaded. Written by the owner, read by initiators. */
    private volatile boolean lazy;

    public Cpu(int id, MachineConfig config, PhysicalMemory memory, PageTable pageTable) {
        this.id = id;
        this.asidTagged = config.tlbAsid();
        this.tlb = new Tlb(config, config.seed() * 0x9E3779B97F4A7C15L + id);
        this.mmu = new Mmu(this, tlb, counters, memory, pageTable);
        this.inbox = new MpscArrayQueue<>(Math.max(64, 4 * config.cpus()));
    }

    public int id() {
        return id;
    }

    public Tlb tlb() {
        return tlb;
    }

    public Mmu mmu() {
        return mmu;
    }

    public SingleWriterCounters counters() {
        return counters;
    }

    /** Installs the kernel's page-fault entry point. */
    public void setFaultHandler(PageFaultHandler handler) {
        mmu.setFaultHandler(handler);
    }

    /** The address space whose translations this CPU uses, or null. */
    public AddressSpace loadedSpace() {
        return loaded;
    }

    /**
     * Loads {@code next} (CR3 write) and joins its cpumask. Without ASIDs the whole TLB is flushed and the
     * CPU leaves the previous space's cpumask (it holds none of its translations any more); with ASIDs the
     * previous space's entries stay, tagged apart, so the CPU stays in its cpumask until a shootdown of
     * that space or its teardown flushes them.
     */
    public void switchAddressSpace(AddressSpace next) {
        AddressSpace prev = loaded;
        if (prev == next) {
            return;
        }
        counters.increment(CpuCounter.ADDRESS_SPACE_SWITCHES);
        if (next != null) {
            // a full RMW: ordered before this CPU's first walk of the new space, as a shootdown's reader of the mask expects
            next.cpuMask().set(id);
        }
        if (!asidTagged) {
            flushTlb();
            if (prev != null) {
                prev.cpuMask().clear(id);
            }
        }
        loaded = next;
        mmu.load(next, asidTagged && next != null ? next.asid() : 0);
    }

    /** Whether the CPU is idle in lazy-TLB mode (its loaded space is not in use). */
    public boolean isLazy() {
        return lazy;
    }

    /**
     * Enters or leaves lazy-TLB mode. Volatile: leaving it is ordered before the new task's first look at
     * its space's TLB generation, and an initiator's generation increment before its read of this flag.
     */
    public void setLazy(boolean lazy) {
        this.lazy = lazy;
    }

    /** Installs checking mode's hook on every TLB hit (null: none). */
    public void setTranslationChecker(TranslationChecker checker) {
        mmu.setChecker(checker);
    }

    /** This CPU's modeled clock: explicit charges plus one L1 lookup per access. Exact when quiescent. */
    public long modeledCycles() {
        return counters.read(CpuCounter.MODELED_CYCLES)
                + (counters.read(CpuCounter.LOADS) + counters.read(CpuCounter.STORES)) * mmsim.stats.CostModel.TLB_L1_HIT;
    }

    /** Whether TLB entries carry the address space's ASID. */
    public boolean asidTagged() {
        return asidTagged;
    }

    /** Drops one page's translation of the loaded space from this CPU's TLB (INVLPG). Owner only. */
    public void invalidatePage(long va) {
        counters.increment(CpuCounter.TLB_PAGE_INVALIDATIONS);
        tlb.invalidatePage(mmu.asid(), va >>> PhysicalMemory.PAGE_SHIFT);
    }

    /** Drops one page's translation tagged {@code asid} (INVLPG of another PCID, or of ASID 0 without tagging). Owner only. */
    public void invalidatePage(int asid, long va) {
        counters.increment(CpuCounter.TLB_PAGE_INVALIDATIONS);
        tlb.invalidatePage(asidTagged ? asid : 0, va >>> PhysicalMemory.PAGE_SHIFT);
    }

    /** Drops every translation tagged {@code asid}; without ASID tagging, every translation. Owner only. */
    public void flushAsid(int asid) {
        counters.increment(CpuCounter.TLB_FULL_FLUSHES);
        if (asidTagged) {
            tlb.invalidateAsid(asid);
        } else {
            tlb.flushAll();
        }
    }

    /** Drops every translation (CR3 reload without PCID). Owner only. */
    public void flushTlb() {
        counters.increment(CpuCounter.TLB_FULL_FLUSHES);
        tlb.flushAll();
    }

    // ---- interrupts ----

    /**
     * Posts {@code irq} to this CPU from any thread. Never blocks the poster for long: when the inbox
     * is full, {@code posterIdle} is run between attempts (a CPU thread passes one that services its own
     * inbox, so that two CPUs posting to each other cannot deadlock).
     */
    public void post(Interrupt irq, Runnable posterIdle) {
        while (!inbox.offer(irq)) {
            posterIdle.run();
        }
        // volatile: the offer is visible before the flag, and the flag before the read of the sleeper
        PENDING.setVolatile(this, 1);
        Thread s = (Thread) SLEEPER.getVolatile(this);
        if (s != null) {
            LockSupport.unpark(s);
        }
    }

    /** This CPU's {@link #serviceInterrupts} as a Runnable, for {@link #post}'s posterIdle; allocated once. */
    public Runnable interruptServicer() {
        return servicer;
    }

    /** Whether an interrupt may be waiting (an opaque read: cheap enough for every access). */
    public boolean interruptPending() {
        return (int) PENDING.getOpaque(this) != 0;
    }

    /** Runs pending interrupts if any. Called at every access boundary; owner only. */
    public void pollInterrupts() {
        if ((int) PENDING.getOpaque(this) != 0) {
            serviceInterrupts();
        }
    }

    /** Runs every interrupt in the inbox; returns how many ran. Owner only. */
    public int serviceInterrupts() {
        int handled = 0;
        while (true) {
            // volatile clear before draining: an interrupt posted after the drain sets the flag again
            PENDING.setVolatile(this, 0);
            Interrupt irq;
            while ((irq = inbox.relaxedPoll()) != null) {
                irq.handle(this);
                handled++;
            }
            if (inbox.isEmpty()) {
                break;
            }
        }
        if (handled > 0) {
            counters.add(CpuCounter.INTERRUPTS_HANDLED, handled);
        }
        return handled;
    }

    /** Registers the calling thread as the one to unpark when an interrupt is posted; null to clear. */
    public void setSleeper(Thread thread) {
        SLEEPER.setVolatile(this, thread);
    }

    @Override
    public String toString() {
        return "cpu" + id;
    }
}
