package mmsim.kernel;

import java.util.concurrent.atomic.AtomicInteger;

import mmsim.cpu.Cpu;

/**
 * A readers-writer spin lock for kernel code running on a CPU (the mm's {@code mmap_lock}): page faults
 * read, fork/munmap/mprotect write. A waiter keeps servicing its CPU's interrupts, so a holder that waits
 * for a shootdown acknowledgement from the waiter's CPU still gets it: no deadlock.
 *
 * <p>Rule that makes spinning finite: a holder never gives its CPU away (never blocks, is never
 * preempted: preemption happens only on return to user code).
 */
final class CpuRwLock {
    private static final int WRITER = -1;
    private final AtomicInteger state = new AtomicInteger();

    void readLock(Cpu cpu) {
        int spins = 0;
        while (true) {
            int s = state.get();
            if (s >= 0 && state.compareAndSet(s, s + 1)) {
                return;
            }
            spins = backOff(cpu, spins);
        }
    }

    void readUnlock() {
        state.decrementAndGet();
    }

    void writeLock(Cpu cpu) {
        int spins = 0;
        while (!state.compareAndSet(0, WRITER)) {
            spins = backOff(cpu, spins);
        }
    }

    void writeUnlock() {
        // release: everything the writer did is visible to the next acquirer's CAS
        state.set(0);
    }

    private static int backOff(Cpu cpu, int spins) {
        cpu.serviceInterrupts();
        if (spins < 100) {
            Thread.onSpinWait();
        } else {
            Thread.yield();
        }
        return spins + 1;
    }
}
