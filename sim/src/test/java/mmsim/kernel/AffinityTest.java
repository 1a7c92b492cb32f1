package mmsim.kernel;

import static mmsim.kernel.KernelHarness.assertExited;

import java.util.BitSet;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import mmsim.paging.Vma;

/** sched_setaffinity and sched_getaffinity: the scheduler hands a thread only the CPUs it allows, at every grant. */
class AffinityTest {
    private static final long PAGE = 4096;
    private static final int ROUNDS = 300;
    /** Iterations a busy loop may take before a test calls the awaited event lost (seconds of host time). */
    private static final long SPIN_LIMIT = 200_000_000L;
    private final KernelHarness h = new KernelHarness();

    private static BitSet cpus(int... ids) {
        BitSet b = new BitSet();
        for (int id : ids) {
            b.set(id);
        }
        return b;
    }

    private static Errno errno(Runnable call) {
        try {
            call.run();
        } catch (SyscallException e) {
            return e.errno();
        }
        return null;
    }

    @ParameterizedTest
    @MethodSource("mmsim.kernel.KernelHarness#forks")
    void affinityKeepsThreadOnItsCpu(String fork) throws Exception {
        ExitStatus s = h.run(2, "16MiB", fork, sys -> {
            long buf = sys.mmap(4 * PAGE, Vma.READ_WRITE);
            int[] ping = sys.pipe();
            int[] pong = sys.pipe();
            int[] hogs = new int[2];
            for (int i = 0; i < hogs.length; i++) {
                final int slot = i;
                hogs[i] = sys.fork(c -> {
                    for (int k = 0; k < 4 * ROUNDS; k++) {
                        c.storeLong(buf + 8L * slot, k);
                        c.yield();
                    }
                    return 0;
                });
            }
            int pinned = sys.spawnThread(th -> {
                th.schedSetaffinity(0, cpus(1));
                int elsewhere = 0;
                for (int r = 0; r < ROUNDS; r++) {
                    elsewhere += th.cpuId() == 1 ? 0 : 1;
                    th.yield();
                    elsewhere += th.cpuId() == 1 ? 0 : 1;
                    th.read(ping[0], buf + PAGE, 8);          // blocks until the partner on CPU 0 writes
                    elsewhere += th.cpuId() == 1 ? 0 : 1;
                    th.storeLong(buf + PAGE + 8, th.loadLong(buf + PAGE) + 1);
                    th.write(pong[1], buf + PAGE + 8, 8);
                    elsewhere += th.cpuId() == 1 ? 0 : 1;
                }
                h.checkEquals(0, elsewhere, "times the thread pinned to CPU 1 found itself on another CPU");
            });
            sys.schedSetaffinity(0, cpus(0));
            int elsewhere = 0;
            for (int r = 0; r < ROUNDS; r++) {
                elsewhere += sys.cpuId() == 0 ? 0 : 1;
                sys.storeLong(buf + 2 * PAGE, r);
                sys.write(ping[1], buf + 2 * PAGE, 8);
                sys.read(pong[0], buf + 2 * PAGE, 8);       // blocks until the pinned thread answers
                elsewhere += sys.cpuId() == 0 ? 0 : 1;
                h.checkEquals(r + 1, sys.loadLong(buf + 2 * PAGE), "the pinned thread's answer in round " + r);
                sys.yield();
            }
            h.checkEquals(0, elsewhere, "times the thread pinned to CPU 0 found itself on another CPU");
            sys.joinThread(pinned);
            for (int hog : hogs) {
                h.check(sys.waitpid(hog).exitedNormally(), "the competing process finished");
            }
            return 0;
        });
        assertExited(0, s);
    }

    @ParameterizedTest
    @MethodSource("mmsim.kernel.KernelHarness#forks")
    void aPinnedThreadWaitsForItsCpuEvenWhileAnotherIsIdle(String fork) throws Exception {
        ExitStatus s = h.run(2, "16MiB", fork, sys -> {
            long flag = sys.mmap(PAGE, Vma.READ_WRITE);
            int busy = sys.spawnThread(th -> {
                th.schedSetaffinity(0, cpus(1));
                th.storeLong(flag + 8, 1);   // on CPU 1 now: the other thread may pin itself
                long spins = 0;
                long elsewhere = 0;
                while (th.loadLong(flag) == 0 && ++spins < SPIN_LIMIT) {
                    elsewhere += th.cpuId() == 1 ? 0 : 1;
                }
                h.check(spins < SPIN_LIMIT, "the second thread pinned to CPU 1 never ran: the tick did not preempt the busy one");
                h.checkEquals(0, elsewhere, "iterations the busy thread pinned to CPU 1 ran elsewhere");
            });
            long spins = 0;
            while (sys.loadLong(flag + 8) == 0 && ++spins < SPIN_LIMIT) {
                sys.yield();
            }
            int late = sys.spawnThread(th -> {
                th.schedSetaffinity(0, cpus(1));
                h.checkEquals(1, th.cpuId(), "the late thread runs on CPU 1 (CPU 0 is idle, and not its own)");
                th.storeLong(flag, 1);
            });
            sys.joinThread(late);
            sys.joinThread(busy);
            return 0;
        });
        assertExited(0, s);
    }

    @ParameterizedTest
    @MethodSource("mmsim.kernel.KernelHarness#forks")
    void settingTheAffinityMovesTheCallerBeforeItReturns(String fork) throws Exception {
        ExitStatus s = h.run(3, "16MiB", fork, sys -> {
            h.checkEquals(3, sys.schedGetaffinity(0).cardinality(), "init may run on every CPU");
            for (int round = 0; round < 20; round++) {
                int cpu = round % 3;
                sys.schedSetaffinity(0, cpus(cpu));
                h.checkEquals(cpu, sys.cpuId(), "after pinning to CPU " + cpu);
                h.check(sys.schedGetaffinity(0).equals(cpus(cpu)), "getaffinity reads back {" + cpu + "}");
            }
            sys.schedSetaffinity(0, cpus(0, 2));
            h.check(sys.cpuId() != 1, "after allowing CPUs 0 and 2 the caller is not on CPU 1");
            sys.schedSetaffinity(sys.gettid(), cpus(1));
            h.checkEquals(1, sys.cpuId(), "its own tid names the caller too");
            return 0;
        });
        assertExited(0, s);
    }

    @ParameterizedTest
    @MethodSource("mmsim.kernel.KernelHarness#forks")
    void settingAnotherThreadsAffinityMovesItBeforeTheCallReturns(String fork) throws Exception {
        ExitStatus s = h.run(2, "16MiB", fork, sys -> {
            long flag = sys.mmap(PAGE, Vma.READ_WRITE);
            sys.schedSetaffinity(0, cpus(0));
            int target = sys.spawnThread(th -> {
                th.schedSetaffinity(0, cpus(1));
                th.storeLong(flag + 8, 1);
                long spins = 0;
                while (th.loadLong(flag) == 0 && ++spins < SPIN_LIMIT) {
                    // busy on CPU 1: it leaves only when its affinity makes it
                }
                h.check(spins < SPIN_LIMIT, "the flag never came");
                // the flag was stored after the call returned: this thread saw it on the CPU it was moved to
                h.checkEquals(0, th.cpuId(), "the moved thread runs on CPU 0");
            });
            long spins = 0;
            while (sys.loadLong(flag + 8) == 0 && ++spins < SPIN_LIMIT) {
                sys.yield();
            }
            sys.schedSetaffinity(target, cpus(0));
            h.check(sys.schedGetaffinity(target).equals(cpus(0)), "the target's set reads back");
            sys.storeLong(flag, 1);
            sys.joinThread(target);   // CPU 0 goes to the target, which must not run on CPU 1 again
            return 0;
        });
        assertExited(0, s);
    }

    @ParameterizedTest
    @MethodSource("mmsim.kernel.KernelHarness#forks")
    void affinityIsInheritedByForkAndThreadsAndKeptByExec(String fork) throws Exception {
        ExitStatus s = h.run(3, "16MiB", fork, sys -> {
            sys.schedSetaffinity(0, cpus(1, 2));
            int child = sys.fork(c -> {
                h.check(c.schedGetaffinity(0).equals(cpus(1, 2)), "the child inherits the caller's set: " + c.schedGetaffinity(0));
                h.check(c.cpuId() != 0, "the child never runs on CPU 0");
                c.exec(img -> {
                    h.check(img.schedGetaffinity(0).equals(cpus(1, 2)), "exec keeps the set");
                    return img.cpuId() != 0 ? 0 : 1;
                }, new Segment(PAGE, Vma.READ_WRITE));
                return 2;
            });
            int thread = sys.spawnThread(th -> {
                h.check(th.schedGetaffinity(0).equals(cpus(1, 2)), "a thread inherits its creator's set");
                h.check(th.cpuId() != 0, "the thread never runs on CPU 0");
            });
            sys.joinThread(thread);
            KernelHarness.assertExited(0, sys.waitpid(child));
            return 0;
        });
        assertExited(0, s);
    }

    @ParameterizedTest
    @MethodSource("mmsim.kernel.KernelHarness#forks")
    void badAffinityCallsFailAndChangeNothing(String fork) throws Exception {
        ExitStatus s = h.run(2, "16MiB", fork, sys -> {
            sys.schedSetaffinity(0, cpus(1));
            h.checkEquals(Errno.EINVAL.ordinal(), errno(() -> sys.schedSetaffinity(0, new BitSet())).ordinal(), "an empty set");
            h.checkEquals(Errno.EINVAL.ordinal(), errno(() -> sys.schedSetaffinity(0, cpus(5))).ordinal(), "a set of no existing CPU");
            h.checkEquals(Errno.EFAULT.ordinal(), errno(() -> sys.schedSetaffinity(0, null)).ordinal(), "no set at all");
            h.checkEquals(Errno.ESRCH.ordinal(), errno(() -> sys.schedSetaffinity(424242, cpus(0))).ordinal(), "a missing thread");
            h.checkEquals(Errno.ESRCH.ordinal(), errno(() -> sys.schedGetaffinity(424242)).ordinal(), "a missing thread");
            h.check(sys.schedGetaffinity(0).equals(cpus(1)), "the failed calls changed nothing");
            h.checkEquals(1, sys.cpuId(), "the caller stayed on CPU 1");
            sys.schedSetaffinity(0, cpus(0, 7));
            h.check(sys.schedGetaffinity(0).equals(cpus(0)), "CPUs the machine lacks are dropped");
            h.checkEquals(0, sys.cpuId(), "the caller moved to CPU 0");
            int done = sys.spawnThread(th -> { });
            sys.joinThread(done);
            h.checkEquals(Errno.ESRCH.ordinal(), errno(() -> sys.schedGetaffinity(done)).ordinal(), "a finished thread");
            return 0;
        });
        assertExited(0, s);
    }
}
