package mmsim.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static mmsim.kernel.KernelHarness.assertExited;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import mmsim.paging.Vma;

/** The classic fork suites' semantics (xv6 usertests, JOS, KeOS), on real threads, for every fork strategy. */
class ForkTest {
    private static final long PAGE = 4096;
    private final KernelHarness h = new KernelHarness();

    @ParameterizedTest
    @MethodSource("mmsim.kernel.KernelHarness#machines")
    void forkReturnsTheChildPidToTheParentAndZeroToTheChild(String fork) throws Exception {
        AtomicInteger childPid = new AtomicInteger();
        AtomicInteger childParent = new AtomicInteger();
        AtomicInteger childForkValue = new AtomicInteger(99);
        ExitStatus s = h.run(2, "16MiB", fork, sys -> {
            int pid = sys.fork(child -> {
                childPid.set(child.getpid());
                childParent.set(child.getppid());
                childForkValue.set(child.forkValue());
                return 7;
            });
            h.check(pid > 0 && pid != sys.getpid(), "fork returned " + pid + " to the parent");
            ExitStatus cs = sys.waitpid(pid);
            h.check(cs.exitedNormally() && cs.code() == 7, "child status " + cs);
            h.checkEquals(pid, childPid.get(), "the child's getpid is what fork returned");
            h.checkEquals(sys.getpid(), childParent.get(), "the child's parent");
            h.checkEquals(0, childForkValue.get(), "fork's value in the child");
            h.checkEquals(-1, sys.forkValue(), "init was not forked");
            return 0;
        });
        assertExited(0, s);
    }

    @ParameterizedTest
    @MethodSource("mmsim.kernel.KernelHarness#machines")
    void childSeesTheParentsDataAndWritesAfterForkAreIsolatedBothWays(String fork) throws Exception {
        ExitStatus s = h.run(2, "16MiB", fork, sys -> {
            long a = sys.mmap(4 * PAGE, Vma.READ_WRITE);
            for (int i = 0; i < 4; i++) {
                sys.storeLong(a + i * PAGE, 100 + i);
            }
            int frameBefore = sys.frameOf(a);
            int[] toChild = sys.pipe();
            int[] toParent = sys.pipe();
            long msg = sys.mmap(PAGE, Vma.READ_WRITE);
            int pid = sys.fork(c -> {
                for (int i = 0; i < 4; i++) {
                    h.checkEquals(100 + i, c.loadLong(a + i * PAGE), "child reads the parent's page " + i);
                }
                if (!fork.startsWith("eager")) {
                    h.checkEquals(frameBefore, c.frameOf(a), "before any write the child shares the parent's frame");
                }
                c.storeLong(a, 555);
                h.check(c.frameOf(a) != frameBefore, "after the child's write it has its own frame");
                c.storeLong(msg, 1);
                c.write(toParent[1], msg, 8);               // tell the parent we wrote
                c.read(toChild[0], msg, 8);                 // wait for the parent's write
                h.checkEquals(555, c.loadLong(a), "the parent's later write does not reach the child");
                h.checkEquals(101, c.loadLong(a + PAGE), "untouched pages still read the same");
                return 0;
            });
            sys.read(toParent[0], msg, 8);
            h.checkEquals(100, sys.loadLong(a), "the child's write does not reach the parent");
            sys.storeLong(a, 777);
            sys.storeLong(a + 2 * PAGE, 999);
            h.checkEquals(777, sys.loadLong(a), "the parent reads its own write");
            sys.write(toChild[1], msg, 8);
            assertChildOk(sys, pid);
            return 0;
        });
        assertExited(0, s);
    }

    /**
     * Fork copies a leaf table (cow) or links it (odf) at a time, with the child's table found once per parent
     * table: areas that start and end inside a leaf table, share one with a neighbour, and lie under different
     * level-1 tables (GiB apart) and different root entries (512 GiB apart) must all reach the child, each page at
     * its own address, and leave the parent's untouched.
     */
    @ParameterizedTest
    @MethodSource("mmsim.kernel.KernelHarness#machines")
    void areasInManyTablesAndPartOfTablesAllReachTheChild(String fork) throws Exception {
        long[] bases = {0x4000_0000L - 3 * PAGE, 0x4000_0000L + 5 * PAGE, 0x8000_0000L + 511 * PAGE,
                0x80_0000_0000L + 7 * PAGE, 0x80_4020_0000L};
        int[] pages = {6, 3, 2, 4, 513};
        ExitStatus s = h.run(2, "32MiB", fork, sys -> {
            for (int r = 0; r < bases.length; r++) {
                sys.mmapFixed(bases[r], pages[r] * PAGE, Vma.READ_WRITE);
                for (int p = 0; p < pages[r]; p++) {
                    sys.storeLong(bases[r] + p * PAGE + 8 * (p % 512), bases[r] + p);
                }
            }
            int pid = sys.fork(c -> {
                for (int r = 0; r < bases.length; r++) {
                    for (int p = 0; p < pages[r]; p++) {
                        long va = bases[r] + p * PAGE + 8 * (p % 512);
                        h.checkEquals(bases[r] + p, c.loadLong(va), "child reads area " + r + " page " + p);
                        c.storeLong(va, -1);
                    }
                }
                return 0;
            });
            assertChildOk(sys, pid);
            for (int r = 0; r < bases.length; r++) {
                for (int p = 0; p < pages[r]; p++) {
                    h.checkEquals(bases[r] + p, sys.loadLong(bases[r] + p * PAGE + 8 * (p % 512)),
                            "the child's writes stay out of the parent's area " + r + " page " + p);
                }
            }
            return 0;
        });
        assertExited(0, s);
    }

    /**
     * The child's leaf tables hold exactly the parent's entries in its areas and nothing else, also when the table
     * frame fork takes held garbage (a frame just freed, full of ones): cow builds a child table whole without
     * zeroing it first, so every entry outside the areas, before, between and after them, must be written 0. Two
     * areas share one 2 MiB span, so the second finds the child's table already built.
     */
    @ParameterizedTest
    @MethodSource("mmsim.kernel.KernelHarness#machines")
    void aChildsLeafTablesHoldNothingOutsideTheAreasEvenInARecycledFrame(String fork) throws Exception {
        long span = 0x4000_0000L;  // 2 MiB aligned: one leaf table
        long[] bases = {span + 5 * PAGE, span + 300 * PAGE};
        int[] pages = {3, 2};
        ExitStatus s = h.run(2, "32MiB", fork, sys -> {
            // frames full of ones, freed just before fork: the next frames this CPU allocates
            long junk = sys.mmap(64 * PAGE, Vma.READ_WRITE);
            for (long a = junk; a < junk + 64 * PAGE; a += 8) {
                sys.storeLong(a, -1L);
            }
            sys.munmap(junk, 64 * PAGE);
            for (int r = 0; r < bases.length; r++) {
                sys.mmapFixed(bases[r], pages[r] * PAGE, Vma.READ_WRITE);
                for (int p = 0; p < pages[r]; p++) {
                    sys.storeLong(bases[r] + p * PAGE, bases[r] + p);
                }
            }
            int pid = sys.fork(c -> {
                for (int i = 0; i < 512; i++) {
                    long va = span + i * PAGE;
                    boolean inArea = (i >= 5 && i < 8) || (i >= 300 && i < 302);
                    PageInfo info = c.inspect(va);
                    if (inArea) {
                        h.check(info.present(), "page " + i + " of an area is mapped in the child: " + info);
                        int r = i < 300 ? 0 : 1;
                        long expected = bases[r] + (va - bases[r]) / PAGE;
                        h.checkEquals(expected, c.loadLong(va), "child reads page " + i);
                    } else {
                        h.checkEquals(0L, info.entry(), "the child's entry for page " + i + ", outside every area");
                    }
                }
                return 0;
            });
            assertChildOk(sys, pid);
            return 0;
        });
        assertExited(0, s);
    }

    private void assertChildOk(Sys sys, int pid) {
        ExitStatus cs = sys.waitpid(pid);
        h.check(cs.exitedNormally() && cs.code() == 0, "child " + pid + " ended " + cs);
    }

    @ParameterizedTest
    @MethodSource("mmsim.kernel.KernelHarness#machines")
    void threeProcessesShareOnePageUntilEachWrites(String fork) throws Exception {
        ExitStatus s = h.run(2, "16MiB", fork, sys -> {
            long a = sys.mmap(PAGE, Vma.READ_WRITE);
            sys.storeLong(a, 42);
            int frame = sys.frameOf(a);
            int[] go = sys.pipe();
            long buf = sys.mmap(PAGE, Vma.READ_WRITE);
            int[] kids = new int[2];
            for (int k = 0; k < 2; k++) {
                final int me = k;
                kids[k] = sys.fork(c -> {
                    h.checkEquals(42, c.loadLong(a), "child " + me + " reads the shared value");
                    if (!fork.startsWith("eager")) {
                        h.checkEquals(frame, c.frameOf(a), "child " + me + " shares the frame");
                    }
                    c.read(go[0], buf, 1);
                    c.storeLong(a, 1000 + me);
                    h.checkEquals(1000 + me, c.loadLong(a), "child " + me + " reads its own write");
                    return 0;
                });
            }
            h.checkEquals(42, sys.loadLong(a), "the parent still reads the original");
            sys.storeByte(buf, (byte) 1);
            sys.write(go[1], buf, 1);
            sys.write(go[1], buf, 1);
            for (int pid : kids) {
                assertChildOk(sys, pid);
            }
            h.checkEquals(42, sys.loadLong(a), "neither child's write reached the parent");
            sys.storeLong(a, 43);
            h.checkEquals(43, sys.loadLong(a), "the last owner writes in place");
            return 0;
        });
        assertExited(0, s);
    }

    @ParameterizedTest
    @MethodSource("mmsim.kernel.KernelHarness#machines")
    void forkOfFork100IterationsConservesFrames(String fork) throws Exception {
        ExitStatus s = h.run(2, "32MiB", fork, sys -> {
            long a = sys.mmap(8 * PAGE, Vma.READ_WRITE);
            for (int i = 0; i < 8; i++) {
                sys.storeLong(a + i * PAGE, i);
            }
            return chain(sys, a, 100);
        });
        assertExited(0, s);
    }

    /** Each generation forks the next, which dirties a page, then exits; depth 100. */
    private int chain(Sys sys, long a, int depth) {
        if (depth == 0) {
            return 0;
        }
        int pid = sys.fork(c -> {
            long expected = (100 - depth) == 0 ? 0 : 100 - depth - 1 + 1000;
            if (depth < 100) {
                h.checkEquals(expected, c.loadLong(a), "generation " + (100 - depth) + " inherits its parent's write");
            }
            c.storeLong(a, 100 - depth + 1000);
            return chain(c, a, depth - 1);
        });
        ExitStatus cs = sys.waitpid(pid);
        return cs.exitedNormally() ? cs.code() : 1;
    }

    @ParameterizedTest
    @MethodSource("mmsim.kernel.KernelHarness#machines")
    void aLargeRegionDirtiedByTheChildIsIntactInTheParent(String fork) throws Exception {
        final long size = 64L << 20;
        final long stride = 256;
        ExitStatus s = h.run(2, "256MiB", fork, sys -> {
            long a = sys.mmap(size, Vma.READ_WRITE);
            for (long off = 0; off < size; off += stride) {
                sys.storeLong(a + off, off);
            }
            for (int round = 0; round < 10; round++) {
                final int r = round;
                int pid = sys.fork(c -> {
                    for (long off = 0; off < size; off += stride) {
                        if (c.loadLong(a + off) != off) {
                            h.check(false, "round " + r + ": child read a wrong value at +" + off);
                            return 1;
                        }
                        c.storeLong(a + off, ~off);
                    }
                    return 0;
                });
                assertChildOk(sys, pid);
                for (long off = 0; off < size; off += stride) {
                    if (sys.loadLong(a + off) != off) {
                        h.check(false, "round " + r + ": the parent's value at +" + off + " changed");
                        return 1;
                    }
                }
            }
            return 0;
        });
        assertExited(0, s);
    }

    @ParameterizedTest
    @MethodSource("mmsim.kernel.KernelHarness#machines")
    void aSiblingThreadWritingDuringForkIsSeenWholeOrNotAtAllAndLaterWritesStayOut(String fork) throws Exception {
        ExitStatus s = h.run(3, "32MiB", fork, sys -> {
            long a = sys.mmap(16 * PAGE, Vma.READ_WRITE);
            for (int i = 0; i < 16; i++) {
                sys.storeLong(a + i * PAGE, 0x1111_1111_1111_1111L);
            }
            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong sequence = new AtomicLong();
            int tid = sys.spawnThread(t -> {
                long v = 0;
                while (!stop.get()) {
                    v++;
                    long word = (v & 0x7F) * 0x0101_0101_0101_0101L;  // every byte equal: a torn read shows
                    for (int i = 0; i < 16; i++) {
                        t.storeLong(a + i * PAGE, word);
                    }
                    sequence.set(v);
                }
            });
            for (int round = 0; round < 20; round++) {
                while (sequence.get() < round * 10L) {
                    sys.yield();
                }
                long forkedAfter = sequence.get();
                int[] p = sys.pipe();
                long buf = sys.mmap(PAGE, Vma.READ_WRITE);
                int pid = sys.fork(c -> {
                    long first = c.loadLong(a);
                    long v0 = first & 0xFF;
                    boolean whole = first == v0 * 0x0101_0101_0101_0101L || first == 0x1111_1111_1111_1111L;
                    h.check(whole, "child read a torn value " + Long.toHexString(first));
                    c.read(p[0], buf, 1);   // the parent's thread keeps writing meanwhile
                    h.checkEquals(first, c.loadLong(a), "the parent's writes after fork never reach the child");
                    return 0;
                });
                long after = sequence.get();
                while (sequence.get() < after + 3) {
                    sys.yield();
                }
                sys.storeByte(buf, (byte) 0);
                sys.write(p[1], buf, 1);
                assertChildOk(sys, pid);
                sys.close(p[0]);
                sys.close(p[1]);
                sys.munmap(buf, PAGE);
                h.check(forkedAfter >= 0, "progress");
            }
            stop.set(true);
            sys.joinThread(tid);
            return 0;
        });
        assertExited(0, s);
    }

    /** A page shared read-only across fork stays shared until written: making it writable in one process does not let that process write the other's frame. */
    @ParameterizedTest
    @MethodSource("mmsim.kernel.KernelHarness#machines")
    void aReadOnlyPageTheChildMakesWritableIsCopiedOnItsFirstWrite(String fork) throws Exception {
        ExitStatus s = h.run(2, "16MiB", fork, sys -> {
            long page = sys.mmap(PAGE, Vma.READ_WRITE);
            sys.storeLong(page, 0x1234);
            sys.mprotect(page, PAGE, Vma.READ);
            int[] written = sys.pipe();
            int[] checked = sys.pipe();
            long msg = sys.mmap(PAGE, Vma.READ_WRITE);
            sys.storeLong(msg, 0);
            int pid = sys.fork(c -> {
                c.mprotect(page, PAGE, Vma.READ_WRITE);
                c.storeLong(page, 0x5678);
                h.checkEquals(0x5678, c.loadLong(page), "the child reads its write");
                c.write(written[1], msg, 1);
                c.read(checked[0], msg, 1);      // stay alive (and sharing) while the parent looks
                h.checkEquals(0x5678, c.loadLong(page), "the parent's page never reaches the child");
                return 0;
            });
            sys.read(written[0], msg, 1);
            h.checkEquals(0x1234, sys.loadLong(page), "the child's write did not reach the parent's frame");
            sys.mprotect(page, PAGE, Vma.READ_WRITE);
            sys.storeLong(page, 0x9abc);
            sys.write(checked[1], msg, 1);
            assertChildOk(sys, pid);
            h.checkEquals(0x9abc, sys.loadLong(page), "the parent writes its own page");
            return 0;
        });
        assertExited(0, s);
    }

    @ParameterizedTest
    @MethodSource("mmsim.kernel.KernelHarness#machines")
    void hundredsOfProcessesRunOnTwoCpus(String fork) throws Exception {
        AtomicInteger ran = new AtomicInteger();
        ExitStatus s = h.run(2, "64MiB", fork, sys -> {
            long a = sys.mmap(PAGE, Vma.READ_WRITE);
            sys.storeLong(a, 5);
            int[] pids = new int[300];
            for (int i = 0; i < pids.length; i++) {
                final int me = i;
                pids[i] = sys.fork(c -> {
                    c.storeLong(a, me);
                    c.yield();
                    ran.incrementAndGet();
                    return c.loadLong(a) == me ? 0 : 1;
                });
            }
            int bad = 0;
            for (int pid : pids) {
                if (!sys.waitpid(pid).exitedNormally()) {
                    bad++;
                }
            }
            return bad + (sys.loadLong(a) == 5 ? 0 : 1000);
        });
        assertExited(0, s);
        assertEquals(300, ran.get());
    }
}
