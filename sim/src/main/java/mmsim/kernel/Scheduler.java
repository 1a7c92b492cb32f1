package mmsim.kernel;

import java.util.BitSet;
import java.util.concurrent.locks.LockSupport;

import mmsim.cpu.Cpu;
import mmsim.cpu.WaitCondition;
import mmsim.paging.CpuMask;
import mmsim.shootdown.ShootdownStrategy;
import mmsim.stats.CpuCounter;

/**
 * Hands CPUs to tasks. One FIFO run queue shared by every CPU; a CPU takes the first queued task allowed
 * on it (its affinity, {@link Task#mayRunOn(int)}), so among the tasks a CPU may run the order is first come,
 * first served and nobody waits behind a task that cannot run there. A CPU with nothing to run is held by
 * its idle task, which services the CPU's interrupts and stays in lazy-TLB mode (it keeps the last address
 * space loaded).
 *
 * <p>Invariant: every CPU is held by exactly one task at a time, and a task holds at most one CPU. A
 * task gives its CPU away only from its own thread ({@link #yield}, {@link #block}, {@link #exit},
 * {@link #migrate}); the next task takes it in {@link #awaitCpu}. A preemption tick posted to a busy CPU
 * sets a flag that the task acts on at its next return to user code (never inside the kernel), when
 * another task allowed on that CPU waits.
 *
 * <p>Affinity: a task is handed only a CPU in its allowed set, at every grant (a wake-up's idle CPU, a
 * yield, a block's or an exit's hand-off, the tick's reschedule, an idle CPU's pick-up), judged under the
 * run-queue lock by the set in force then. A task whose set no longer holds its CPU leaves it through
 * {@link #migrate}. Context switches also attribute the CPU's counters to the task's process
 * ({@link ProcessUsage}).
 *
 * <p>Modeled time: the preemption tick falls due every {@code sched.quantum.cycles} of a busy CPU's own
 * clock, checked where the MMU already polls (an access or a system-call boundary); no host timer decides
 * anything. A woken task carries its waker's clock: the CPU that takes it moves its clock there (a task
 * cannot run before it was woken), or to when the task left its last CPU if that is later (a task's clock
 * never goes back), and an idle CPU's clock skips to the interrupt or task that ends its
 * idleness. An idle CPU gives its host slot up ({@link mmsim.cpu.Slots}) and costs no host time.
 *
 * <p>The run-queue lock is a host lock held for a few instructions; nothing waits on a CPU while
 * holding it.
 */
final class Scheduler {
    /**
     * Spins of a platform thread waiting to be handed a CPU before it parks (a park/unpark costs ~25 µs).
     * A virtual thread parks at once: that frees its carrier for the task it just handed its CPU to.
     */
    private static final int SPINS_BEFORE_PARK = 100;

    private final PerCpu[] cpus;
    private final ShootdownStrategy shootdown;
    private final RunQueue runQueue = new RunQueue();
    /**
     * The CPUs held by their idle task, and perhaps some about to be or just no longer: a bit is set before the
     * holder becomes the idle task and cleared after it stops being it, so the set of CPUs whose holder is idle is
     * always within it. A wake-up looks for an idle CPU among these, not at every CPU's holder: with 256 CPUs, nearly
     * all busy, that scan read 256 CPUs' objects, cold in the host's caches, per wake-up and per migration (1.2 % of
     * a chaos run's samples, JFR). Written only where a CPU's idleness changes, not at each context switch.
     */
    private final CpuMask idleCpus;
    private volatile boolean shutdown;

    /** Tasks run on virtual threads: a thread waiting to be handed a CPU parks at once (see {@link #SPINS_BEFORE_PARK}). */
    private final boolean virtualThreads;

    Scheduler(PerCpu[] cpus, ShootdownStrategy shootdown, boolean virtualThreads) {
        this.cpus = cpus;
        this.shootdown = shootdown;
        this.virtualThreads = virtualThreads;
        this.idleCpus = new CpuMask(cpus.length);
        boolean deferredWorkPolled = queuesWorkForIdleCpus(shootdown);
        for (PerCpu pc : cpus) {
            pc.cpu.setTickHandler(this::tick);
            pc.idleWork = new IdleWork(pc, deferredWorkPolled);
        }
    }

    /**
     * Whether {@code strategy} may queue work for a CPU without waking it ({@link ShootdownStrategy#hasDeferredWork(Cpu)}
     * is its own, as LATR's lazy queues are): an idle CPU then finds that work only when a phase end polls its
     * condition. The default answers false for good.
     */
    private static boolean queuesWorkForIdleCpus(ShootdownStrategy strategy) {
        try {
            return strategy.getClass().getMethod("hasDeferredWork", Cpu.class).getDeclaringClass() != ShootdownStrategy.class;
        } catch (NoSuchMethodException e) {
            throw new AssertionError("ShootdownStrategy declares hasDeferredWork(Cpu)", e);
        }
    }

    /**
     * What an idle CPU waits for ({@link PerCpu#idleWork}): a wake-up's kick, an interrupt, the strategy's deferred
     * work, or shutdown. Kicks, interrupts and shutdown each wake the CPU's slot after they are set, so unless the
     * strategy queues deferred work silently the condition is {@link WaitCondition#signalled} and a phase end
     * leaves it unpolled.
     */
    private final class IdleWork implements WaitCondition {
        private final PerCpu pc;
        private final boolean deferredWorkPolled;

        IdleWork(PerCpu pc, boolean deferredWorkPolled) {
            this.pc = pc;
            this.deferredWorkPolled = deferredWorkPolled;
        }

        @Override
        public boolean satisfied() {
            return pc.kicked || pc.cpu.interruptPending() || shutdown || shootdown.hasDeferredWork(pc.cpu);
        }

        @Override
        public boolean signalled() {
            return !deferredWorkPolled;
        }
    }

    /**
     * The preemption tick, on a busy CPU whose clock crossed a quantum boundary: the strategy's periodic
     * work, and a reschedule at the next return to user code if a task allowed here waits.
     */
    private void tick(Cpu cpu) {
        PerCpu pc = cpus[cpu.id()];
        shootdown.onTick(cpu);
        if (hasRunnableFor(pc)) {
            pc.needResched = true;
            pc.attention = true;
        }
    }

    /** Wakes every idle CPU (to apply deferred work). */
    void kickAllIdle() {
        for (int i = idleCpus.nextSetBit(0); i >= 0; i = idleCpus.nextSetBit(i + 1)) {
            PerCpu pc = cpus[i];
            Task h = pc.holder;
            if (h != null && h.idle) {
                pc.kicked = true;
                pc.cpu.slots().wake(pc.cpu);
            }
        }
    }

    /**
     * Makes a new or blocked task runnable at the waker's clock (the CPU of the calling task; time 0 from a
     * thread outside the machine, as for the init task); an idle CPU it may run on, if any, picks it up.
     * Returns whether {@code t} was woken (false: it was runnable, running or dead already).
     */
    boolean wake(Task t) {
        int s = t.state.get();
        while (s == Task.NEW || s == Task.BLOCKED) {
            if (t.state.compareAndSet(s, Task.RUNNABLE)) {
                Task waker = Task.current();
                PerCpu wakerCpu = waker == null ? null : waker.cpu;
                t.wokenAt = wakerCpu == null ? 0 : wakerCpu.cpu.clock();
                synchronized (this) {
                    runQueue.addLast(t);
                }
                kickIdleCpu(t);
                return true;
            }
            s = t.state.get();
        }
        return false;
    }

    /**
     * Wakes one idle CPU that {@code t} may run on and that no other wake-up has claimed yet (lowest id
     * first); otherwise the tick of a busy one makes room.
     */
    private void kickIdleCpu(Task t) {
        for (int i = idleCpus.nextSetBit(0); i >= 0; i = idleCpus.nextSetBit(i + 1)) {
            if (!t.mayRunOn(i)) {
                continue;
            }
            PerCpu pc = cpus[i];
            Task h = pc.holder;
            if (h != null && h.idle && !pc.kicked) {
                // volatile: the claim is visible before the CPU's state is read, as the idle CPU publishes WAITING before it re-checks
                pc.kicked = true;
                pc.cpu.slots().wake(pc.cpu);
                return;
            }
        }
    }

    /** Takes the first queued task allowed on {@code pc}, or null. */
    private synchronized Task pollRunnable(PerCpu pc) {
        return pollRunnableLocked(pc);
    }

    private Task pollRunnableLocked(PerCpu pc) {
        return runQueue.pollFirstAllowedOn(pc.cpu.id());
    }

    /** Whether a queued task may run on {@code pc}. */
    synchronized boolean hasRunnableFor(PerCpu pc) {
        return runQueue.anyAllowedOn(pc.cpu.id());
    }

    /**
     * Makes {@code allowed} the CPUs {@code t} may run on. Grants from now on honour it; a task that waits
     * in the queue gets an idle CPU of the new set woken for it. Moving a task off a CPU it holds is the
     * caller's part ({@link #migrate} on its own thread).
     */
    void setAllowed(Task t, BitSet allowed) {
        synchronized (this) {
            t.allow(allowed);
        }
        if (t.state.get() == Task.RUNNABLE) {
            kickIdleCpu(t);
        }
    }

    /** Gives the current task's CPU to the next task allowed on it, if there is one; the task runs again later. */
    void yield(Task current) {
        Task next;
        synchronized (this) {
            next = pollRunnableLocked(current.cpu);
            if (next == null) {
                return;
            }
            // it runs again no earlier than now: a CPU whose clock is behind moves there when it takes it
            current.wokenAt = current.cpu.cpu.clock();
            current.state.set(Task.RUNNABLE);
            runQueue.addLast(current);
        }
        PerCpu pc = current.cpu;
        handTo(pc, current, next);
        awaitCpu(current);
    }

    /**
     * Moves the current task off its CPU, which its allowed set no longer holds: the CPU goes to the next
     * task allowed on it (or the idle task), and this task waits in the queue for a CPU of its set, an idle
     * one of which is woken for it. The task's time carries over: the CPU that takes it moves its clock to
     * the moment it left.
     */
    void migrate(Task current) {
        PerCpu pc = current.cpu;
        Task next;
        synchronized (this) {
            next = pollRunnableLocked(pc);
            current.wokenAt = pc.cpu.clock();
            current.state.set(Task.RUNNABLE);
            runQueue.addLast(current);
        }
        // while this thread still holds its CPU (and host slot): after the hand-off it must not touch
        // simulated state, or it would race the CPU's next holder (and break the deterministic mode)
        kickIdleCpu(current);
        handTo(pc, current, next == null ? pc.idle : next);
        awaitCpu(current);
    }

    /**
     * Blocks the calling task (already queued as a waiter, its state set to BLOCKED); stops it instead if
     * its process was killed meanwhile. The kill flag is read after the state was set, and a killer sets the
     * flag before it reads the state (to wake a BLOCKED task): one of the two always sees the other, so a
     * killed task never sleeps on. A task that stops here stays in its wait queue as a stale entry, which a
     * later wake-up skips (it only wakes BLOCKED tasks).
     */
    void blockCurrent(Task t) {
        if (t.process.killed && t.state.compareAndSet(Task.BLOCKED, Task.RUNNING)) {
            throw ProcessExit.INSTANCE;
        }
        block(t);
        if (t.process.killed) {
            throw ProcessExit.INSTANCE;
        }
    }

    /**
     * Wakes the first task in {@code waiters} that is still blocked, dropping stale entries before it (tasks
     * already woken or killed). Call with the lock that guards {@code waiters} held.
     */
    void wakeOne(java.util.ArrayDeque<Task> waiters) {
        Task w;
        while ((w = waiters.pollFirst()) != null) {
            if (wake(w)) {
                return;
            }
        }
    }

    /** Wakes every task in {@code waiters}, emptying it. Call with the lock that guards {@code waiters} held. */
    void wakeAll(java.util.ArrayDeque<Task> waiters) {
        Task w;
        while ((w = waiters.pollFirst()) != null) {
            wake(w);
        }
    }

    /**
     * Blocks the current task (its state already set to BLOCKED by the caller, under the lock of what it
     * waits for): its CPU goes to the next task allowed on it or the idle task until someone {@link #wake}s
     * it. If the wake-up already happened, the task simply carries on.
     */
    void block(Task current) {
        synchronized (this) {
            if (current.state.get() == Task.RUNNABLE && runQueue.remove(current)) {
                current.state.set(Task.RUNNING);
                return;
            }
        }
        PerCpu pc = current.cpu;
        Task next = pollRunnable(pc);
        handTo(pc, current, next == null ? pc.idle : next);
        awaitCpu(current);
    }

    /** The current task is finished: its CPU goes to the next task allowed on it or the idle task. */
    void exit(Task current) {
        current.state.set(Task.DEAD);
        PerCpu pc = current.cpu;
        current.cpu = null;
        Task next = pollRunnable(pc);
        handTo(pc, current, next == null ? pc.idle : next);
    }

    /** Gives {@code pc} from {@code from} (its holder, on its own thread) to {@code next}, settling {@code from}'s usage first. */
    private void handTo(PerCpu pc, Task from, Task next) {
        if (!from.idle) {
            ProcessUsage.settle(from, pc.cpu);
        }
        from.leftAt = pc.cpu.clock();
        from.cpu = null;
        int id = pc.cpu.id();
        if (next.idle && !from.idle) {
            idleCpus.set(id);   // before the holder: the mask holds every CPU whose holder is idle (see idleCpus)
        }
        pc.holder = next;
        if (from.idle && !next.idle) {
            idleCpus.clear(id);
        }
        next.grant(pc);
    }

    /** Makes {@code pc}'s idle task its holder, at boot, before the CPU runs anything. */
    void holdIdle(PerCpu pc) {
        idleCpus.set(pc.cpu.id());
        pc.holder = pc.idle;
    }

    /**
     * Waits, spinning briefly and then parking, until this task is handed a CPU; then takes it. A task
     * moves the CPU's clock to its wake-up time (it cannot run before it was woken) or to the time it left its
     * last CPU, whichever is later (a task's own clock never goes back, even when its waker's clock was behind
     * it: so a system call that blocked measures a latency of at least the work done before blocking), and
     * pays the modeled context switch.
     */
    void awaitCpu(Task t) {
        int spinsLeft = virtualThreads ? 0 : SPINS_BEFORE_PARK;
        PerCpu pc;
        while ((pc = t.grant) == null) {
            if (spinsLeft-- > 0) {
                Thread.onSpinWait();
            } else {
                LockSupport.park(this);
            }
        }
        t.grant = null;
        t.cpu = pc;
        Cpu cpu = pc.cpu;
        if (t.idle) {
            cpu.setIdle(true);
            // lazy TLB: keep the last space loaded; a strategy may skip this CPU until it leaves lazy mode
            cpu.setLazy(true);
        } else {
            cpu.advanceTo(Math.max(t.wokenAt, t.leftAt));
            cpu.setIdle(false);
            ProcessUsage.begin(t, cpu);
            t.state.set(Task.RUNNING);
            cpu.counters().increment(CpuCounter.CONTEXT_SWITCHES);
            cpu.charge(cpu.costs().contextSwitch);
            // volatile: leaving lazy mode is ordered before the strategy's look at the space's TLB generation
            cpu.setLazy(false);
            cpu.switchAddressSpace(t.process.mm.space);
            shootdown.onSwitch(cpu, t.process.mm.space);
            pc.attention = true;  // look at the kill flag before running user code
        }
    }

    /**
     * The idle loop of {@code pc}'s idle task: service interrupts, apply deferred work, run whatever becomes
     * runnable; with nothing to do, give the host slot up until a wake-up, an interrupt or deferred work
     * arrives (the condition {@link PerCpu#idleWork}), until shutdown.
     */
    void idleLoop(Task idle) {
        Task.setCurrent(idle);
        awaitCpu(idle);
        PerCpu pc = idle.cpu;
        Cpu cpu = pc.cpu;
        cpu.slots().start(cpu);
        while (!shutdown) {
            cpu.serviceInterrupts();
            shootdown.onIdle(cpu);
            // cleared before the poll: a wake-up after the poll sets it again and ends the wait below
            pc.kicked = false;
            Task next = pollRunnable(pc);
            if (next != null) {
                handTo(pc, idle, next);
                awaitCpu(idle);
                continue;
            }
            cpu.await(pc.idleWork);
        }
        cpu.serviceInterrupts();
        cpu.slots().leave(cpu);
    }

    boolean shuttingDown() {
        return shutdown;
    }

    void shutdown() {
        shutdown = true;
        for (PerCpu pc : cpus) {
            pc.cpu.slots().wake(pc.cpu);
            LockSupport.unpark(pc.idle.thread);
        }
    }
}
