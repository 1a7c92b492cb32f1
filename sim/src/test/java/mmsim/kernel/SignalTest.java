package mmsim.kernel;

import static mmsim.kernel.KernelHarness.assertExited;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import mmsim.paging.Vma;

/** kill(2) with the default actions of the modelled signals, and the status waitpid reports for each way a process ends. */
class SignalTest {
    private static final long PAGE = 4096;
    /** Iterations a loop may take before a test calls the awaited kill lost (seconds of host time). */
    private static final long SPIN_LIMIT = 100_000_000L;
    /** What a child returns when a loop that only a signal should end ran out. */
    private static final int OUTLIVED_THE_SIGNAL = 99;
    private final KernelHarness h = new KernelHarness();

    private static Errno errno(Runnable call) {
        try {
            call.run();
        } catch (SyscallException e) {
            return e.errno();
        }
        return null;
    }

    private void checkKilledBy(int signal, ExitStatus s, String what) {
        h.check(s.kind() == ExitStatus.Kind.SIGNALED && s.signal() == signal && s.killedBySignal() && !s.exitedNormally()
                && s.code() == -1, what + ": expected killed by signal " + signal + ", got " + s);
        h.check(s.toString().contains("killed by signal " + signal), what + ": the status says so: " + s);
    }

    /** Waits until the child has written one byte to {@code fd}: it is running its body. */
    private static void awaitStarted(Sys sys, int fd, long buf) {
        sys.read(fd, buf, 1);
    }

    @ParameterizedTest
    @MethodSource("mmsim.kernel.KernelHarness#forks")
    void sigkillStatusReachesWaitpid(String fork) throws Exception {
        ExitStatus s = h.run(2, "16MiB", fork, sys -> {
            long buf = sys.mmap(PAGE, Vma.READ_WRITE);
            int[] started = sys.pipe();
            int spinner = sys.fork(c -> {
                c.write(started[1], buf, 1);
                for (long i = 0; i < SPIN_LIMIT; i++) {
                    c.storeLong(buf + 8, i);   // running on a CPU: only memory accesses, no system call
                }
                return OUTLIVED_THE_SIGNAL;
            });
            int yielder = sys.fork(c -> {
                c.write(started[1], buf, 1);
                for (long i = 0; i < SPIN_LIMIT; i++) {
                    c.yield();
                }
                return OUTLIVED_THE_SIGNAL;
            });
            awaitStarted(sys, started[0], buf);
            awaitStarted(sys, started[0], buf);
            sys.kill(spinner, Signals.SIGKILL);
            sys.kill(yielder, Signals.SIGKILL);
            checkKilledBy(Signals.SIGKILL, sys.waitpid(spinner), "a child running user code");
            checkKilledBy(Signals.SIGKILL, sys.waitpid(yielder), "a child yielding in a loop");
            return 0;
        });
        assertExited(0, s);
    }

    @ParameterizedTest
    @MethodSource("mmsim.kernel.KernelHarness#forks")
    void sigtermStopsABlockedWorker(String fork) throws Exception {
        ExitStatus s = h.run(2, "16MiB", fork, sys -> {
            long buf = sys.mmap(PAGE, Vma.READ_WRITE);
            int[] started = sys.pipe();
            int[] requests = sys.pipe();
            int reader = sys.fork(c -> {
                c.write(started[1], buf, 1);
                c.read(requests[0], buf, 8);   // blocks: nobody writes
                return OUTLIVED_THE_SIGNAL;
            });
            int threaded = sys.fork(c -> {
                int blocked = c.spawnThread(th -> th.read(requests[0], buf, 8));
                int spinning = c.spawnThread(th -> {
                    for (long i = 0; i < SPIN_LIMIT; i++) {
                        th.storeLong(buf, i);
                    }
                });
                int grandchild = c.fork(g -> {
                    g.close(requests[1]);
                    g.read(requests[0], buf, 8);   // outlives its parent: init adopts it
                    return 5;
                });
                c.write(started[1], buf, 1);
                c.joinThread(blocked);             // the main thread blocks in joinThread, one thread in read, one spins
                c.joinThread(spinning);
                c.waitpid(grandchild);
                return OUTLIVED_THE_SIGNAL;
            });
            awaitStarted(sys, started[0], buf);
            awaitStarted(sys, started[0], buf);
            sys.kill(reader, Signals.SIGTERM);
            sys.kill(threaded, Signals.SIGTERM);
            checkKilledBy(Signals.SIGTERM, sys.waitpid(reader), "a worker blocked in read");
            checkKilledBy(Signals.SIGTERM, sys.waitpid(threaded), "a process with threads blocked, spinning and joining");
            sys.close(requests[1]);   // the adopted grandchild reads end of file
            Sys.Waited orphan = sys.waitAny();
            assertExited(5, orphan.status());
            return 0;
        });
        assertExited(0, s);
    }

    @ParameterizedTest
    @MethodSource("mmsim.kernel.KernelHarness#forks")
    void killOfAMissingPidIsEsrch(String fork) throws Exception {
        ExitStatus s = h.run(2, "16MiB", fork, sys -> {
            h.checkEquals(Errno.ESRCH.ordinal(), errno(() -> sys.kill(424242, Signals.SIGTERM)).ordinal(), "a pid never used");
            h.checkEquals(Errno.ESRCH.ordinal(), errno(() -> sys.kill(424242, 0)).ordinal(), "probing a pid never used");
            int child = sys.fork(c -> 3);
            assertExited(3, sys.waitpid(child));
            h.checkEquals(Errno.ESRCH.ordinal(), errno(() -> sys.kill(child, Signals.SIGKILL)).ordinal(), "a reaped child");
            return 0;
        });
        assertExited(0, s);
    }

    @ParameterizedTest
    @MethodSource("mmsim.kernel.KernelHarness#forks")
    void badSignalsAndProbesChangeNothing(String fork) throws Exception {
        ExitStatus s = h.run(2, "16MiB", fork, sys -> {
            long buf = sys.mmap(PAGE, Vma.READ_WRITE);
            int[] go = sys.pipe();
            int child = sys.fork(c -> {
                c.read(go[0], buf, 1);
                return 7;
            });
            h.checkEquals(Errno.EINVAL.ordinal(), errno(() -> sys.kill(child, 2)).ordinal(), "SIGINT is not modelled");
            h.checkEquals(Errno.EINVAL.ordinal(), errno(() -> sys.kill(child, 65)).ordinal(), "no signal 65");
            h.checkEquals(Errno.EINVAL.ordinal(), errno(() -> sys.kill(child, -1)).ordinal(), "no negative signal");
            h.checkEquals(Errno.EINVAL.ordinal(), errno(() -> sys.kill(0, Signals.SIGTERM)).ordinal(), "no process groups");
            h.checkEquals(Errno.EINVAL.ordinal(), errno(() -> sys.kill(-1, Signals.SIGTERM)).ordinal(), "no broadcast");
            sys.kill(child, 0);                  // the probe: it exists
            sys.kill(child, Signals.SIGCHLD);    // ignored by default
            sys.write(go[1], buf, 1);
            assertExited(7, sys.waitpid(child));
            return 0;
        });
        assertExited(0, s);
    }

    @ParameterizedTest
    @MethodSource("mmsim.kernel.KernelHarness#forks")
    void aZombieTakesSignalsAndKeepsItsStatus(String fork) throws Exception {
        ExitStatus s = h.run(2, "16MiB", fork, sys -> {
            int child = sys.fork(c -> 7);
            long spins = 0;
            while (!h.kernel.processes.find(child).exited && ++spins < SPIN_LIMIT) {
                sys.yield();
            }
            h.check(spins < SPIN_LIMIT, "the child never became a zombie");
            sys.kill(child, 0);
            sys.kill(child, Signals.SIGKILL);
            assertExited(7, sys.waitpid(child));
            return 0;
        });
        assertExited(0, s);
    }

    @ParameterizedTest
    @MethodSource("mmsim.kernel.KernelHarness#forks")
    void initIgnoresSignalsAndAProcessMayKillItself(String fork) throws Exception {
        ExitStatus s = h.run(2, "16MiB", fork, sys -> {
            int child = sys.fork(c -> {
                c.kill(1, Signals.SIGKILL);        // discarded: init has no handler
                c.kill(c.getpid(), Signals.SIGTERM);
                return OUTLIVED_THE_SIGNAL;        // not reached: the kill does not return
            });
            checkKilledBy(Signals.SIGTERM, sys.waitpid(child), "a process that signalled itself");
            sys.kill(sys.getpid(), Signals.SIGKILL);
            return 0;
        });
        assertExited(0, s);
    }

    @ParameterizedTest
    @MethodSource("mmsim.kernel.KernelHarness#forks")
    void everyWayOfDyingReportsItsSignal(String fork) throws Exception {
        ExitStatus s = h.run(2, "16MiB", fork, sys -> {
            long ro = sys.mmap(PAGE, Vma.READ);
            int segv = sys.fork(c -> {
                c.storeLong(ro, 1);
                return OUTLIVED_THE_SIGNAL;
            });
            ExitStatus fault = sys.waitpid(segv);
            h.check(fault.kind() == ExitStatus.Kind.SEGFAULT && fault.signal() == Signals.SIGSEGV && fault.killedBySignal(),
                    "a segfault is killed by signal 11: " + fault);
            int crash = sys.fork(c -> {
                throw new IllegalStateException("a body that throws");
            });
            ExitStatus crashed = sys.waitpid(crash);
            h.check(crashed.kind() == ExitStatus.Kind.CRASHED && crashed.signal() == Signals.SIGABRT,
                    "a crashed body is killed by SIGABRT, as abort(3): " + crashed);
            int sent = sys.fork(c -> {
                c.kill(c.getpid(), Signals.SIGSEGV);
                return OUTLIVED_THE_SIGNAL;
            });
            checkKilledBy(Signals.SIGSEGV, sys.waitpid(sent), "a SIGSEGV sent with kill");
            int exited = sys.fork(c -> 4);
            ExitStatus normal = sys.waitpid(exited);
            h.check(normal.exitedNormally() && !normal.killedBySignal() && normal.signal() == 0 && normal.code() == 4,
                    "a normal exit has no signal: " + normal);
            return 0;
        });
        assertExited(0, s);
    }

    @ParameterizedTest
    @MethodSource("mmsim.kernel.KernelHarness#forks")
    void anOutOfMemoryKillReportsSigkill(String fork) throws Exception {
        ExitStatus s = h.run(2, "8MiB", fork, sys -> {
            int hog = sys.fork(c -> {
                long big = c.mmap(64L << 20, Vma.READ_WRITE);
                for (long off = 0; off < (64L << 20); off += PAGE) {
                    c.storeLong(big + off, off);
                }
                return OUTLIVED_THE_SIGNAL;
            });
            ExitStatus oom = sys.waitpid(hog);
            h.check(oom.kind() == ExitStatus.Kind.OUT_OF_MEMORY && oom.signal() == Signals.SIGKILL,
                    "the OOM killer's victim is killed by SIGKILL: " + oom);
            return 0;
        });
        assertExited(0, s);
        assertEquals(ExitStatus.Kind.EXITED, s.kind());
    }
}
