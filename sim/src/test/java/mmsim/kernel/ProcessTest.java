package mmsim.kernel;

import static mmsim.kernel.KernelHarness.assertExited;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import mmsim.paging.Vma;

/** Faults that kill, pipes, exec, threads, mapping changes: for every fork strategy. */
class ProcessTest {
    private static final long PAGE = 4096;
    private final KernelHarness h = new KernelHarness();

    @ParameterizedTest
    @MethodSource("mmsim.kernel.KernelHarness#machines")
    void aWriteToAReadOnlyPageKillsOnlyThatProcess(String fork) throws Exception {
        ExitStatus s = h.run(2, "16MiB", fork, sys -> {
            long ro = sys.mmap(PAGE, Vma.READ);
            long rw = sys.mmap(PAGE, Vma.READ_WRITE);
            sys.storeLong(rw, 9);
            int bad = sys.fork(c -> {
                h.checkEquals(0, c.loadLong(ro), "a read-only page reads as zeros");
                c.storeLong(ro, 1);
                h.check(false, "the store to a read-only page returned");
                return 0;
            });
            int outside = sys.fork(c -> {
                c.loadLong(0x7000_0000_0000L);
                return 0;
            });
            int good = sys.fork(c -> {
                c.storeLong(rw, 10);
                return (int) c.loadLong(rw);
            });
            ExitStatus b = sys.waitpid(bad);
            h.check(b.kind() == ExitStatus.Kind.SEGFAULT, "the writer was killed with a segfault: " + b);
            h.check(b.message().contains("read-only"), "the message says why: " + b.message());
            ExitStatus o = sys.waitpid(outside);
            h.check(o.kind() == ExitStatus.Kind.SEGFAULT && o.message().contains("not mapped"), "unmapped access: " + o);
            ExitStatus g = sys.waitpid(good);
            h.check(g.exitedNormally() && g.code() == 10, "the other child finished: " + g);
            h.checkEquals(9, sys.loadLong(rw), "the parent carries on with its own data");
            return 0;
        });
        assertExited(0, s);
    }

    @ParameterizedTest
    @MethodSource("mmsim.kernel.KernelHarness#machines")
    void aPipeCarriesDataBetweenParentAndChildBothWays(String fork) throws Exception {
        ExitStatus s = h.run(2, "16MiB", fork, sys -> {
            int[] down = sys.pipe();
            int[] up = sys.pipe();
            long buf = sys.mmap(256 * 1024, Vma.READ_WRITE);
            int pid = sys.fork(c -> {
                c.close(down[1]);
                c.close(up[0]);
                long total = 0;
                int n;
                while ((n = c.read(down[0], buf, 100_000)) > 0) {
                    for (int i = 0; i < n; i++) {
                        byte b = c.loadByte(buf + i);
                        if (b != (byte) (total + i)) {
                            h.check(false, "byte " + (total + i) + " arrived as " + b);
                            return 1;
                        }
                    }
                    total += n;
                }
                c.storeLong(buf, total);
                c.write(up[1], buf, 8);
                return 0;
            });
            sys.close(down[0]);
            sys.close(up[1]);
            int size = 200_000;   // more than the pipe holds: the writer blocks until the child reads
            for (int i = 0; i < size; i++) {
                sys.storeByte(buf + i, (byte) i);
            }
            h.checkEquals(size, sys.write(down[1], buf, size), "everything was written");
            sys.close(down[1]);   // the child then reads end of file
            h.checkEquals(8, sys.read(up[0], buf, 8), "the reply");
            h.checkEquals(size, sys.loadLong(buf), "the child counted every byte");
            h.checkEquals(0, sys.read(up[0], buf, 8), "end of file once the child's end is closed");
            h.check(sys.waitpid(pid).exitedNormally(), "child exit");
            return 0;
        });
        assertExited(0, s);
    }

    @ParameterizedTest
    @MethodSource("mmsim.kernel.KernelHarness#machines")
    void readIntoACopyOnWritePageBreaksTheSharing(String fork) throws Exception {
        ExitStatus s = h.run(2, "16MiB", fork, sys -> {
            long buf = sys.mmap(PAGE, Vma.READ_WRITE);
            sys.storeLong(buf, 0x1111L);
            int[] p = sys.pipe();
            int pid = sys.fork(c -> {
                int shared = c.frameOf(buf);
                long msg = c.mmap(PAGE, Vma.READ_WRITE);
                c.storeLong(msg, 0x2222L);
                c.write(p[1], msg, 8);
                // kernel writes into our shared page: it must get its own frame, as a user store would
                h.checkEquals(8, c.read(p[0], buf, 8), "read returned 8 bytes");
                h.checkEquals(0x2222L, c.loadLong(buf), "the child reads what the pipe carried");
                h.check(c.frameOf(buf) != shared || fork.startsWith("eager"), "the kernel's write broke COW");
                return 0;
            });
            h.check(sys.waitpid(pid).exitedNormally(), "child exit");
            h.checkEquals(0x1111L, sys.loadLong(buf), "the kernel's write into the child's page did not reach the parent");
            return 0;
        });
        assertExited(0, s);
    }

    @ParameterizedTest
    @MethodSource("mmsim.kernel.KernelHarness#machines")
    void runningOutOfFramesKillsTheFaultingProcessAndTheRestFinish(String fork) throws Exception {
        AtomicInteger survivors = new AtomicInteger();
        ExitStatus s = h.run(2, "8MiB", fork, sys -> {
            long small = sys.mmap(4 * PAGE, Vma.READ_WRITE);
            sys.storeLong(small, 1);
            int hog = sys.fork(c -> {
                long big = c.mmap(64L << 20, Vma.READ_WRITE);  // eight times the machine
                for (long off = 0; off < (64L << 20); off += PAGE) {
                    c.storeLong(big + off, off);
                }
                h.check(false, "the hog touched more memory than exists");
                return 0;
            });
            ExitStatus hs = sys.waitpid(hog);
            h.check(hs.kind() == ExitStatus.Kind.OUT_OF_MEMORY, "the hog was killed for memory: " + hs);
            int[] pids = new int[3];
            for (int i = 0; i < pids.length; i++) {
                pids[i] = sys.fork(c -> {
                    long m = c.mmap(16 * PAGE, Vma.READ_WRITE);
                    for (int k = 0; k < 16; k++) {
                        c.storeLong(m + k * PAGE, k);
                    }
                    survivors.incrementAndGet();
                    return c.loadLong(small) == 1 ? 0 : 1;
                });
            }
            for (int pid : pids) {
                h.check(sys.waitpid(pid).exitedNormally(), "a later process runs normally");
            }
            return 0;
        });
        assertExited(0, s);
        assertEquals(3, survivors.get());
    }

    @ParameterizedTest
    @MethodSource("mmsim.kernel.KernelHarness#machines")
    void closedDescriptorsAndBadBuffersAreErrorsNotCrashes(String fork) throws Exception {
        ExitStatus s = h.run(2, "16MiB", fork, sys -> {
            int[] p = sys.pipe();
            long buf = sys.mmap(PAGE, Vma.READ_WRITE);
            sys.close(p[0]);
            h.checkEquals(Errno.EBADF.ordinal(), errno(() -> sys.read(p[0], buf, 1)).ordinal(), "read of a closed fd");
            h.checkEquals(Errno.EPIPE.ordinal(), errno(() -> sys.write(p[1], buf, 1)).ordinal(), "write without readers");
            int[] q = sys.pipe();
            h.checkEquals(Errno.EFAULT.ordinal(), errno(() -> sys.write(q[1], 0x6000_0000_0000L, 8)).ordinal(),
                    "write from an unmapped buffer");
            sys.storeLong(buf, 5);
            sys.write(q[1], buf, 8);
            h.checkEquals(Errno.EFAULT.ordinal(), errno(() -> sys.read(q[0], 0x6000_0000_0000L, 8)).ordinal(),
                    "read into an unmapped buffer");
            h.checkEquals(Errno.ECHILD.ordinal(), errno(() -> sys.waitpid(12345)).ordinal(), "wait for a stranger");
            h.checkEquals(Errno.EBADF.ordinal(), errno(() -> sys.dup(77)).ordinal(), "dup of nothing");
            int d = sys.dup(q[1]);
            sys.close(q[1]);
            sys.write(d, buf, 8);
            sys.close(d);
            h.checkEquals(16, sys.read(q[0], buf, 100), "the failed read consumed nothing: both writes' bytes are there");
            h.checkEquals(0, sys.read(q[0], buf, 100), "EOF once the dup'ed writer closed too");
            return 0;
        });
        assertExited(0, s);
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
    @MethodSource("mmsim.kernel.KernelHarness#machines")
    void execReplacesTheImageAndKeepsTheFiles(String fork) throws Exception {
        ExitStatus s = h.run(2, "16MiB", fork, sys -> {
            long old = sys.mmap(PAGE, Vma.READ_WRITE);
            sys.storeLong(old, 1);
            int[] p = sys.pipe();
            int pid = sys.fork(c -> {
                c.exec(img -> {
                    long text = img.segmentAddress(0);
                    long data = img.segmentAddress(1);
                    h.checkEquals(Kernel.EXEC_BASE, text, "text at the base");
                    h.checkEquals(0, img.loadLong(text), "fresh segments read zeros");
                    img.storeLong(data, 77);
                    img.write(p[1], data, 8);
                    img.storeLong(text, 1);   // text is read-only: segfault
                    return 0;
                }, new Segment(3 * PAGE, Vma.READ), new Segment(PAGE, Vma.READ_WRITE));
                return 5;
            });
            long buf = sys.mmap(PAGE, Vma.READ_WRITE);
            h.checkEquals(8, sys.read(p[0], buf, 8), "the new image wrote through the inherited pipe");
            h.checkEquals(77, sys.loadLong(buf), "its data");
            ExitStatus cs = sys.waitpid(pid);
            h.check(cs.kind() == ExitStatus.Kind.SEGFAULT, "the new image's text is read-only: " + cs);
            h.checkEquals(1, sys.loadLong(old), "the parent's memory is untouched");
            return 0;
        });
        assertExited(0, s);
    }

    @ParameterizedTest
    @MethodSource("mmsim.kernel.KernelHarness#machines")
    void threadsShareMemoryAndRunOnOtherCpus(String fork) throws Exception {
        ExitStatus s = h.run(2, "16MiB", fork, sys -> {
            long a = sys.mmap(16 * PAGE, Vma.READ_WRITE);
            int[] tids = new int[3];
            for (int t = 0; t < tids.length; t++) {
                final int me = t;
                tids[t] = sys.spawnThread(th -> {
                    for (int i = 0; i < 1000; i++) {
                        th.storeLong(a + me * PAGE + 8L * (i % 512), i);
                    }
                });
            }
            for (int tid : tids) {
                sys.joinThread(tid);
            }
            for (int t = 0; t < tids.length; t++) {
                h.checkEquals(999, sys.loadLong(a + t * PAGE + 8L * (999 % 512)), "thread " + t + "'s writes are visible");
            }
            return 0;
        });
        assertExited(0, s);
    }

    @ParameterizedTest
    @MethodSource("mmsim.kernel.KernelHarness#machines")
    void munmapMprotectAndMadviseChangeWhatAccessesSee(String fork) throws Exception {
        ExitStatus s = h.run(2, "16MiB", fork, sys -> {
            long a = sys.mmap(8 * PAGE, Vma.READ_WRITE);
            for (int i = 0; i < 8; i++) {
                sys.storeLong(a + i * PAGE, 10 + i);
            }
            int child = sys.fork(c -> 0);
            h.check(sys.waitpid(child).exitedNormally(), "a fork shares the pages first");
            sys.madvise(a, 2 * PAGE, Sys.MADV_DONTNEED);
            h.checkEquals(0, sys.loadLong(a), "DONTNEED pages read zeros");
            h.checkEquals(12, sys.loadLong(a + 2 * PAGE), "other pages keep their data");
            sys.mprotect(a + 2 * PAGE, 2 * PAGE, Vma.READ);
            h.checkEquals(12, sys.loadLong(a + 2 * PAGE), "read-only pages still read");
            int writer = sys.fork(c -> {
                c.storeLong(a + 3 * PAGE, 1);
                return 0;
            });
            h.check(sys.waitpid(writer).kind() == ExitStatus.Kind.SEGFAULT, "writing a read-only page is a segfault");
            sys.mprotect(a + 2 * PAGE, 2 * PAGE, Vma.NONE);
            int reader = sys.fork(c -> (int) c.loadLong(a + 2 * PAGE));
            h.check(sys.waitpid(reader).kind() == ExitStatus.Kind.SEGFAULT, "reading PROT_NONE is a segfault");
            sys.mprotect(a + 2 * PAGE, 2 * PAGE, Vma.READ_WRITE);
            h.checkEquals(13, sys.loadLong(a + 3 * PAGE), "PROT_NONE kept the data");
            sys.storeLong(a + 3 * PAGE, 33);
            h.checkEquals(33, sys.loadLong(a + 3 * PAGE), "writable again");
            sys.munmap(a + 4 * PAGE, 4 * PAGE);
            int toucher = sys.fork(c -> (int) c.loadLong(a + 5 * PAGE));
            h.check(sys.waitpid(toucher).kind() == ExitStatus.Kind.SEGFAULT, "an unmapped page is a segfault");
            h.checkEquals(33, sys.loadLong(a + 3 * PAGE), "the rest stays");
            return 0;
        });
        assertExited(0, s);
    }

    @ParameterizedTest
    @MethodSource("mmsim.kernel.KernelHarness#machines")
    void anOrphanIsReapedWhenItsParentHasGone(String fork) throws Exception {
        ExitStatus s = h.run(2, "16MiB", fork, sys -> {
            int[] p = sys.pipe();
            long buf = sys.mmap(PAGE, Vma.READ_WRITE);
            int mid = sys.fork(c -> {
                c.fork(g -> {
                    g.read(p[0], buf, 1);   // outlive the parent
                    return g.getppid();
                });
                return 0;
            });
            h.check(sys.waitpid(mid).exitedNormally(), "the middle process exits first");
            sys.write(p[1], buf, 1);
            return 0;
        });
        assertExited(0, s);
        assertTrue(h.failures.isEmpty());
    }
}
