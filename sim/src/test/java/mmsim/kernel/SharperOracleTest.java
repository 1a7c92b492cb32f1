package mmsim.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

import mmsim.Machine;
import mmsim.TestMachines;
import mmsim.cpu.Cpu;
import mmsim.paging.AddressSpace;
import mmsim.paging.Vma;
import mmsim.shootdown.AbstractShootdown;
import mmsim.shootdown.FlushRequest;
import mmsim.shootdown.ReleaseAction;
import mmsim.shootdown.ShootdownStats;
import mmsim.stats.CpuCounter;

/**
 * The stale-translation oracle's in-flight exemption is per page range: a downgrade of one page in flight
 * does not excuse a stale hit on another page of the same space. (An exemption per address space, as the
 * oracle once had, sleeps whenever any downgrade is in flight, which in a busy process is nearly always.)
 */
class SharperOracleTest {
    private static final long PAGE = 4096;

    /** A deliberately broken strategy: flushes only the initiator and interrupts no other CPU. Tests only. */
    static final class FlushesOnlyLocally extends AbstractShootdown {
        FlushesOnlyLocally(Cpu[] cpus, ShootdownStats stats) {
            super(cpus, stats);
        }

        @Override
        public String name() {
            return "broken-flushes-only-locally";
        }

        @Override
        protected void doFlush(Cpu initiator, FlushRequest request, ReleaseAction release) {
            initiator.charge(flushLocal(initiator, request, FULL_FLUSH_CEILING));
            if (release != null) {
                release.release(initiator);
            }
        }
    }

    /**
     * A writer thread keeps storing to page A (its CPU caches a writable entry); the main thread holds an
     * unrelated downgrade of page B in flight, then write-protects A under a strategy that never reaches
     * the writer's CPU. The writer's next store goes through the stale writable entry: fail-fast mode must
     * stop it there, although a downgrade of the same space is in flight the whole time.
     */
    @Test
    void aSkippedTargetIsCaughtWhileAnUnrelatedDowngradeOfTheSameSpaceIsInFlight() throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong stores = new AtomicLong();
        AtomicBoolean heldInFlight = new AtomicBoolean();
        ExitStatus status;
        long staleHits;
        // ASID-tagged TLBs and threads pinned apart: no context switch can drop the writer's entry by chance
        try (Machine machine = TestMachines.boot(2, "16MiB", "checking", "true", "checking.failfast", "true", "tlb.asid", "true")) {
            try (Kernel kernel = Kernel.boot(machine, FlushesOnlyLocally::new)) {
                status = kernel.run(sys -> {
                    sys.schedSetaffinity(0, cpu(0));
                    long a = sys.mmap(PAGE, Vma.READ_WRITE);
                    long b = sys.mmap(PAGE, Vma.READ_WRITE);
                    sys.storeLong(b, 1);
                    int writer = sys.spawnThread(t -> {
                        t.schedSetaffinity(0, cpu(1));
                        long v = 0;
                        while (!stop.get()) {
                            t.storeLong(a, ++v);
                            stores.incrementAndGet();
                        }
                    });
                    awaitStores(sys, stores, 1000);
                    AddressSpace space = sys.mm().space;
                    AddressSpace.Downgrade unrelated = space.beginDowngrade(b, b + PAGE);
                    heldInFlight.set(space.downgradesInFlight() > 0);
                    try {
                        sys.mprotect(a, PAGE, Vma.READ);
                        awaitStores(sys, stores, stores.get() + 1000);
                    } finally {
                        space.endDowngrade(unrelated);
                    }
                    stop.set(true);
                    sys.joinThread(writer);
                    return 0;
                }, Duration.ofSeconds(60));
            }
            staleHits = machine.counterTotal(CpuCounter.ORACLE_STALE_HITS);
        }
        assertTrue(heldInFlight.get(), "the unrelated downgrade was in flight during the mprotect");
        assertTrue(staleHits > 0, "the oracle flagged the store through the writable entry the broken strategy left");
        assertEquals(ExitStatus.Kind.CRASHED, status.kind(), status.toString());
        assertTrue(status.message().contains("stale translation: cpu"), status.message());
    }

    /**
     * latr's relaxation, counted rather than forgiven silently: a thread that keeps loading a page another
     * thread already unmapped may still reach the old frame until its CPU applies the lazy flush (Linux
     * would have delivered SIGSEGV). Such hits are {@code oracle.lazy_hits}, never violations; the thread
     * segfaults once its CPU has caught up (or the process exits first). Each round is a fresh process; the window (until the loader's
     * next tick, 100 ms here) is wide, but a host that deschedules the loader across it sees none, so up to
     * 20 rounds run until one round shows a lazy hit.
     */
    @Test
    void underLatrAccessesToARangeAlreadyUnmappedAreCountedNotFlagged() throws Exception {
        long lazyHits = 0;
        long staleHits = 0;
        try (Machine machine = TestMachines.boot(2, "16MiB", "checking", "true", "shootdown.strategy", "latr",
                "sched.quantum.us", "100000")) {
            try (Kernel kernel = Kernel.boot(machine)) {
                for (int round = 0; round < 20 && lazyHits == 0; round++) {
                    AtomicLong loads = new AtomicLong();
                    ExitStatus status = kernel.run(sys -> {
                        int child = sys.fork(c -> {
                            long x = c.mmap(PAGE, Vma.READ_WRITE);
                            c.storeLong(x, 5);
                            c.spawnThread(t -> {
                                while (true) {
                                    t.loadLong(x);
                                    loads.incrementAndGet();
                                }
                            });
                            awaitStores(c, loads, 1000);
                            c.munmap(x, PAGE);
                            awaitStores(c, loads, loads.get() + 1000);
                            return 0;
                        });
                        ExitStatus cs = sys.waitpid(child);
                        // the loader segfaults once its CPU caught up, unless the main thread exited first
                        return cs.kind() == ExitStatus.Kind.SEGFAULT || (cs.exitedNormally() && cs.code() == 0) ? 0 : 1;
                    }, Duration.ofSeconds(60));
                    assertEquals(0, status.code(), "the child ended by a segfault or by its main thread's exit: " + status);
                    lazyHits = machine.counterTotal(CpuCounter.ORACLE_LAZY_HITS);
                    staleHits = machine.counterTotal(CpuCounter.ORACLE_STALE_HITS);
                    assertEquals(0, staleHits, "an access inside latr's deferred window is not a violation");
                }
            }
        }
        assertTrue(lazyHits > 0, "in 20 rounds no load reached the old frame after munmap returned");
    }

    private static java.util.BitSet cpu(int id) {
        java.util.BitSet set = new java.util.BitSet();
        set.set(id);
        return set;
    }

    /** Waits (yielding the CPU, bounded) until the writer has made {@code target} stores. */
    private static void awaitStores(Sys sys, AtomicLong stores, long target) {
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (stores.get() < target) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the writer made only " + stores.get() + " of " + target + " stores in 20 s");
            }
            sys.yield();
        }
    }
}
