package mmsim.shootdown;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import mmsim.Machine;
import mmsim.TestMachines;
import mmsim.kernel.ExitStatus;
import mmsim.kernel.Kernel;
import mmsim.kernel.ProcessBody;
import mmsim.kernel.Sys;
import mmsim.paging.Vma;
import mmsim.stats.CpuCounter;

/**
 * The contract every shootdown strategy keeps, and the proof that the oracle checking it can fail.
 * Every run is in checking mode; a run ends with every frame back in the pool.
 */
class ShootdownContractTest {
    private static final long PAGE = 4096;

    static java.util.stream.Stream<String> strategies() {
        return Shootdowns.NAMES.stream();
    }

    private final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();

    private void check(boolean ok, String message) {
        if (!ok) {
            failures.add(message);
        }
    }

    private record Outcome(ExitStatus status, Map<CpuCounter, Long> counters) {
    }

    private Outcome run(String strategy, Kernel.ShootdownFactory factory, int cpus, ProcessBody init, String... settings)
            throws Exception {
        String[] all = new String[settings.length + 4];
        all[0] = "checking";
        all[1] = "true";
        all[2] = "shootdown.strategy";
        all[3] = strategy;
        System.arraycopy(settings, 0, all, 4, settings.length);
        try (Machine machine = TestMachines.boot(cpus, "32MiB", all)) {
            ExitStatus status;
            try (Kernel kernel = factory == null ? Kernel.boot(machine) : Kernel.boot(machine, factory)) {
                status = kernel.run(init, Duration.ofSeconds(60));
            }
            assertEquals(machine.config().frames(), machine.framePool().freeFramesQuiescent(), "every frame came back");
            return new Outcome(status, machine.countersTotal());
        }
    }

    /**
     * Two threads write a region continuously on two CPUs while the main thread forks children that hold
     * the pages shared for a while: every fork's write-protect must reach both writers.
     */
    private ProcessBody writersDuringForks(int rounds) {
        return sys -> {
            long a = sys.mmap(16 * PAGE, Vma.READ_WRITE);
            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong progress = new AtomicLong();
            int[] tids = new int[2];
            for (int t = 0; t < 2; t++) {
                final int me = t;
                tids[t] = sys.spawnThread(th -> {
                    long v = 0;
                    while (!stop.get()) {
                        for (int i = 0; i < 16; i++) {
                            th.storeLong(a + i * PAGE + 8 * me, ++v);
                        }
                        progress.incrementAndGet();
                    }
                });
            }
            long buf = sys.mmap(PAGE, Vma.READ_WRITE);
            for (int r = 0; r < rounds; r++) {
                int[] p = sys.pipe();
                int pid = sys.fork(c -> {
                    c.close(p[1]);   // so that a parent's death reads as end of file, not a hang
                    long first = c.loadLong(a);
                    c.read(p[0], buf, 1);
                    return c.loadLong(a) == first ? 0 : 1;
                });
                long seen = progress.get();
                while (progress.get() < seen + 20) {
                    sys.yield();
                }
                sys.write(p[1], buf, 1);
                ExitStatus cs = sys.waitpid(pid);
                check(cs.exitedNormally(), "round " + r + ": child " + cs);
                sys.close(p[0]);
                sys.close(p[1]);
            }
            stop.set(true);
            for (int tid : tids) {
                sys.joinThread(tid);
            }
            return 0;
        };
    }

    /**
     * Fail-fast mode: the first stale hit throws in the offending thread before its access lands, which
     * kills that process (a stale write left to land could corrupt a reused frame, even a page table).
     */
    @Test
    void theOracleCatchesAStrategyThatSkipsOneTarget() throws Exception {
        Outcome broken = run("targeted", SkipsOneTargetShootdown::new, 3, writersDuringForks(20), "checking.failfast", "true");
        assertTrue(broken.counters.get(CpuCounter.ORACLE_STALE_HITS) > 0,
                "the oracle must flag the stores through entries the broken strategy left behind");
        assertEquals(ExitStatus.Kind.CRASHED, broken.status.kind(), broken.status.toString());
        assertTrue(broken.status.message().contains("stale translation: cpu"), broken.status.message());
    }

    /**
     * Early acknowledgement's line: a target may acknowledge before it flushes only if it flushes before it runs
     * anything through its TLB again. A strategy that acknowledges and leaves the flush for later (what early-ack
     * would be with the line drawn wrong) is caught by the oracle in the scenario every real strategy passes,
     * early-ack included.
     */
    @Test
    void theOracleCatchesAnEarlyAcknowledgementThatFlushesTooLate() throws Exception {
        Outcome broken = run("targeted", AcksBeforeFlushingShootdown::new, 3, writersDuringForks(20), "checking.failfast", "true");
        assertTrue(broken.counters.get(CpuCounter.ORACLE_STALE_HITS) > 0,
                "the oracle must flag the stores through entries left in place after the acknowledgement");
        assertEquals(ExitStatus.Kind.CRASHED, broken.status.kind(), broken.status.toString());
    }

    /**
     * The content oracle (invariant 10) catches the broken strategy too: a thread keeps a writable entry
     * across its process's fork, the broken strategy leaves it, the thread's next store lands in the frame
     * the child shares, and the child's read disagrees with its model (what memory held at fork).
     */
    private ProcessBody storeAfterFork(mmsim.check.ContentOracle oracle, int rounds) {
        return sys -> {
            // the thread keeps CPU 1 to itself and the parent and child stay on CPU 0: the thread's TLB keeps its entry
            java.util.BitSet cpu0 = new java.util.BitSet();
            cpu0.set(0);
            java.util.BitSet cpu1 = new java.util.BitSet();
            cpu1.set(1);
            sys.schedSetaffinity(0, cpu0);
            for (int round = 0; round < rounds; round++) {
                long a = sys.mmap(PAGE, Vma.READ_WRITE);
                mmsim.check.MemoryModel model = new mmsim.check.MemoryModel();
                mmsim.check.MemoryModel.Region region = model.add(a, 1, true);
                AtomicInteger step = new AtomicInteger();
                int tid = sys.spawnThread(th -> {
                    th.schedSetaffinity(0, cpu1);
                    th.storeLong(region.address(0, 0), 1);   // a writable entry on this thread's CPU
                    step.set(1);
                    while (step.get() == 1) {
                        th.yield();                           // answers interrupts; keeps its CPU
                    }
                    th.storeLong(region.address(0, 0), 2);   // after fork returned: must not reach the child
                    step.set(3);
                });
                while (step.get() == 0) {
                    sys.yield();
                }
                region.stored(0, 0, 1);
                mmsim.check.MemoryModel childModel = model.copy();
                int[] p = sys.pipe();
                long buf = sys.mmap(PAGE, Vma.READ_WRITE);
                int pid = sys.fork(c -> {
                    c.read(p[0], buf, 1);
                    mmsim.check.MemoryModel.Region r = childModel.regions().get(0);
                    oracle.check(r.expected(0, 0), c.loadLong(r.address(0, 0)), "child's word after the parent's thread stored");
                    return 0;
                });
                step.set(2);
                while (step.get() != 3) {
                    sys.yield();
                }
                sys.write(p[1], buf, 1);
                sys.waitpid(pid);
                sys.joinThread(tid);
                sys.close(p[0]);
                sys.close(p[1]);
                sys.munmap(a, PAGE);
                sys.munmap(buf, PAGE);
            }
            return 0;
        };
    }

    /**
     * ASID-tagged TLBs: a context switch on the thread's CPU (the new child may run there for a moment)
     * must not flush the writable entry the broken strategy leaves behind, or the round proves nothing.
     */
    @Test
    void theContentOracleCatchesAStrategyThatSkipsOneTarget() throws Exception {
        mmsim.check.ContentOracle oracle = new mmsim.check.ContentOracle();
        run("targeted", SkipsOneTargetShootdown::new, 2, storeAfterFork(oracle, 20), "tlb.asid", "true", "sim.deterministic", "true");
        assertTrue(oracle.mismatches() > 0, "the child must see the store that went through the stale entry");
    }

    @ParameterizedTest
    @MethodSource("strategies")
    void theContentOracleScenarioPassesUnderEveryRealStrategy(String strategy) throws Exception {
        mmsim.check.ContentOracle oracle = new mmsim.check.ContentOracle();
        Outcome o = run(strategy, null, 2, storeAfterFork(oracle, 10));
        assertEquals(10, oracle.checks());
        assertEquals(java.util.List.of(), oracle.firstMismatches());
        assertEquals(0L, o.counters.get(CpuCounter.ORACLE_STALE_HITS));
    }

    @ParameterizedTest
    @MethodSource("strategies")
    void everyRealStrategyPassesTheScenarioThatCatchesTheBrokenOne(String strategy) throws Exception {
        Outcome o = run(strategy, null, 3, writersDuringForks(20));
        assertEquals(0L, o.counters.get(CpuCounter.ORACLE_STALE_HITS), strategy + ": stale hits");
        assertEquals(java.util.List.of(), java.util.List.copyOf(failures));
        assertTrue(o.status.exitedNormally() && o.status.code() == 0, o.status.toString());
    }

    /**
     * After munmap or mprotect returns, no CPU uses the old translation: a reader thread on another CPU
     * that cached the page faults (segfault for an unmapped page, and a writer for a read-only one),
     * except during LATR's documented lazy window after munmap, in which the frame is not reused.
     */
    @ParameterizedTest
    @MethodSource("strategies")
    void afterMprotectReturnsNoCpuCanStillWrite(String strategy) throws Exception {
        Outcome o = run(strategy, null, 3, sys -> {
            int child = sys.fork(c -> {
                long a = c.mmap(4 * PAGE, Vma.READ_WRITE);
                AtomicInteger phase = new AtomicInteger();
                AtomicLong writes = new AtomicLong();
                c.spawnThread(th -> {
                    while (true) {
                        th.storeLong(a, writes.incrementAndGet());   // keeps a writable entry on this CPU
                        if (phase.get() == 1) {
                            phase.set(2);
                        }
                    }
                });
                while (writes.get() < 100) {
                    c.yield();
                }
                c.mprotect(a, 4 * PAGE, Vma.READ);
                phase.set(1);
                while (true) {
                    c.yield();   // the writer's next store must fault and kill the process
                }
            });
            ExitStatus s = sys.waitpid(child);
            check(s.kind() == ExitStatus.Kind.SEGFAULT, strategy + ": the writer must fault once mprotect returned: " + s);
            return 0;
        });
        assertEquals(0L, o.counters.get(CpuCounter.ORACLE_STALE_HITS));
        assertEquals(java.util.List.of(), java.util.List.copyOf(failures));
    }

    @ParameterizedTest
    @MethodSource("strategies")
    void afterMunmapReturnsTheFrameIsNotReusedWhileAnyTlbMayStillReachIt(String strategy) throws Exception {
        Outcome o = run(strategy, null, 3, sys -> {
            for (int round = 0; round < 20; round++) {
                long a = sys.mmap(8 * PAGE, Vma.READ_WRITE);
                for (int i = 0; i < 8; i++) {
                    sys.storeLong(a + i * PAGE, round);
                }
                AtomicBoolean stop = new AtomicBoolean();
                int tid = sys.spawnThread(th -> {
                    while (!stop.get()) {
                        th.loadLong(a + 7 * PAGE);   // cache the translation on this CPU
                        th.yield();
                    }
                });
                sys.munmap(a, 4 * PAGE);             // pages the reader does not touch
                long b = sys.mmap(4 * PAGE, Vma.READ_WRITE);
                for (int i = 0; i < 4; i++) {
                    sys.storeLong(b + i * PAGE, -1);  // may reuse the freed frames
                }
                check(sys.loadLong(a + 7 * PAGE) == round, "the still-mapped page kept its data");
                stop.set(true);
                sys.joinThread(tid);
                sys.munmap(a + 4 * PAGE, 4 * PAGE);
                sys.munmap(b, 4 * PAGE);
            }
            return 0;
        });
        assertEquals(0L, o.counters.get(CpuCounter.ORACLE_STALE_HITS));
        assertEquals(java.util.List.of(), java.util.List.copyOf(failures));
        assertTrue(o.status.exitedNormally(), o.status.toString());
    }

    /** Many CPUs shooting down at each other at once all finish (no deadlock); bounded by the run's timeout. */
    @ParameterizedTest
    @MethodSource("strategies")
    void concurrentInitiatorsAllFinish(String strategy) throws Exception {
        Outcome o = run(strategy, null, 4, sys -> {
            long a = sys.mmap(64 * PAGE, Vma.READ_WRITE);
            for (int i = 0; i < 64; i++) {
                sys.storeLong(a + i * PAGE, i);
            }
            int[] tids = new int[4];
            for (int t = 0; t < 4; t++) {
                final int me = t;
                tids[t] = sys.spawnThread(th -> {
                    long mine = a + me * 16 * PAGE;
                    for (int k = 0; k < 200; k++) {
                        th.mprotect(mine, 16 * PAGE, Vma.READ);
                        th.loadLong(mine);
                        th.mprotect(mine, 16 * PAGE, Vma.READ_WRITE);
                        th.storeLong(mine + (k % 16) * PAGE, k);
                        th.madvise(mine + 15 * PAGE, PAGE, Sys.MADV_DONTNEED);
                    }
                });
            }
            for (int tid : tids) {
                sys.joinThread(tid);
            }
            return 0;
        });
        assertTrue(o.status.exitedNormally(), o.status.toString());
        assertEquals(0L, o.counters.get(CpuCounter.ORACLE_STALE_HITS));
        // an mprotect(READ) downgrades (and shoots down) unless the one page written since was page 15,
        // which the madvise at the end of that iteration dropped: 12 of every thread's 200 iterations
        assertEquals(4 * (200 - 12), o.counters.get(CpuCounter.SHOOTDOWNS_MPROTECT), "every write-protecting mprotect shot down");
        assertEquals(4 * 200, o.counters.get(CpuCounter.SHOOTDOWNS_MADVISE), "every madvise shot down");
    }

    /** linux: a CPU idle in lazy-TLB mode is skipped, and catches up by generation when its space runs again. */
    @Test
    void linuxSkipsLazyCpusAndTheyCatchUp() throws Exception {
        Outcome o = run("linux", null, 2, sys -> {
            long a = sys.mmap(8 * PAGE, Vma.READ_WRITE);
            for (int round = 0; round < 50; round++) {
                int[] p = sys.pipe();
                long buf = sys.mmap(PAGE, Vma.READ_WRITE);
                AtomicInteger step = new AtomicInteger();
                int tid = sys.spawnThread(th -> {
                    th.storeLong(a, 1);          // cache a writable entry on this CPU
                    step.set(1);
                    th.read(p[0], buf, 1);       // block: the CPU goes idle, lazy, with the space loaded
                    th.storeLong(a + 8, 2);      // back: must not write through a stale entry
                });
                while (step.get() == 0) {
                    sys.yield();
                }
                sys.mprotect(a, PAGE, Vma.READ);
                sys.mprotect(a, PAGE, Vma.READ_WRITE);
                sys.write(p[1], buf, 1);
                sys.joinThread(tid);
                sys.close(p[0]);
                sys.close(p[1]);
                sys.munmap(buf, PAGE);
            }
            return 0;
        });
        assertTrue(o.status.exitedNormally(), o.status.toString());
        assertEquals(0L, o.counters.get(CpuCounter.ORACLE_STALE_HITS));
        assertTrue(o.counters.get(CpuCounter.SHOOTDOWN_LAZY_SKIPPED) > 0, "lazy CPUs were skipped at least once");
    }

    /** Generations only grow: sampled across a run full of flushes. */
    @Test
    void tlbGenerationsNeverGoBackwards() throws Exception {
        AtomicLong violations = new AtomicLong();
        Outcome o = run("linux", null, 2, sys -> {
            long a = sys.mmap(16 * PAGE, Vma.READ_WRITE);
            long last = -1;
            for (int k = 0; k < 300; k++) {
                sys.mprotect(a, 16 * PAGE, Vma.READ_WRITE);
                sys.storeLong(a + (k % 16) * PAGE, k);
                sys.mprotect(a, 16 * PAGE, Vma.READ);
                long now = generationOf(sys);
                if (now < last) {
                    violations.incrementAndGet();
                }
                last = now;
            }
            check(last > 0, "mprotect advanced the generation");
            return 0;
        });
        assertEquals(0, violations.get());
        assertTrue(o.status.exitedNormally(), o.status.toString());
    }

    private static long generationOf(Sys sys) {
        return mmsim.kernel.KernelInspector.space(sys).tlbGeneration().get();
    }

    @Test
    void anUnknownStrategyNameIsRefusedWithTheKnownOnes() {
        try {
            Shootdowns.create("lazy", new mmsim.cpu.Cpu[0], new ShootdownStats(0));
            fail("accepted an unknown name");
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage().contains("hw-broadcast"), e.getMessage());
        }
    }
}
