package mmsim.kernel;

import java.util.ArrayDeque;
import java.util.BitSet;
import java.util.Iterator;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import mmsim.cpu.Cpu;
import mmsim.cpu.Interrupt;
import mmsim.shootdown.ShootdownStrategy;
import mmsim.stats.CostModel;
import mmsim.stats.CpuCounter;

/**
 * Hands CPUs to tasks. One FIFO run queue shared by every CPU; a CPU takes the first queued task allowed
 * on it (its affinity, {@link Task#allowed}), so among the tasks a CPU may run the order is first come,
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
 * <p>The run-queue lock is a host lock held for a few instructions; nothing waits on a CPU while
 * holding it.
 */
final class Scheduler {
    private static final int SPINS_BEFORE_PARK = 200;

    private final PerCpu[] cpus;
    private final ShootdownStrategy shootdown;
    private final ArrayDeque<Task> runQueue = new ArrayDeque<>();
    private final Interrupt tick = this::tick;
    private final Thread timer;
    private volatile boolean shutdown;

    Scheduler(PerCpu[] cpus, int quantumMicros, ShootdownStrategy shootdown) {
        this.cpus = cpus;
        this.shootdown = shootdown;
        this.timer = new Thread(() -> tickLoop(quantumMicros), "mmsim-tick");
        this.timer.setDaemon(true);
    }

    void start() {
        timer.start();
    }

    /** The preemption tick, on a busy CPU: the strategy's periodic work, and a reschedule if someone waits. */
    private void tick(Cpu cpu) {
        PerCpu pc = cpus[cpu.id()];
        pc.tickPosted.set(false);
        shootdown.onTick(cpu);
        if (hasRunnableFor(pc)) {
            pc.needResched = true;
            pc.attention = true;
        }
    }

    /** Wakes every parked idle CPU (to apply deferred work). */
    void kickAllIdle() {
        for (PerCpu pc : cpus) {
            Task h = pc.holder;
            if (h != null && h.idle) {
                LockSupport.unpark(h.thread);
            }
        }
    }

    /** Makes a new or blocked task runnable; an idle CPU it may run on, if any, picks it up. */
    void wake(Task t) {
        int s = t.state.get();
        while (s == Task.NEW || s == Task.BLOCKED) {
            if (t.state.compareAndSet(s, Task.RUNNABLE)) {
                synchronized (this) {
                    runQueue.addLast(t);
                }
                kickIdleCpu(t);
                return;
            }
            s = t.state.get();
        }
    }

    /** Unparks one idle CPU that {@code t} may run on (otherwise the tick of a busy one will make room). */
    private void kickIdleCpu(Task t) {
        BitSet allowed = t.allowed;
        for (int i = allowed.nextSetBit(0); i >= 0; i = allowed.nextSetBit(i + 1)) {
            Task h = cpus[i].holder;
            if (h != null && h.idle) {
                LockSupport.unpark(h.thread);
                return;
            }
        }
    }

    /** Takes the first queued task allowed on {@code pc}, or null. */
    private synchronized Task pollRunnable(PerCpu pc) {
        return pollRunnableLocked(pc);
    }

    private Task pollRunnableLocked(PerCpu pc) {
        for (Iterator<Task> it = runQueue.iterator(); it.hasNext(); ) {
            Task t = it.next();
            if (t.mayRunOn(pc)) {
                it.remove();
                return t;
            }
        }
        return null;
    }

    /** Whether a queued task may run on {@code pc}. */
    synchronized boolean hasRunnableFor(PerCpu pc) {
        for (Task t : runQueue) {
            if (t.mayRunOn(pc)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Makes {@code allowed} the CPUs {@code t} may run on. Grants from now on honour it; a task that waits
     * in the queue gets an idle CPU of the new set woken for it. Moving a task off a CPU it holds is the
     * caller's part ({@link #migrate} on its own thread).
     */
    void setAllowed(Task t, BitSet allowed) {
        synchronized (this) {
            t.allowed = allowed;
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
     * one of which is woken for it.
     */
    void migrate(Task current) {
        PerCpu pc = current.cpu;
        Task next;
        synchronized (this) {
            next = pollRunnableLocked(pc);
            current.state.set(Task.RUNNABLE);
            runQueue.addLast(current);
        }
        handTo(pc, current, next == null ? pc.idle : next);
        kickIdleCpu(current);
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
            from.process.usage.settle(from, pc.cpu);
        }
        from.cpu = null;
        pc.holder = next;
        next.grant(pc);
    }

    /** Waits, spinning and then parking, until this task is handed a CPU; then takes it. */
    void awaitCpu(Task t) {
        int spins = 0;
        PerCpu pc;
        while ((pc = t.grant) == null) {
            if (++spins < SPINS_BEFORE_PARK) {
                Thread.onSpinWait();
            } else {
                LockSupport.parkNanos(this, TimeUnit.MILLISECONDS.toNanos(1));
            }
        }
        t.grant = null;
        t.cpu = pc;
        Cpu cpu = pc.cpu;
        if (t.idle) {
            // lazy TLB: keep the last space loaded; a strategy may skip this CPU until it leaves lazy mode
            cpu.setLazy(true);
        } else {
            ProcessUsage.begin(t, cpu);
            t.state.set(Task.RUNNING);
            cpu.counters().increment(CpuCounter.CONTEXT_SWITCHES);
            cpu.counters().add(CpuCounter.MODELED_CYCLES, CostModel.CONTEXT_SWITCH);
            // volatile: leaving lazy mode is ordered before the strategy's look at the space's TLB generation
            cpu.setLazy(false);
            cpu.switchAddressSpace(t.process.mm.space);
            shootdown.onSwitch(cpu, t.process.mm.space);
            pc.attention = true;  // look at the kill flag before running user code
        }
    }

    /**
     * The idle loop of {@code pc}'s idle task: service interrupts, run whatever becomes runnable, park
     * when there is nothing, until shutdown.
     */
    void idleLoop(Task idle) {
        awaitCpu(idle);
        Cpu cpu = idle.cpu.cpu;
        int spins = 0;
        while (!shutdown) {
            int work = cpu.serviceInterrupts();
            shootdown.onIdle(cpu);
            Task next = pollRunnable(idle.cpu);
            if (next != null) {
                handTo(idle.cpu, idle, next);
                awaitCpu(idle);
                spins = 0;
                continue;
            }
            if (work > 0 || ++spins < SPINS_BEFORE_PARK) {
                Thread.onSpinWait();
                continue;
            }
            // the sleeper is published before the re-check, and post() sets the flag before reading it: no lost wake-up
            cpu.setSleeper(Thread.currentThread());
            if (!cpu.interruptPending() && !hasRunnableFor(idle.cpu) && !shutdown) {
                LockSupport.parkNanos(this, TimeUnit.MILLISECONDS.toNanos(10));
            }
            cpu.setSleeper(null);
        }
        cpu.serviceInterrupts();
    }

    private void tickLoop(int quantumMicros) {
        long period = TimeUnit.MICROSECONDS.toNanos(quantumMicros);
        while (!shutdown) {
            LockSupport.parkNanos(this, period);
            for (PerCpu pc : cpus) {
                Task h = pc.holder;
                if (h != null && !h.idle && pc.tickPosted.compareAndSet(false, true)) {
                    pc.cpu.post(tick, Thread::onSpinWait);
                }
            }
        }
    }

    void shutdown() {
        shutdown = true;
        for (PerCpu pc : cpus) {
            LockSupport.unpark(pc.idle.thread);
        }
        timer.interrupt();
    }
}
