package mmsim.cpu;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.LockSupport;

import org.jctools.queues.MpscArrayQueue;

import mmsim.config.MachineConfig;
import mmsim.mem.PhysicalMemory;
import mmsim.paging.AddressSpace;
import mmsim.paging.PageTable;
import mmsim.stats.CostModel;
import mmsim.stats.CpuCounter;
import mmsim.stats.SingleWriterCounters;

/**
 * A simulated CPU: a TLB, an MMU access path, an interrupt inbox, the loaded address space and event
 * counters.
 *
 * <p>Contract: exactly one Java thread executes on a CPU at a time (a task, the CPU's idle thread, or, for
 * one interrupt handler while the CPU has given its host slot up, another CPU's thread that claimed it:
 * {@link #handleByProxy}); the scheduler and the slot arbiter order hand-offs with happens-before, so the
 * CPU's owner-only state (TLB, counters, frame cache, loaded space) needs no atomics. Any thread may
 * {@link #post} an interrupt; it runs on the CPU's thread at its next access boundary or idle-loop iteration
 * ({@link #pollInterrupts}).
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
    /** The socket this CPU sits on (topology.sockets): what an IPI or a line transfer to it costs from another CPU. */
    private final int socket;
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
    /** The host-slot arbiter this CPU executes under. */
    private final Slots slots;
    /** Modeled cycles between preemption ticks (sched.quantum.cycles). */
    private final long quantum;
    /** The modeled cycle of this CPU's next tick. Owner only. */
    private long nextTick;
    /** Called at each tick, on this CPU (the kernel's scheduler); null: none. */
    private Interrupt tickHandler;
    /** Owner-written, read by interrupt handlers on this CPU: the CPU runs no work of its own (idle loop, or a wait). */
    private boolean idle;
    private boolean waiting;
    private final CostModel costs;

    /** A CPU outside any machine's arbitration (tests that drive CPUs from their own threads). */
    public Cpu(int id, MachineConfig config, PhysicalMemory memory, PageTable pageTable) {
        this(id, config, memory, pageTable, new Slots(Math.max(config.cpus(), id + 1), 1, Long.MAX_VALUE));
    }

    /** A CPU of a machine whose CPUs share {@code slots}. */
    public Cpu(int id, MachineConfig config, PhysicalMemory memory, PageTable pageTable, Slots slots) {
        this.id = id;
        this.socket = id < config.cpus() ? config.socketOf(id) : 0;
        this.asidTagged = config.tlbAsid();
        this.tlb = new Tlb(config, config.seed() * 0x9E3779B97F4A7C15L + id);
        this.costs = config.costs();
        this.mmu = new Mmu(this, tlb, counters, memory, pageTable, costs);
        this.inbox = new MpscArrayQueue<>(Math.max(64, 4 * config.cpus()));
        this.slots = slots;
        this.quantum = config.schedQuantumCycles();
        this.nextTick = quantum;
    }

    public int id() {
        return id;
    }

    /** The socket this CPU sits on, 0-based ({@code topology.sockets}). */
    public int socket() {
        return socket;
    }

    /** Whether {@code other} sits on this CPU's socket: an IPI or a line transfer between the two costs the same-socket value. */
    public boolean sameSocket(Cpu other) {
        return socket == other.socket;
    }

    /** The machine's cost model: what each modeled event costs this CPU. */
    public CostModel costs() {
        return costs;
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

    /**
     * Modeled busy cycles: explicit charges plus one L1 lookup per access (work done, waits excluded).
     * Exact when quiescent.
     */
    public long modeledCycles() {
        return counters.read(CpuCounter.MODELED_CYCLES)
                + (counters.read(CpuCounter.LOADS) + counters.read(CpuCounter.STORES)) * costs.tlbL1Hit;
    }

    // ---- modeled time ----

    /**
     * This CPU's modeled clock, in cycles since boot: every charged cost, every access's L1 lookup, and
     * the modeled time it waited (for acknowledgements, a lock, a task) or skipped while idle. Never
     * decreases. The owner reads it exactly; another thread reads a value the owner wrote (exact while the
     * CPU does not run, as when the arbiter compares READY CPUs).
     */
    public long clock() {
        return mmu.clock();
    }

    /**
     * Charges {@code cycles} of modeled work to this CPU: its busy counter ({@link CpuCounter#MODELED_CYCLES})
     * and its clock. The one place costs enter modeled time (the access path adds its own, inlined). Owner
     * only; never blocks (a tick or phase end falls due at the next access or system-call boundary).
     */
    public void charge(long cycles) {
        mmu.charge(cycles);
    }

    /**
     * The clock when the MMU took the fault now being handled, before the fault's entry and exit were charged:
     * where a fault's modeled latency starts. Owner only, from the fault handler.
     */
    public long faultEnteredAt() {
        return mmu.faultEnteredAt();
    }

    /**
     * The host address of {@code va}'s leaf entry in {@code space} as the page walk that raised the fault now being
     * handled found it, so that the handler need not walk again; {@link PageTable#NO_SLOT} when there is
     * none to use: the walk stopped above the leaves (a table is missing), was for another page or space, or tables
     * of the space were unlinked since it began ({@link AddressSpace#tableUnlinks}). Owner only, from the
     * fault handler, with the space's mm lock held (read or write), and only for a space whose leaf tables no other
     * space shares (on-demand fork's shared tables are replaced under the read lock, which nothing counts).
     */
    public long leafSlotHint(AddressSpace space, long va) {
        return mmu.leafSlotHint(space, va);
    }

    /**
     * Moves the clock forward to {@code cycle} if it is behind (a wait that ended then, or an idle stretch
     * skipped), counting the skipped cycles as {@link CpuCounter#MODELED_IDLE_CYCLES} when the CPU was idle,
     * else {@link CpuCounter#MODELED_WAIT_CYCLES}. Owner only.
     */
    public void advanceTo(long cycle) {
        long behind = cycle - mmu.clock();
        if (behind > 0) {
            counters.add(idle ? CpuCounter.MODELED_IDLE_CYCLES : CpuCounter.MODELED_WAIT_CYCLES, behind);
            mmu.advance(behind);
        }
    }

    /** Whether this CPU runs no work of its own now (its idle loop, or a wait): an interrupt moves its clock to the interrupt's arrival. Owner only. */
    public boolean idleOrWaiting() {
        return idle || waiting;
    }

    /** Marks this CPU as running its idle loop (true) or a task (false). Owner only. */
    public void setIdle(boolean idle) {
        this.idle = idle;
    }

    /** The host-slot arbiter this CPU executes under. */
    public Slots slots() {
        return slots;
    }

    /** Installs what runs at each preemption tick (every sched.quantum.cycles of this CPU's clock). */
    public void setTickHandler(Interrupt handler) {
        this.tickHandler = handler;
    }

    /**
     * Runs due modeled-time events if the clock reached the next one: the tick, then the phase barrier.
     * Called at system-call boundaries; the access path checks the deadline itself. Owner only.
     */
    public void checkDeadline() {
        if (mmu.clock() >= mmu.deadline()) {
            deadlineReached();
        }
    }

    /** The clock reached the deadline: tick if due, stop at the phase end if due, then set the next deadline. */
    void deadlineReached() {
        long now = mmu.clock();
        if (now >= nextTick) {
            nextTick = (now / quantum + 1) * quantum;
            if (tickHandler != null) {
                tickHandler.handle(this);
            }
        }
        if (slots.active() && mmu.clock() >= slots.phaseEnd()) {
            slots.barrier(this);
        }
        resetDeadline();
    }

    /** Sets the next deadline: the earlier of the next tick and the phase end (none when unarbitrated). Owner only. */
    void resetDeadline() {
        long next = nextTick;
        if (slots.active()) {
            next = Math.min(next, slots.phaseEnd());
        }
        mmu.setDeadline(next);
    }

    /**
     * Waits until {@code condition} holds: the one wait primitive of the simulator (acks, cross-calls,
     * locks, the phase barrier, an idle CPU's wait for work). It services this CPU's interrupts
     * throughout, spins briefly while no other CPU wants a host slot, then gives the slot up
     * ({@link Slots}) and sleeps until the condition is signalled or an interrupt arrives. The modeled
     * time of the wait is the caller's to account ({@link #advanceTo}): a wait costs no modeled cycles by
     * itself. Owner only.
     */
    public void await(WaitCondition condition) {
        await(condition, true);
    }

    /**
     * {@link #await(WaitCondition)}, without the spin when {@code spin} is false: for a condition no
     * running CPU can make true (the phase barrier, which only the arbiter's phase end satisfies).
     */
    void await(WaitCondition condition, boolean spin) {
        boolean wasWaiting = waiting;
        waiting = true;
        try {
            int spins = 0;
            while (!condition.satisfied()) {
                if (serviceInterrupts() > 0) {
                    continue;
                }
                if (!slots.active()) {
                    // unarbitrated (test threads): spin, yielding the host CPU now and then
                    if (++spins % 64 == 0) {
                        Thread.yield();
                    } else {
                        Thread.onSpinWait();
                    }
                } else if (spin && spins < slots.spins()) {
                    spins++;
                    Thread.onSpinWait();
                } else {
                    slots.sleep(this, condition);
                    // the phase end may have moved back while this CPU slept (a slower CPU rejoined)
                    resetDeadline();
                }
            }
        } finally {
            waiting = wasWaiting;
        }
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
        // an exchange, not a plain volatile store: every write of the flag then reads the one before it, so the owner's
        // exchange that reads it follows every poster's offer up to this one (see serviceInterrupts); volatile: the
        // flag is set before the read of the sleeper and the slot state
        PENDING.getAndSet(this, 1);
        Thread s = (Thread) SLEEPER.getVolatile(this);
        if (s != null) {
            LockSupport.unpark(s);
        }
        slots.wake(this);
    }

    /**
     * Runs {@code irq} for this CPU on the calling thread, {@code claimer}'s, if the host-slot arbiter lets
     * {@code claimer} claim this CPU ({@link Slots#claim}: it has given its slot up in a wait, where its own thread
     * would service interrupts, and has none pending); else does nothing and returns false, and the caller
     * {@link #post}s it. What the handler does, models and counts is what this CPU's own thread would have done
     * ({@link CpuCounter#INTERRUPTS_HANDLED} included); only the host hand-off is saved: waking this CPU's thread,
     * for a CPU idle on a 2-core host 6 to 11 µs a shootdown. The handler must not wait ({@link #await}) or post
     * to other CPUs: a shootdown round's flush qualifies, a multicast forwarder's does not. Called from a CPU
     * thread that holds a slot.
     */
    public boolean handleByProxy(Interrupt irq, Cpu claimer) {
        if (!slots.claim(this, claimer)) {
            return false;
        }
        try {
            irq.handle(this);
            counters.increment(CpuCounter.INTERRUPTS_HANDLED);
        } finally {
            slots.release(this);
        }
        return true;
    }

    /**
     * Interrupts this CPU with {@code irq} from {@code sender}'s thread: {@link #handleByProxy} when the arbiter
     * allows it, else {@link #post} (with the sender servicing its own inbox while this one is full). For handlers
     * that never wait and never post: a shootdown round's flush, a cross-call's action.
     */
    public void deliver(Interrupt irq, Cpu sender) {
        if (!handleByProxy(irq, sender)) {
            post(irq, sender.interruptServicer());
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

    /**
     * Runs pending interrupts if any. Called at every access boundary; owner only. After handling some, the
     * CPU lets a CPU woken from a wait (an initiator whose acknowledgements just arrived) take its slot if
     * the grant rule prefers it ({@link Slots}).
     */
    public void pollInterrupts() {
        if ((int) PENDING.getOpaque(this) != 0 && serviceInterrupts() > 0) {
            slots.yieldToWoken(this);
        }
    }

    /**
     * Runs every interrupt whose poster set the pending flag before this call's exchange of it (and any other it finds
     * in the inbox); returns how many ran. An interrupt whose poster sets the flag after the exchange runs at a later
     * poll: the flag stays set for it. Owner only.
     */
    public int serviceInterrupts() {
        int handled = 0;
        // exchange before draining: it reads the flag's latest write, and every write of it is an exchange that read
        // the one before (see post), so every poster that set it so far filled its slot before this: the drain sees
        // those slots filled. A flag set after the exchange stays set, and a later poll drains that slot. So the drain
        // need not re-read the producers' index line, which the next offer would then have to take back from this CPU
        // (one host line transfer on every initiator's post; see benchmarks/README)
        PENDING.getAndSet(this, 0);
        Interrupt irq;
        while ((irq = inbox.relaxedPoll()) != null) {
            irq.handle(this);
            handled++;
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
