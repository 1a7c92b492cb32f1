package mmsim.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

import mmsim.Machine;
import mmsim.TestMachines;
import mmsim.cpu.Cpu;
import mmsim.stats.CpuCounter;

/**
 * The mm lock ({@link CpuRwLock}): readers share it, a writer has it alone, and in modeled time an acquirer that
 * waited starts no earlier than the latest release by any holder, while an uncontended acquire costs nothing. The
 * CPUs here run unarbitrated (test threads): a waiter spins on {@link Cpu#await}.
 */
class CpuRwLockTest {
    private static final long WAIT_NANOS = 10_000_000_000L;

    @Test
    void aReaderThatWaitedForTheWriterResumesAtTheWritersReleaseAndIsChargedTheWait() throws Exception {
        try (Machine machine = TestMachines.boot(2, "8MiB")) {
            Cpu writer = machine.cpu(0);
            Cpu reader = machine.cpu(1);
            CpuRwLock lock = new CpuRwLock();
            reader.charge(100);
            writer.charge(10_000);
            lock.writeLock(writer);
            AtomicBoolean acquired = new AtomicBoolean();
            Thread t = start("reader", () -> {
                lock.readLock(reader);
                acquired.set(true);
                lock.readUnlock(reader);
            });
            awaitWaiters(lock, 1, "the reader waits for the writer");
            assertFalse(acquired.get(), "a reader acquired the lock while the writer held it");
            writer.charge(15_000);
            lock.writeUnlock(writer);
            join(t);
            assertTrue(acquired.get());
            assertEquals(25_000, reader.clock(), "the reader resumes at the writer's release");
            assertEquals(24_900, reader.counters().read(CpuCounter.MODELED_WAIT_CYCLES), "the wait is modeled wait time");
        }
    }

    @Test
    void aWriterWaitsForEveryReaderAndStartsAtTheLatestReleaseNotTheLastOne() throws Exception {
        try (Machine machine = TestMachines.boot(3, "8MiB")) {
            Cpu first = machine.cpu(0);
            Cpu second = machine.cpu(1);
            Cpu writer = machine.cpu(2);
            CpuRwLock lock = new CpuRwLock();
            lock.readLock(first);
            lock.readLock(second);   // readers share it
            writer.charge(1_000);
            AtomicBoolean acquired = new AtomicBoolean();
            Thread t = start("writer", () -> {
                lock.writeLock(writer);
                acquired.set(true);
                lock.writeUnlock(writer);
            });
            awaitWaiters(lock, 1, "the writer waits for the readers");
            second.charge(9_000);
            lock.readUnlock(second);
            assertFalse(acquired.get(), "the writer acquired the lock while a reader still held it");
            first.charge(5_000);
            lock.readUnlock(first);
            join(t);
            assertTrue(acquired.get());
            assertEquals(9_000, writer.clock(), "the writer starts at the latest release (9,000), not the last one (5,000)");
        }
    }

    @Test
    void anUncontendedAcquireCostsNothingEvenAfterALaterRelease() throws Exception {
        try (Machine machine = TestMachines.boot(2, "8MiB")) {
            Cpu ahead = machine.cpu(0);
            Cpu behind = machine.cpu(1);
            CpuRwLock lock = new CpuRwLock();
            ahead.charge(50_000);
            lock.writeLock(ahead);
            lock.writeUnlock(ahead);
            behind.charge(100);
            lock.readLock(behind);
            lock.readUnlock(behind);
            lock.writeLock(behind);
            lock.writeUnlock(behind);
            assertEquals(100, behind.clock(), "a lock nobody held when asked for is taken at once, in modeled time too");
            assertEquals(0, behind.counters().read(CpuCounter.MODELED_WAIT_CYCLES));
        }
    }

    /**
     * Four CPUs take the lock 2,000 times each, every fourth time for writing: no reader ever sees a writer inside,
     * no writer sees anyone else inside, and every write section's increment of a plain counter is kept.
     */
    @Test
    void writersAreAloneAndReadersNeverOverlapAWriter() throws Exception {
        int cpus = 4;
        int rounds = 2_000;
        try (Machine machine = TestMachines.boot(cpus, "8MiB")) {
            CpuRwLock lock = new CpuRwLock();
            AtomicInteger readersInside = new AtomicInteger();
            AtomicInteger writersInside = new AtomicInteger();
            AtomicReference<String> violation = new AtomicReference<>();
            long[] written = new long[1];
            List<Thread> threads = new ArrayList<>();
            for (int c = 0; c < cpus; c++) {
                Cpu cpu = machine.cpu(c);
                threads.add(start("cpu-" + c, () -> {
                    for (int i = 0; i < rounds; i++) {
                        if (i % 4 == cpu.id() % 4) {
                            lock.writeLock(cpu);
                            if (writersInside.incrementAndGet() != 1 || readersInside.get() != 0) {
                                violation.compareAndSet(null, "a writer on " + cpu + " was not alone");
                            }
                            written[0]++;   // plain: the lock's exclusion is what keeps it exact
                            writersInside.decrementAndGet();
                            lock.writeUnlock(cpu);
                        } else {
                            lock.readLock(cpu);
                            readersInside.incrementAndGet();
                            if (writersInside.get() != 0) {
                                violation.compareAndSet(null, "a reader on " + cpu + " overlapped a writer");
                            }
                            readersInside.decrementAndGet();
                            lock.readUnlock(cpu);
                        }
                        cpu.charge(10);
                    }
                }));
            }
            for (Thread t : threads) {
                join(t);
            }
            assertEquals(null, violation.get());
            assertEquals((long) cpus * rounds / 4, written[0], "every write section's increment is kept");
            assertEquals(0, lock.waiters(), "nobody is left waiting");
        }
    }

    /**
     * The readers' count shares one word with the release clock: a machine's largest count of holders (1,024 CPUs)
     * must neither reach the clock's bits nor lose a release. A writer that waited for 1,024 readers starts at their
     * release clock.
     */
    @Test
    void aThousandReadersKeepTheirCountApartFromTheReleaseClock() throws Exception {
        try (Machine machine = TestMachines.boot(2, "8MiB")) {
            Cpu readers = machine.cpu(0);
            Cpu writer = machine.cpu(1);
            CpuRwLock lock = new CpuRwLock();
            for (int i = 0; i < 1024; i++) {
                lock.readLock(readers);   // the lock does not tell holders apart: one CPU stands for 1,024
            }
            readers.charge(7_000);
            Thread t = start("writer", () -> {
                lock.writeLock(writer);
                lock.writeUnlock(writer);
            });
            awaitWaiters(lock, 1, "the writer waits for the readers");
            for (int i = 0; i < 1024; i++) {
                lock.readUnlock(readers);
            }
            join(t);
            assertEquals(7_000, writer.clock(), "the writer starts at the readers' release");
        }
    }

    /**
     * The release clock has {@value CpuRwLock#CLOCK_BITS} bits: a release past them is an error that names the range,
     * not a clock wrapped to a small value that a later waiter would resume at.
     */
    @Test
    void aReleasePastTheClocksRangeIsAnErrorNotAWrappedClock() {
        try (Machine machine = TestMachines.boot(1, "8MiB")) {
            Cpu cpu = machine.cpu(0);
            CpuRwLock lock = new CpuRwLock();
            cpu.charge((1L << CpuRwLock.CLOCK_BITS) - 1);
            lock.readLock(cpu);
            lock.readUnlock(cpu);   // the last clock that fits
            cpu.charge(1);
            lock.readLock(cpu);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> lock.readUnlock(cpu));
            assertEquals("cpu 0: modeled clock 2251799813685248 past the mm lock's range of 2^51 cycles", e.getMessage());
        }
    }

    /** What each test thread threw, reported by {@link #join}. */
    private final java.util.Map<Thread, Throwable> failures = new java.util.concurrent.ConcurrentHashMap<>();

    private Thread start(String name, Runnable body) {
        Thread t = new Thread(() -> {
            try {
                body.run();
            } catch (Throwable e) {
                failures.put(Thread.currentThread(), e);
            }
        }, name);
        t.setDaemon(true);
        t.start();
        return t;
    }

    private static void awaitWaiters(CpuRwLock lock, int n, String what) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT_NANOS;
        while (lock.waiters() < n) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(what + ": no waiter after 10 s");
            }
            Thread.sleep(1);
        }
    }

    private void join(Thread t) throws InterruptedException {
        t.join(WAIT_NANOS / 1_000_000);
        if (t.isAlive()) {
            throw new AssertionError(t.getName() + " still running after 10 s: stuck waiting for the lock");
        }
        Throwable failure = failures.get(t);
        if (failure != null) {
            throw new AssertionError(t.getName() + " failed", failure);
        }
    }
}
