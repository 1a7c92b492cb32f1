package mmsim.kernel;

import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import mmsim.cpu.Cpu;
import mmsim.cpu.Interrupt;
import mmsim.shootdown.ShootdownStrategy;
import mmsim.stats.CostModel;
import mmsim.stats.CpuCounter;

/**
 * Hands CPUs to tasks. One FIFO run queue; a CPU with nothing to run is held by its idle task, which
 * services the CPU's interrupts and stays in lazy-TLB mode (it keeps the last address space loaded).
 *
 * <p>Invariant: every CPU is held by exactly one task at a time, and a task holds at most one CPU. A
 * task gives its CPU away only from its own thread ({@link #yield}, {@link #block}, {@link #exit}); the
 * next task takes it in {@link #awaitCpu}. A preemption tick posted to a busy CPU sets a flag that the
 * task acts on at its next return to user code (never inside the kernel).
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
        if (hasRunnable()) {
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

    /** Makes a new or blocked task runnable; an idle CPU, if any, picks it up. */
    void wake(Task t) {
        int s = t.state.get();
        while (s == Task.NEW || s == Task.BLOCKED) {
            if (t.state.compareAndSet(s, Task.RUNNABLE)) {
                synchronized (this) {
                    runQueue.addLast(t);
                }
                kickIdleCpu();
                return;
            }
            s = t.state.get();
        }
    }

    private void kickIdleCpu() {
        for (PerCpu pc : cpus) {
            Task h = pc.holder;
            if (h != null && h.idle) {
                LockSupport.unpark(h.thread);
                return;
            }
        }
    }

    private synchronized Task pollRunnable() {
        return runQueue.pollFirst();
    }

    synchronized boolean hasRunnable() {
        return !runQueue.isEmpty();
    }

    /** Gives the current task's CPU to the next runnable task, if there is one; the task runs again later. */
    void yield(Task current) {
        Task next;
        synchronized (this) {
            next = runQueue.pollFirst();
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
     * Blocks the current task (its state already set to BLOCKED by the caller, under the lock of what it
     * waits for): its CPU goes to the next runnable task or the idle task until someone {@link #wake}s it.
     * If the wake-up already happened, the task simply carries on.
     */
    /** Blocks the calling task (already queued as a waiter); stops it at once if its process was killed meanwhile. */
    void blockCurrent(Task t) {
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

    void block(Task current) {
        synchronized (this) {
            if (current.state.get() == Task.RUNNABLE && runQueue.remove(current)) {
                current.state.set(Task.RUNNING);
                return;
            }
        }
        PerCpu pc = current.cpu;
        Task next = pollRunnable();
        handTo(pc, current, next == null ? pc.idle : next);
        awaitCpu(current);
    }

    /** The current task is finished: its CPU goes to the next runnable task or the idle task. */
    void exit(Task current) {
        current.state.set(Task.DEAD);
        PerCpu pc = current.cpu;
        current.cpu = null;
        Task next = pollRunnable();
        handTo(pc, current, next == null ? pc.idle : next);
    }

    private void handTo(PerCpu pc, Task from, Task next) {
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
            Task next = pollRunnable();
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
            if (!cpu.interruptPending() && !hasRunnable() && !shutdown) {
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
