package mmsim.kernel;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import mmsim.cpu.Cpu;
import mmsim.cpu.WaitCondition;

/**
 * A readers-writer lock for kernel code running on a CPU (the mm's {@code mmap_lock}): page faults read,
 * fork/munmap/mprotect write. A waiter waits with {@link Cpu#await}: it keeps servicing its CPU's
 * interrupts (so a holder that waits for a shootdown acknowledgement from the waiter's CPU still gets it:
 * no deadlock) and gives its host slot up when the wait is long; an unlock wakes the sleepers.
 *
 * <p>Modeled time: an acquirer that had to wait moves its clock to the latest release of the lock by any holder,
 * not only by those it waited for: every critical section the host ordered before its own then ends, in modeled
 * time too, before its own begins, although host order and modeled order may differ by up to a bound phase. An
 * uncontended acquire costs nothing.
 *
 * <p>Rule that makes waiting finite: a holder never gives its CPU to another task (never blocks, is never
 * preempted: preemption happens only on return to user code); it may pause at a phase end, which never
 * waits for a lock's waiters (they wait, so they do not hold the phase back).
 */
final class CpuRwLock {
    private static final int WRITER = -1;
    private final AtomicInteger state = new AtomicInteger();
    /** CPUs that may be asleep on this lock: an unlock that sees one wakes them. */
    private final AtomicInteger sleepers = new AtomicInteger();
    /** The latest modeled clock at which a holder released it. */
    private final AtomicLong releasedAt = new AtomicLong();
    private final WaitCondition readable = () -> state.get() >= 0;
    private final WaitCondition writable = () -> state.get() == 0;

    void readLock(Cpu cpu) {
        int s = state.get();
        if (s >= 0 && state.compareAndSet(s, s + 1)) {
            return;
        }
        while (true) {
            s = state.get();
            if (s >= 0 && state.compareAndSet(s, s + 1)) {
                break;
            }
            awaitFree(cpu, readable);
        }
        cpu.advanceTo(releasedAt.get());
    }

    void readUnlock(Cpu cpu) {
        releasedAt.accumulateAndGet(cpu.clock(), Math::max);
        state.decrementAndGet();
        wakeSleepers(cpu);
    }

    void writeLock(Cpu cpu) {
        if (state.compareAndSet(0, WRITER)) {
            return;
        }
        while (!state.compareAndSet(0, WRITER)) {
            awaitFree(cpu, writable);
        }
        cpu.advanceTo(releasedAt.get());
    }

    void writeUnlock(Cpu cpu) {
        releasedAt.accumulateAndGet(cpu.clock(), Math::max);
        // release: everything the writer did is visible to the next acquirer's CAS
        state.set(0);
        wakeSleepers(cpu);
    }

    /** How many CPUs are waiting for it now (or about to): for tests and diagnostics. Any thread. */
    int waiters() {
        return sleepers.get();
    }

    private void awaitFree(Cpu cpu, WaitCondition free) {
        // counted before the wait re-checks the state (volatile), as an unlock writes the state before it reads the count
        sleepers.incrementAndGet();
        try {
            cpu.await(free);
        } finally {
            sleepers.decrementAndGet();
        }
    }

    private void wakeSleepers(Cpu cpu) {
        if (sleepers.get() > 0) {
            cpu.slots().wakeWaitersOf(readable);
            cpu.slots().wakeWaitersOf(writable);
        }
    }
}
