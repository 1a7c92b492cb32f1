package mmsim.kernel;

import static mmsim.kernel.KernelHarness.assertExited;

import java.util.BitSet;
import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import mmsim.paging.Vma;
import mmsim.stats.CpuCounter;

/** getrusage: each process's own faults and shootdowns, and its reaped descendants'. */
class RusageTest {
    private static final long PAGE = 4096;
    private static final int PAGES = 8;
    /** Iterations a loop may take before a test calls the awaited event lost (seconds of host time). */
    private static final long SPIN_LIMIT = 100_000_000L;
    private final KernelHarness h = new KernelHarness();

    /** Copy-on-write copies a process makes writing PAGES pages it shares with its parent. */
    private static int copiesFor(String fork) {
        return fork.startsWith("eager") ? 0 : PAGES;
    }

    private static Errno errno(Runnable call) {
        try {
            call.run();
        } catch (SyscallException e) {
            return e.errno();
        }
        return null;
    }

    /** Writes every page of the region once. */
    private static void touch(Sys sys, long region, long value) {
        for (int p = 0; p < PAGES; p++) {
            sys.storeLong(region + p * PAGE, value + p);
        }
    }

    @ParameterizedTest
    @MethodSource("mmsim.kernel.KernelHarness#forks")
    void rusageCountsAChildsCowFaults(String fork) throws Exception {
        ExitStatus s = h.run(2, "16MiB", fork, sys -> {
            long region = sys.mmap(PAGES * PAGE, Vma.READ_WRITE);
            touch(sys, region, 100);
            Rusage before = sys.getrusage(Sys.RUSAGE_SELF);
            h.checkEquals(PAGES, before.get(CpuCounter.FAULTS_DEMAND_ZERO), "the parent's own first touches");
            int[] go = sys.pipe();
            int child = sys.fork(c -> {
                touch(c, region, 200);
                Rusage self = c.getrusage(Sys.RUSAGE_SELF);
                h.checkEquals(copiesFor(fork), self.get(CpuCounter.FAULTS_COW_COPY), "the child's own copies: " + self);
                h.checkEquals(0, self.get(CpuCounter.FAULTS_DEMAND_ZERO), "the child touched no new page: " + self);
                h.checkEquals(0, c.getrusage(Sys.RUSAGE_CHILDREN).get(CpuCounter.FAULTS_COW_COPY), "the child reaped nobody");
                c.read(go[0], region, 1);
                return 0;
            });
            h.checkEquals(0, sys.getrusage(Sys.RUSAGE_CHILDREN).get(CpuCounter.FAULTS_COW_COPY), "an unreaped child counts for nothing");
            sys.write(go[1], region, 1);
            assertExited(0, sys.waitpid(child));
            Rusage children = sys.getrusage(Sys.RUSAGE_CHILDREN);
            h.checkEquals(copiesFor(fork), children.get(CpuCounter.FAULTS_COW_COPY), "the reaped child's copies: " + children);
            h.check(children.get(CpuCounter.CONTEXT_SWITCHES) > 0, "the child was scheduled: " + children);
            Rusage self = sys.getrusage(Sys.RUSAGE_SELF);
            h.checkEquals(0, self.get(CpuCounter.FAULTS_COW_COPY), "none of the child's copies is the parent's: " + self);
            h.checkEquals(1, self.get(CpuCounter.FORKS), "the parent's fork: " + self);
            return 0;
        });
        assertExited(0, s);
    }

    @ParameterizedTest
    @MethodSource("mmsim.kernel.KernelHarness#forks")
    void childrenUsageIncludesGrandchildrenTheirParentsReaped(String fork) throws Exception {
        ExitStatus s = h.run(2, "16MiB", fork, sys -> {
            long region = sys.mmap(PAGES * PAGE, Vma.READ_WRITE);
            touch(sys, region, 100);
            int child = sys.fork(c -> {
                int grandchild = c.fork(g -> {
                    touch(g, region, 300);
                    return 0;
                });
                assertExited(0, c.waitpid(grandchild));
                h.checkEquals(copiesFor(fork), c.getrusage(Sys.RUSAGE_CHILDREN).get(CpuCounter.FAULTS_COW_COPY),
                        "the child's reaped grandchild's copies");
                return 0;
            });
            assertExited(0, sys.waitpid(child));
            Rusage children = sys.getrusage(Sys.RUSAGE_CHILDREN);
            h.checkEquals(copiesFor(fork), children.get(CpuCounter.FAULTS_COW_COPY), "the grandchild's copies, through the child: " + children);
            h.checkEquals(1, children.get(CpuCounter.FORKS), "the child's fork (the grandchild forked nothing): " + children);
            return 0;
        });
        assertExited(0, s);
    }

    static Stream<String> interruptingStrategies() {
        return Stream.of("broadcast", "targeted", "linux", "latr", "batched").map(s -> "cow/" + s);
    }

    @ParameterizedTest
    @MethodSource("interruptingStrategies")
    void rusageCountsShootdownsInitiatedAndReceived(String machine) throws Exception {
        ExitStatus s = h.run(2, "16MiB", machine, sys -> {
            long page = sys.mmap(PAGE, Vma.READ_WRITE);
            long flags = sys.mmap(PAGE, Vma.READ_WRITE);
            BitSet cpu0 = new BitSet();
            cpu0.set(0);
            BitSet cpu1 = new BitSet();
            cpu1.set(1);
            sys.schedSetaffinity(0, cpu0);
            sys.storeLong(page, 1);
            int reader = sys.spawnThread(th -> {
                th.schedSetaffinity(0, cpu1);
                long spins = 0;
                th.storeLong(flags + 8, 1);
                while (th.loadLong(flags) == 0 && ++spins < SPIN_LIMIT) {
                    th.loadLong(page);   // keeps the page's translation in CPU 1's TLB
                }
                h.check(spins < SPIN_LIMIT, "the reader never saw the flag");
            });
            long spins = 0;
            while (sys.loadLong(flags + 8) == 0 && ++spins < SPIN_LIMIT) {
                sys.yield();
            }
            sys.mprotect(page, PAGE, Vma.READ);   // the reader runs on CPU 1 with the space loaded: it is interrupted
            sys.storeLong(flags, 1);
            sys.joinThread(reader);
            Rusage self = sys.getrusage(Sys.RUSAGE_SELF);
            h.check(self.get(CpuCounter.SHOOTDOWNS) >= 1, "the process initiated the shootdown: " + self);
            h.check(self.get(CpuCounter.SHOOTDOWN_IPIS_SENT) >= 1, "and sent an interrupt: " + self);
            h.check(self.get(CpuCounter.SHOOTDOWN_IPIS_RECEIVED) >= 1, "its reader received it: " + self);
            return 0;
        });
        assertExited(0, s);
    }

    /**
     * A process's own usage is its threads' together, each counted once: one that ended, one blocked (counted up to
     * its last context switch) and the caller; after the rest end and the process is reaped, its parent's children's
     * usage holds every thread's, the blocked one's later faults included.
     */
    @ParameterizedTest
    @MethodSource("mmsim.kernel.KernelHarness#forks")
    void aProcesssOwnUsageCountsEachOfItsThreadsOnce(String fork) throws Exception {
        ExitStatus s = h.run(2, "16MiB", fork, sys -> {
            int child = sys.fork(c -> {
                long ended = c.mmap(PAGES * PAGE, Vma.READ_WRITE);
                long blocked = c.mmap(2 * PAGES * PAGE, Vma.READ_WRITE);
                long own = c.mmap(PAGES * PAGE, Vma.READ_WRITE);
                int[] ready = c.pipe();
                int[] go = c.pipe();
                int first = c.spawnThread(t -> touch(t, ended, 1));
                int second = c.spawnThread(t -> {
                    touch(t, blocked, 2);
                    t.write(ready[1], blocked, 1);
                    t.read(go[0], blocked, 1);
                    touch(t, blocked + PAGES * PAGE, 3);
                });
                c.joinThread(first);
                c.read(ready[0], own, 1);
                touch(c, own, 4);
                Rusage self = c.getrusage(Sys.RUSAGE_SELF);
                h.checkEquals(3 * PAGES, self.get(CpuCounter.FAULTS_DEMAND_ZERO),
                        "the ended thread's, the blocked thread's and the caller's first touches: " + self);
                c.write(go[1], own, 1);
                c.joinThread(second);
                h.checkEquals(4 * PAGES, c.getrusage(Sys.RUSAGE_SELF).get(CpuCounter.FAULTS_DEMAND_ZERO),
                        "with the second thread's later touches");
                return 0;
            });
            assertExited(0, sys.waitpid(child));
            h.checkEquals(4 * PAGES, sys.getrusage(Sys.RUSAGE_CHILDREN).get(CpuCounter.FAULTS_DEMAND_ZERO),
                    "the reaped child's threads, each once");
            return 0;
        });
        assertExited(0, s);
    }

    @ParameterizedTest
    @MethodSource("mmsim.kernel.KernelHarness#forks")
    void aKilledChildsUsageStillReachesItsParent(String fork) throws Exception {
        ExitStatus s = h.run(2, "16MiB", fork, sys -> {
            long region = sys.mmap(PAGES * PAGE, Vma.READ_WRITE);
            touch(sys, region, 100);
            int[] ready = sys.pipe();
            int[] never = sys.pipe();
            int child = sys.fork(c -> {
                touch(c, region, 200);
                c.write(ready[1], region, 1);
                c.read(never[0], region, 1);
                return 0;
            });
            sys.read(ready[0], region, 1);
            sys.kill(child, Signals.SIGKILL);
            h.check(sys.waitpid(child).signal() == Signals.SIGKILL, "the child was killed");
            h.checkEquals(copiesFor(fork), sys.getrusage(Sys.RUSAGE_CHILDREN).get(CpuCounter.FAULTS_COW_COPY),
                    "the killed child's copies");
            h.checkEquals(Errno.EINVAL.ordinal(), errno(() -> sys.getrusage(1)).ordinal(), "RUSAGE_THREAD is not modelled");
            return 0;
        });
        assertExited(0, s);
    }
}
