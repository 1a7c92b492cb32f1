package mmsim.cpu;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.locks.LockSupport;

/**
 * Bounded host parallelism and bound phases (zsim's "bound-weave", Sanchez &amp; Kozyrakis, ISCA'13): at
 * most {@code parallelism} simulated CPUs execute at once, each holding one host <em>slot</em>; modeled
 * time advances in phases of {@code phaseCycles}, and no CPU runs past the end of the current phase
 * until every CPU that can run has reached it. A phase ends when no CPU runs or waits for a slot; the
 * next phase is the one holding the earliest clock among the CPUs that can go on (idle stretches are
 * skipped, not simulated; a CPU that rejoins after a wait, behind the others, is caught up with first).
 *
 * <p>A CPU is in one of three states: RUNNING (it holds a slot; its current thread executes), READY (it
 * wants a slot) or WAITING (it waits in {@link Cpu#await} for a {@link WaitCondition}: an ack, a lock, the
 * next phase, work for its idle loop). A CPU gives its slot up only from its own thread; it gets one back
 * when the condition is signalled ({@link #wake}), when an interrupt is posted to it, or when a phase
 * end's poll finds its condition true. So a CPU never holds a slot while it waits for one that has none:
 * a waiter spins only briefly (never when a slot is wanted by someone else), then sleeps. A WAITING CPU may
 * be CLAIMED for a moment by a running CPU's thread that runs an interrupt handler on its behalf instead of
 * waking it ({@link #claim}, {@link Cpu#handleByProxy}); it is WAITING again after.
 *
 * <p>Which READY CPU gets a free slot is a fixed rule on simulated state only: first a CPU with a pending
 * interrupt, then one woken from a wait (mid-work), then one starting its phase; within each, the lowest
 * modeled clock, ties by CPU id. With {@code parallelism = 1} exactly one CPU executes at a time and every
 * hand-over is one of these decisions, so a run is a deterministic function of its configuration and seed
 * (the deterministic mode).
 *
 * <p>Before {@link #activate} (a machine driven directly by test threads, with no kernel) nothing is
 * arbitrated: waits spin, and clocks have no phase barrier.
 *
 * <p>Thread-safety: every state transition happens under this object's monitor (held for a few
 * instructions, never while waiting; a granted CPU's thread is unparked after it is left); the state array is also read without it, volatile, by signallers
 * deciding whether a waiter gave its slot up (Dekker-style: a waiter publishes WAITING before it re-checks
 * its condition; a signaller publishes the condition before it reads the state). One decision is also taken
 * without it: a CPU that passed a phase end alone passes the next ones alone for as long as no transition has
 * happened since (a volatile count of them, {@link #barrier}), which is what the monitor's path would decide.
 */
public final class Slots {
    static final int RUNNING = 0;
    static final int READY = 1;
    static final int WAITING = 2;
    /** A WAITING CPU claimed by another CPU's thread, which runs an interrupt handler on its behalf ({@link #claim}). */
    static final int CLAIMED = 3;

    /** READY classes, in grant order after pending interrupts: woken from a wait, then starting a phase. */
    private static final int WOKEN = 0;
    private static final int FRESH = 1;

    /** Spins of a waiter before it sleeps, when no other CPU wants a slot. */
    private static final int SPINS = 64;
    /** What a CPU that left for good (shutdown) "waits" on: never true, never polled. */
    private static final WaitCondition GONE = () -> false;
    private static final VarHandle PHASE_END;
    private static final VarHandle TRANSITIONS;

    static {
        try {
            PHASE_END = MethodHandles.lookup().findVarHandle(Slots.class, "phaseEnd", long.class);
            TRANSITIONS = MethodHandles.lookup().findVarHandle(Slots.class, "transitions", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final int parallelism;
    private final long phaseCycles;
    private final AtomicIntegerArray state;
    /** Guarded by this: each CPU's condition while WAITING, its READY class, the thread to unpark on a grant. */
    private final WaitCondition[] waitingOn;
    private final int[] readyClass;
    private final Thread[] sleeper;
    private final PhaseBarrier[] barriers;
    /**
     * Guarded by this: each READY or WAITING CPU's modeled clock, copied by its own thread as it gave its slot up
     * or asked for one. A CPU's clock moves only while it runs, so the copy stays exact until it runs again; the
     * grant rule and the phase end read this one array instead of each CPU's own objects, which at 64 and more
     * CPUs are cold in the host's caches.
     */
    private final long[] clockAt;
    /**
     * Guarded by this: whether each WAITING CPU's condition must be polled at a phase end (not
     * {@link WaitCondition#signalled}), noted by its own thread as it gave its slot up. In chaos on 256 CPUs a
     * phase end found some 200 CPUs at their barrier and 56 idle ones, whose conditions it polled, each a call
     * into objects cold in the host's caches, to learn what a wake-up would have told.
     */
    private final boolean[] polled;
    /**
     * Guarded by this: the READY CPUs, a binary min-heap in grant order ({@link #grantsBefore}), the first {@link #ready}
     * entries; and each CPU's index in it, -1 when not READY. Whether each READY CPU has an interrupt pending is in
     * {@link #urgent} (read from its CPU as it became READY, set by {@link #wake} when one is posted to it while READY;
     * only the CPU itself clears its pending flag, and only while it runs). The grant rule reads no CPU's own object:
     * at 64 and 256 CPUs, reading every READY CPU's pending flag at each grant cost 0.3-0.4 us a grant under the
     * monitor, 7-8 % of a chaos run's wall time. A heap, not a scan of the READY CPUs: a phase end on 256 CPUs makes
     * most of them READY, and each of its grants scanned all that were left (a quadratic phase under the monitor:
     * 5 % of a 256-CPU chaos run's samples, JFR).
     */
    private final int[] readyHeap;
    private final int[] heapIndex;
    private final boolean[] urgent;
    /** Guarded by this: a wake-up arrived while the CPU was {@link #CLAIMED}; its {@link #release} makes it READY. */
    private final boolean[] wokenWhileClaimed;
    /** Scratch of {@link #endPhase}, guarded by this: the CPUs that can go on, a woken one as {@code ~id}. */
    private final int[] goOn;
    private Cpu[] cpus;
    /** Guarded by this. */
    private int running;
    private int ready;
    private int started;
    /** READY CPUs woken from a wait or with an interrupt: a CPU that handled an interrupt yields to them. */
    private volatile int readyWoken;
    /** Written under the monitor (volatile), or by {@link #barrier}'s fast pass (a release store). */
    private volatile long phaseEnd;
    private volatile boolean active;
    private long phases;
    private long grants;
    /**
     * Bumped under this monitor by every state transition: any change of a CPU's state, of {@link #running} or
     * {@link #ready}, of what a CPU waits on. Read (volatile) without the monitor by {@link #barrier}'s fast pass:
     * unchanged since a CPU last passed a phase end alone, it is still alone. The bump is a release store, not a
     * volatile one (a fence per transition): the state write beside it is volatile, and the monitor's exit
     * publishes both before any thread the transition grants a slot to can run.
     */
    private volatile long transitions;
    /**
     * Per CPU, the {@link #transitions} count at which it last passed a phase end alone ({@link #passPhaseEndAlone})
     * with no other CPU waiting at all on a condition a phase end polls, or -1. Read and written only by the thread
     * executing on the CPU (a hand-over between its threads is a grant, which orders them).
     */
    private final long[] aloneAt;
    /** Per CPU, phase ends it passed on {@link #barrier}'s fast pass; same threads as {@link #aloneAt}. */
    private final long[] fastPhases;

    /**
     * @param cpus        simulated CPUs (1..1024)
     * @param parallelism slots: simulated CPUs that may execute at once (1..cpus; more is clamped)
     * @param phaseCycles modeled cycles per bound phase (≥ 1)
     */
    public Slots(int cpus, int parallelism, long phaseCycles) {
        if (parallelism < 1 || phaseCycles < 1) {
            throw new IllegalArgumentException("parallelism and phase cycles must be positive");
        }
        this.parallelism = Math.min(parallelism, cpus);
        this.phaseCycles = phaseCycles;
        this.state = new AtomicIntegerArray(cpus);
        this.waitingOn = new WaitCondition[cpus];
        this.readyClass = new int[cpus];
        this.sleeper = new Thread[cpus];
        this.barriers = new PhaseBarrier[cpus];
        this.clockAt = new long[cpus];
        this.polled = new boolean[cpus];
        this.readyHeap = new int[cpus];
        this.heapIndex = new int[cpus];
        Arrays.fill(heapIndex, -1);
        this.urgent = new boolean[cpus];
        this.wokenWhileClaimed = new boolean[cpus];
        this.goOn = new int[cpus];
        this.aloneAt = new long[cpus];
        Arrays.fill(aloneAt, -1);
        this.fastPhases = new long[cpus];
        this.phaseEnd = phaseCycles;
        for (int i = 0; i < cpus; i++) {
            state.set(i, WAITING);
        }
    }

    /** Binds the arbiter to the machine's CPUs (once, at boot, before any CPU runs). */
    public void attach(Cpu[] all) {
        this.cpus = all;
        for (Cpu c : all) {
            barriers[c.id()] = new PhaseBarrier(c);
        }
    }

    /** Slots: how many simulated CPUs may execute at once. */
    public int parallelism() {
        return parallelism;
    }

    /** {@code cpu}'s state: {@link #RUNNING}, {@link #READY}, {@link #WAITING} or {@link #CLAIMED} (a volatile read). */
    int state(int cpu) {
        return state.get(cpu);
    }

    /** Modeled cycles per bound phase. */
    public long phaseCycles() {
        return phaseCycles;
    }

    /** Whether the arbiter runs (a kernel booted on the machine). */
    public boolean active() {
        return active;
    }

    /** The modeled cycle at which the current phase ends. */
    public long phaseEnd() {
        return phaseEnd;
    }

    /** Phases completed so far. Exact when quiescent. */
    public synchronized long phases() {
        return phases + fastPhases();
    }

    /** Phase ends passed on {@link #barrier}'s fast pass (a part of {@link #phases}). Exact when quiescent. */
    synchronized long fastPhases() {
        long n = 0;
        for (long f : fastPhases) {
            n += f;
        }
        return n;
    }

    /** Slots granted so far (host hand-overs between CPUs). Exact when quiescent. */
    public synchronized long grants() {
        return grants;
    }

    /**
     * Whether no CPU executes and none is ready: every started CPU waits (an idle loop for work, a task for an
     * acknowledgement, a lock, a pipe). Only a post or a wake from outside the CPUs can end that state; with it
     * lasting, and {@link #grants()} not moving, nothing simulated can ever run again.
     */
    public synchronized boolean allWaiting() {
        return started > 0 && running == 0 && ready == 0;
    }

    /** Turns arbitration on; then each CPU's first thread enters through {@link #start}. Called once, before any {@code start}. */
    public void activate() {
        active = true;
    }

    /**
     * The calling thread begins executing on {@code cpu} (its idle loop's first step): it waits for a slot,
     * like a CPU starting its first phase.
     */
    public void start(Cpu cpu) {
        int id = cpu.id();
        Thread granted;
        synchronized (this) {
            started++;
            sleeper[id] = Thread.currentThread();
            clockAt[id] = cpu.clock();
            makeReady(id, FRESH);
            granted = dispatch();
        }
        unpark(granted);
        awaitGrant(id);
        cpu.resetDeadline();
    }

    /** The calling thread stops executing on {@code cpu} for good (shutdown): its slot is given away. */
    public void leave(Cpu cpu) {
        Thread granted;
        synchronized (this) {
            setState(cpu.id(), WAITING);
            waitingOn[cpu.id()] = GONE;
            started--;
            running--;
            granted = dispatch();
        }
        unpark(granted);
    }

    /**
     * Waits until every started CPU waits and none is runnable (after boot, before the first task runs):
     * the point from which a deterministic run starts.
     *
     * @throws InterruptedException when interrupted
     */
    public synchronized void awaitQuiescent(int cpuCount) throws InterruptedException {
        while (started < cpuCount || running > 0 || ready > 0) {
            wait(10);
        }
    }

    /**
     * Gives {@code cpu}'s slot up until {@code condition} holds or an interrupt is posted to it; returns
     * holding a slot again. Called by {@link Cpu#await} on the CPU's thread.
     */
    void sleep(Cpu cpu, WaitCondition condition) {
        int id = cpu.id();
        Thread granted;
        synchronized (this) {
            if (condition == barriers[id] && passPhaseEndAlone(cpu)) {
                return;
            }
            waitingOn[id] = condition;
            sleeper[id] = Thread.currentThread();
            clockAt[id] = cpu.clock();
            polled[id] = !condition.signalled();
            // volatile: WAITING is visible before the re-check, as a signaller's condition write is before its state read
            setState(id, WAITING);
            if (condition.satisfied() || cpu.interruptPending()) {
                setState(id, RUNNING);
                waitingOn[id] = null;
                return;
            }
            running--;
            granted = dispatch();
        }
        unpark(granted);
        awaitGrant(id);
    }

    /**
     * The phase end reached by {@code cpu}, the one CPU holding a slot, when no other CPU could go on at it (none
     * READY, none at its barrier, no waiter whose condition holds or that has an interrupt pending): the phase ends
     * here, without giving the slot up. It is what giving it up would do, step for step: {@link #endPhase} would find
     * this CPU alone, set the same phase end from its clock, and {@link #dispatch} would grant the slot straight back
     * to it; only the three volatile state writes (WAITING, READY, RUNNING), the self-unpark and the grant are left
     * out. With one simulated CPU, or one busy among idle ones, that is every phase end: COW reuse faults in
     * {@code FaultLatencyBenchmark} crossed one almost every time (1,000-cycle phases). When no other CPU waits on a
     * condition a phase end must poll, it notes the {@link #transitions} count, and until that changes the CPU's
     * next phase ends take {@link #barrier}'s fast pass, without the monitor. Returns whether the phase ended. Under
     * the monitor.
     */
    private boolean passPhaseEndAlone(Cpu cpu) {
        int id = cpu.id();
        if (cpus == null || running != 1 || ready != 0 || state.get(id) != RUNNING || cpu.interruptPending()) {
            return false;
        }
        boolean anyPolled = false;
        for (int i = 0; i < cpus.length; i++) {
            WaitCondition w = waitingOn[i];
            if (i == id || w == null || w == GONE || state.get(i) != WAITING) {
                continue;
            }
            // endPhase's own test of who goes on: any such CPU, and the general path decides
            if (w == barriers[i] || (polled[i] && (w.satisfied() || cpus[i].interruptPending()))) {
                aloneAt[id] = -1;
                return false;
            }
            anyPolled |= polled[i];
        }
        // a waiter whose condition is polled may see it hold with no transition: then every phase end must look
        aloneAt[id] = anyPolled ? -1 : transitions;
        phaseEnd = nextPhaseEnd(cpu.clock());
        phases++;
        return true;
    }

    /**
     * The end of the phase holding {@code clock}, from the current one, which the clock has reached: the next
     * multiple of {@link #phaseCycles} past it, by addition for the usual step of a phase or a few (a 64-bit division
     * costs tens of cycles).
     */
    private long nextPhaseEnd(long clock) {
        long end = phaseEnd;   // a multiple of phaseCycles, as every phase end is
        if (end <= clock) {
            for (int step = 0; step < 4; step++) {
                end += phaseCycles;
                if (end > clock) {
                    return end;
                }
            }
        }
        return (clock / phaseCycles + 1) * phaseCycles;
    }

    /** Spins a waiter may take before it sleeps: none with one slot or while another CPU wants a slot. */
    int spins() {
        return parallelism > 1 && ready == 0 ? SPINS : 0;
    }

    /**
     * {@code cpu}'s condition became true or an interrupt was posted to it: if it gave its slot up, it
     * becomes READY (a slot is granted when one is free); if it is READY with an interrupt pending, the grant
     * rule puts it first. Callable from any thread; cheap when the CPU still holds its slot.
     */
    public void wake(Cpu cpu) {
        int id = cpu.id();
        int s = state.get(id);
        if (s == READY && active && cpu.interruptPending()) {
            markUrgent(id);
            return;
        }
        if ((s != WAITING && s != CLAIMED) || !active) {
            return;
        }
        Thread granted = null;
        synchronized (this) {
            int now = state.get(id);
            if (now == WAITING && waitingOn[id] != null && waitingOn[id] != GONE) {
                makeReady(id, WOKEN);
                granted = dispatch();
            } else if (now == CLAIMED) {
                wokenWhileClaimed[id] = true;  // the release makes it READY
            }
        }
        unpark(granted);
    }

    /**
     * Claims {@code target} for the thread of {@code claimer}, which then runs an interrupt handler on the target's
     * behalf and {@link #release}s it: the handler's host round trip (a grant, an unpark of a parked thread, often a
     * host core's wake-up: microseconds) becomes a call. Granted only when arbitration is on with more than one
     * slot, {@code claimer} holds a slot, and {@code target} has given its slot up ({@link #WAITING}, in
     * {@link Cpu#await}, where it would service interrupts itself) with none pending, so that handling the new one
     * now is what its own thread would do next. While claimed the target is {@link #CLAIMED}: no grant reaches it,
     * its thread stays parked, and a wake-up is kept for the release. The monitor orders the target's last writes
     * before the claim, and the handler's writes before the target's next run. The modeled outcome is the same
     * as the target's own handling (interrupt timing is computed from clocks, not host order); the host
     * interleaving differs, so with one slot (the deterministic mode, where the grant rule takes every
     * decision) nothing is claimed. Callable from a CPU's thread.
     *
     * @return whether {@code target} is now claimed (then call {@link #release}); false: post the interrupt instead
     */
    boolean claim(Cpu target, Cpu claimer) {
        int id = target.id();
        if (parallelism == 1 || !active || state.get(id) != WAITING) {
            return false;
        }
        synchronized (this) {
            WaitCondition w = waitingOn[id];
            if (state.get(id) != WAITING || w == null || w == GONE || state.get(claimer.id()) != RUNNING
                    || target.interruptPending()) {
                return false;
            }
            setState(id, CLAIMED);
            return true;
        }
    }

    /**
     * Ends a {@link #claim}: {@code target} waits again, with its clock (which the handler may have moved) copied for
     * the grant rule; if it was woken meanwhile, its condition now holds, or an interrupt was posted to it, it
     * becomes READY as a wake-up would have made it.
     */
    void release(Cpu target) {
        int id = target.id();
        Thread granted = null;
        synchronized (this) {
            clockAt[id] = target.clock();
            setState(id, WAITING);
            boolean woken = wokenWhileClaimed[id];
            wokenWhileClaimed[id] = false;
            if (woken || waitingOn[id].satisfied() || target.interruptPending()) {
                makeReady(id, WOKEN);
                granted = dispatch();
            }
        }
        unpark(granted);
    }

    /** Wakes every CPU waiting on {@code condition} (a lock coming free). Callable from any thread. */
    public void wakeWaitersOf(WaitCondition condition) {
        if (!active) {
            return;
        }
        Thread granted = null;
        synchronized (this) {
            boolean any = false;
            for (int i = 0; i < waitingOn.length; i++) {
                if (waitingOn[i] == condition) {
                    int s = state.get(i);
                    if (s == WAITING) {
                        makeReady(i, WOKEN);
                        any = true;
                    } else if (s == CLAIMED) {
                        wokenWhileClaimed[i] = true;
                    }
                }
            }
            if (any) {
                granted = dispatch();
            }
        }
        unpark(granted);
    }

    /**
     * {@code cpu} reached the end of the phase (its clock is at or past it): it waits until the phase
     * advances past its clock. Runs on the CPU's thread, at an access or system-call boundary.
     */
    void barrier(Cpu cpu) {
        if (!active) {
            return;
        }
        int id = cpu.id();
        long alone = aloneAt[id];
        // the fast pass: no transition since this CPU last passed a phase end alone with no waiter to poll, so
        // passPhaseEndAlone would pass this one too (nothing it reads has changed but this CPU's own pending flag,
        // read here); a transition racing this read is ordered after this phase end. Saves the monitor and the
        // wait's entry on every phase end of a CPU that runs alone (one simulated CPU; one busy among idle ones)
        if (alone >= 0 && alone == transitions && !cpu.interruptPending()) {
            PHASE_END.setRelease(this, nextPhaseEnd(cpu.clock()));
            fastPhases[id]++;
            return;
        }
        cpu.await(barriers[id], false);
    }

    /**
     * After {@code cpu} handled interrupts: if a CPU woken from a wait (an initiator whose acks just arrived)
     * wants a slot, {@code cpu} lets the grant rule choose again, so a round trip does not wait for a
     * phase to end. Runs on the CPU's thread.
     */
    void yieldToWoken(Cpu cpu) {
        if (readyWoken == 0 || !active) {
            return;
        }
        int id = cpu.id();
        Thread granted;
        synchronized (this) {
            if (readyWoken == 0 || state.get(id) != RUNNING) {
                return;
            }
            sleeper[id] = Thread.currentThread();
            clockAt[id] = cpu.clock();
            makeReady(id, WOKEN);
            running--;
            granted = dispatch();
        }
        unpark(granted);
        awaitGrant(id);
    }

    private void awaitGrant(int id) {
        while (state.get(id) != RUNNING) {
            LockSupport.park(this);
        }
    }

    /** An interrupt was posted to READY {@code cpu}: the grant rule now puts it first. */
    private synchronized void markUrgent(int id) {
        if (state.get(id) == READY && !urgent[id]) {
            urgent[id] = true;
            siftUp(id);
        }
    }

    /** Sets {@code id}'s state and counts the transition ({@link #transitions}). Under the monitor. */
    private void setState(int id, int s) {
        state.set(id, s);
        TRANSITIONS.setRelease(this, transitions + 1);
    }

    private void makeReady(int id, int cls) {
        assert heapIndex[id] < 0 : "cpu " + id + " is READY already";
        setState(id, READY);
        waitingOn[id] = null;
        readyClass[id] = cls;
        urgent[id] = cpus != null && cpus[id].interruptPending();
        placeAt(ready++, id);
        siftUp(id);
        if (cls == WOKEN) {
            readyWoken++;
        }
    }

    /** Unparks the thread of a CPU granted a slot (null: none), outside the monitor. */
    private static void unpark(Thread granted) {
        if (granted != null) {
            LockSupport.unpark(granted);
        }
    }

    /**
     * Grants free slots to READY CPUs by the rule; ends the phase when nothing runs or waits for a slot. Returns
     * the thread of the first CPU granted a slot (null: none), for the caller to unpark once it has left the
     * monitor: an unpark of a virtual thread submits it to the carrier pool and may wake an idle carrier, which
     * held the monitor for microseconds while the other slot's CPU waited on it. Further grants of the same call
     * (a phase end with several slots free) are unparked here.
     */
    private Thread dispatch() {
        Thread first = null;
        while (true) {
            while (running < parallelism && ready > 0) {
                int best = takeFirstReady();
                setState(best, RUNNING);
                if (readyClass[best] == WOKEN) {
                    readyWoken--;
                }
                running++;
                grants++;
                if (first == null) {
                    first = sleeper[best];
                } else {
                    LockSupport.unpark(sleeper[best]);
                }
            }
            if (running > 0 || ready > 0 || !endPhase()) {
                break;
            }
        }
        if (running == 0 && ready == 0) {
            notifyAll();
        }
        return first;
    }

    /**
     * Removes and returns the READY CPU that gets the next slot ({@link #grantsBefore}), the heap's first. Under the
     * monitor, with {@code ready > 0}.
     */
    private int takeFirstReady() {
        int[] heap = readyHeap;
        int best = heap[0];
        heapIndex[best] = -1;
        int last = heap[--ready];
        if (ready > 0) {
            placeAt(0, last);
            siftDown(last);
        }
        return best;
    }

    /**
     * The grant rule's order: whether READY {@code a} gets a slot before READY {@code b}. A pending interrupt first,
     * then the class (woken before fresh), then the lower clock, then the lower id: a strict total order, so the
     * first is the same whatever the order in which CPUs became READY.
     */
    private boolean grantsBefore(int a, int b) {
        if (urgent[a] != urgent[b]) {
            return urgent[a];
        }
        if (readyClass[a] != readyClass[b]) {
            return readyClass[a] < readyClass[b];
        }
        long ca = clockAt[a];
        long cb = clockAt[b];
        return ca != cb ? ca < cb : a < b;
    }

    /** Moves READY {@code id} towards the heap's root while it grants before its parent (it became READY or urgent). */
    private void siftUp(int id) {
        int[] heap = readyHeap;
        int i = heapIndex[id];
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            int p = heap[parent];
            if (!grantsBefore(id, p)) {
                break;
            }
            placeAt(i, p);
            i = parent;
        }
        placeAt(i, id);
    }

    /** Moves READY {@code id} down the heap while a child grants before it. */
    private void siftDown(int id) {
        int[] heap = readyHeap;
        int n = ready;
        int i = heapIndex[id];
        while (true) {
            int child = 2 * i + 1;
            if (child >= n) {
                break;
            }
            int c = heap[child];
            if (child + 1 < n && grantsBefore(heap[child + 1], c)) {
                c = heap[++child];
            }
            if (!grantsBefore(c, id)) {
                break;
            }
            placeAt(i, c);
            i = child;
        }
        placeAt(i, id);
    }

    /** Puts READY {@code id} at index {@code i} of the heap. */
    private void placeAt(int i, int id) {
        readyHeap[i] = id;
        heapIndex[id] = i;
    }

    /**
     * Nothing runs and nothing wants a slot: the phase ends. The next phase is the one holding the earliest
     * clock among the CPUs that can go on (those at the barrier, and waiters whose condition now holds or
     * that have an interrupt pending; the slowest of them may be a phase or more behind the others, having
     * waited), so no CPU runs more than a phase ahead of the slowest runnable one, and idle stretches are
     * skipped. Every waiter that can go on becomes READY. Returns whether any did.
     */
    private boolean endPhase() {
        if (cpus == null) {
            return false;
        }
        // one pass polls each waiter's condition once (a signalled one not at all: a wake-up made it READY); a CPU
        // at its barrier goes on once the phase passes its clock
        long earliest = Long.MAX_VALUE;
        int n = 0;
        for (int i = 0; i < cpus.length; i++) {
            WaitCondition w = waitingOn[i];
            if (w == null || w == GONE || state.get(i) != WAITING) {
                continue;
            }
            if (w == barriers[i]) {
                goOn[n++] = i;
            } else if (polled[i] && (w.satisfied() || cpus[i].interruptPending())) {
                goOn[n++] = ~i;
            } else {
                continue;
            }
            earliest = Math.min(earliest, clockAt[i]);
        }
        if (n == 0) {
            return false;
        }
        // may move back: a CPU that waited rejoins behind the others, who then wait at their barrier for it
        long end = (earliest / phaseCycles + 1) * phaseCycles;
        phaseEnd = end;
        phases++;
        boolean any = false;
        for (int k = 0; k < n; k++) {
            int id = goOn[k];
            if (id < 0) {
                makeReady(~id, WOKEN);
                any = true;
            } else if (clockAt[id] < end) {
                // a barrier waiter's pending interrupt is no reason to look at its CPU: the post woke it already
                makeReady(id, FRESH);
                any = true;
            }
        }
        return any;
    }

    /** A CPU's wait at the phase end: over once the phase has moved past its clock. */
    private final class PhaseBarrier implements WaitCondition {
        private final Cpu cpu;

        PhaseBarrier(Cpu cpu) {
            this.cpu = cpu;
        }

        @Override
        public boolean satisfied() {
            return cpu.clock() < phaseEnd;
        }
    }
}
