package mmsim.kernel;

import static mmsim.kernel.KernelHarness.assertExited;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import mmsim.paging.Vma;

/** Orphans: init adopts them, waits for them and sees their real status; zombies nobody reaps never hold the run. */
class OrphanTest {
    private static final long PAGE = 4096;
    /** Iterations a loop may take before a test calls the awaited state lost (seconds of host time). */
    private static final long SPIN_LIMIT = 10_000_000L;
    private final KernelHarness h = new KernelHarness();

    private static Errno errno(Runnable call) {
        try {
            call.run();
        } catch (SyscallException e) {
            return e.errno();
        }
        return null;
    }

    @ParameterizedTest
    @MethodSource("mmsim.kernel.KernelHarness#machines")
    void orphanIsReapedByInitWithItsStatus(String machine) throws Exception {
        ExitStatus s = h.run(2, "16MiB", machine, sys -> {
            long buf = sys.mmap(PAGE, Vma.READ_WRITE);
            int[] go = sys.pipe();
            int[] pids = sys.pipe();
            int mid = sys.fork(c -> {
                c.storeLong(buf, 0x5eed);
                int exits = c.fork(g -> {
                    g.close(go[1]);
                    g.read(go[0], buf + 8, 1);   // outlives its parent
                    h.checkEquals(1, g.getppid(), "an adopted orphan's parent is init");
                    return g.loadLong(buf) == 0x5eed ? 42 : 1;
                });
                int killed = c.fork(g -> {
                    g.close(go[1]);
                    g.read(go[0], buf + 8, 1);
                    return 0;
                });
                c.storeLong(buf + 16, exits);
                c.storeLong(buf + 24, killed);
                c.write(pids[1], buf + 16, 16);
                return 0;
            });
            assertExited(0, sys.waitpid(mid));
            h.checkEquals(16, sys.read(pids[0], buf + 16, 16), "the middle process sent its children's pids");
            int exits = (int) sys.loadLong(buf + 16);
            int killed = (int) sys.loadLong(buf + 24);
            sys.kill(killed, Signals.SIGKILL);
            ExitStatus k = sys.waitpid(killed);
            h.check(k.kind() == ExitStatus.Kind.SIGNALED && k.signal() == Signals.SIGKILL, "init sees the orphan it killed: " + k);
            sys.write(go[1], buf, 1);
            Sys.Waited w = sys.waitAny();
            h.checkEquals(exits, w.pid(), "waitAny in init finds the adopted orphan");
            assertExited(42, w.status());
            h.checkEquals(Errno.ECHILD.ordinal(), errno(sys::waitAny).ordinal(), "nothing left to wait for");
            return 0;
        });
        assertExited(0, s);
    }

    @ParameterizedTest
    @MethodSource("mmsim.kernel.KernelHarness#forks")
    void aZombieOrphanIsAdoptedWithItsStatus(String fork) throws Exception {
        ExitStatus s = h.run(2, "16MiB", fork, sys -> {
            long buf = sys.mmap(PAGE, Vma.READ_WRITE);
            int[] pids = sys.pipe();
            int mid = sys.fork(c -> {
                int zombie = c.fork(g -> 42);
                long spins = 0;
                while (!h.kernel.processes.find(zombie).exited && ++spins < SPIN_LIMIT) {
                    c.yield();
                }
                h.check(spins < SPIN_LIMIT, "the grandchild never became a zombie");
                c.storeLong(buf, zombie);
                c.write(pids[1], buf, 8);
                return 0;   // exits without reaping it
            });
            assertExited(0, sys.waitpid(mid));
            sys.read(pids[0], buf, 8);
            assertExited(42, sys.waitpid((int) sys.loadLong(buf)));
            return 0;
        });
        assertExited(0, s);
    }

    @ParameterizedTest
    @MethodSource("mmsim.kernel.KernelHarness#forks")
    void zombiesNobodyReapsDoNotHoldTheRun(String fork) throws Exception {
        ExitStatus s = h.run(2, "16MiB", fork, sys -> {
            long buf = sys.mmap(PAGE, Vma.READ_WRITE);
            int[] hold = sys.pipe();
            for (int i = 0; i < 3; i++) {
                sys.fork(c -> 7);   // zombies of init, never reaped
            }
            sys.fork(c -> {
                c.fork(g -> {
                    g.close(hold[1]);
                    g.read(hold[0], buf, 1);   // end of file once init and its parent are gone
                    return 0;
                });
                c.fork(g -> 9);               // a zombie orphan, perhaps adopted, never reaped
                return 0;
            });
            return 0;   // init exits first: its children and their orphans have nobody to reap them
        });
        assertExited(0, s);
    }
}
