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
 * <p>One word holds the writer bit, the number of readers and that latest release clock, so that an acquire and
 * its release are one CAS each: a fault takes the lock for reading, and each locked instruction costs it about
 * 6 ns of host time here. The clock gets {@value #CLOCK_BITS} bits: 2<sup>51</sup> cycles, 8.7 modeled days at
 * 3 GHz; a release past that is an {@link IllegalStateException}.
 *
 * <p>Rule that makes waiting finite: a holder never gives its CPU to another task (never blocks, is never
 * preempted: preemption happens only on return to user code); it may pause at a phase end, which never
 * waits for a lock's waiters (they wait, so they do not hold the phase back).
 */
final class CpuRwLock {
    private static final long WRITER = 1L;
    private static final long READER = 2L;
    /** Readers in bits 1-12: at most one holder per CPU, and a machine has at most 1,024. */
    private static final int READER_BITS = 12;
    private static final long HOLDERS = WRITER | (((1L << READER_BITS) - 1) * READER);
    private static final int CLOCK_SHIFT = 1 + READER_BITS;
    static final int CLOCK_BITS = Long.SIZE - CLOCK_SHIFT;
    private static final long CLOCK_LIMIT = 1L << CLOCK_BITS;

    /** The writer bit, the readers (times {@link #READER}) and the latest release clock (from bit {@link #CLOCK_SHIFT}). */
    private final AtomicLong word = new AtomicLong();
    /** CPUs that may be asleep on this lock: an unlock that sees one wakes them. */
    private final AtomicInteger sleepers = new AtomicInteger();
    private final WaitCondition readable = () -> (word.get() & WRITER) == 0;
    private final WaitCondition writable = () -> (word.get() & HOLDERS) == 0;

    void readLock(Cpu cpu) {
        long w = word.get();
        if ((w & WRITER) == 0 && word.compareAndSet(w, w + READER)) {
            return;
        }
        while (true) {
            w = word.get();
            if ((w & WRITER) == 0 && word.compareAndSet(w, w + READER)) {
                break;
            }
            awaitFree(cpu, readable);
        }
        cpu.advanceTo(releasedAt(word.get()));
    }

    void readUnlock(Cpu cpu) {
        long at = clockOf(cpu);
        long w;
        do {
            w = word.get();
        } while (!word.compareAndSet(w, (Math.max(releasedAt(w), at) << CLOCK_SHIFT) | ((w & HOLDERS) - READER)));
        wakeSleepers(cpu);
    }

    void writeLock(Cpu cpu) {
        long w = word.get();
        if ((w & HOLDERS) == 0 && word.compareAndSet(w, w | WRITER)) {
            return;
        }
        while (true) {
            w = word.get();
            if ((w & HOLDERS) == 0 && word.compareAndSet(w, w | WRITER)) {
                break;
            }
            awaitFree(cpu, writable);
        }
        cpu.advanceTo(releasedAt(word.get()));
    }

    void writeUnlock(Cpu cpu) {
        long at = clockOf(cpu);
        long w;
        do {
            w = word.get();
            // the CAS releases: everything the writer did is visible to the next acquirer's CAS
        } while (!word.compareAndSet(w, Math.max(releasedAt(w), at) << CLOCK_SHIFT));
        wakeSleepers(cpu);
    }

    /** How many CPUs are waiting for it now (or about to): for tests and diagnostics. Any thread. */
    int waiters() {
        return sleepers.get();
    }

    private static long releasedAt(long w) {
        return w >>> CLOCK_SHIFT;
    }

    private static long clockOf(Cpu cpu) {
        long at = cpu.clock();
        if (at >= CLOCK_LIMIT) {
            throw new IllegalStateException("cpu " + cpu.id() + ": modeled clock " + at + " past the mm lock's range of 2^"
                    + CLOCK_BITS + " cycles");
        }
        return at;
    }

    private void awaitFree(Cpu cpu, WaitCondition free) {
        // counted before the wait re-checks the word (volatile), as an unlock writes the word before it reads the count
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
