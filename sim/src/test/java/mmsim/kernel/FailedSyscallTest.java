package mmsim.kernel;

import static mmsim.kernel.KernelHarness.assertExited;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import mmsim.mem.FramePool;
import mmsim.paging.AddressSpace;
import mmsim.paging.PageTable;
import mmsim.paging.Vma;

/**
 * A system call that fails changes nothing (Linux's rule): afterwards the caller has the same VMAs, the
 * same contents, and every frame the call took is back in the pool. Running out of frames is the lever:
 * a one-CPU machine (so that the pool's free count is exact) whose memory a process fills until an exact
 * number of frames is left.
 */
class FailedSyscallTest {
    private static final long PAGE = 4096;
    private static final long TABLE_SPAN = PageTable.LEAF_TABLE_SPAN;
    private final KernelHarness h = new KernelHarness();

    static Stream<String> forks() {
        return Stream.of("eager", "cow", "odf");
    }

    /**
     * fork fails with ENOMEM wherever in the copy it runs out of frames (the child's root, an upper
     * table, a leaf table, a page copy), and each time the parent is left as it was: same VMAs and
     * contents, no child, every frame back. With one more frame each try, it fails at each point in
     * turn until it succeeds.
     */
    @ParameterizedTest
    @MethodSource("forks")
    void forkThatRunsOutOfFramesAtAnyPointChangesNothing(String fork) throws Exception {
        AtomicInteger failedForks = new AtomicInteger();
        ExitStatus s = h.run(1, "8MiB", fork, sys -> {
            long near = sys.mmap(4 * PAGE, Vma.READ_WRITE);
            long far = sys.mmap((1L << 30) + PAGE, Vma.READ_WRITE);
            long farEnd = far + (1L << 30);   // under another page directory than far
            long[] pages = {near, near + PAGE, near + 2 * PAGE, near + 3 * PAGE, far, farEnd};
            long[] values = new long[pages.length];
            for (int i = 0; i < pages.length; i++) {
                values[i] = 100 + i;
                sys.storeLong(pages[i], values[i]);
            }
            for (long left = 0; left < 64; left++) {
                Hog hog = hogLeaving(sys, left);
                List<Vma> before = sys.mm().space.vmas();
                int child;
                try {
                    child = sys.fork(c -> 0);
                } catch (SyscallException e) {
                    failedForks.incrementAndGet();
                    String when = "after a fork that failed with " + left + " frames free";
                    h.check(e.errno() == Errno.ENOMEM, "fork failed with " + e.getMessage());
                    h.checkEquals(left, freeFrames(), when + ": frames free");
                    h.check(before.equals(sys.mm().space.vmas()), when + ": VMAs " + sys.mm().space.vmas());
                    for (int i = 0; i < pages.length; i++) {
                        h.checkEquals(values[i], sys.loadLong(pages[i]), when + ": page " + i);
                    }
                    hog.release(sys);
                    checkErrno(Errno.ECHILD, sys::waitAny, when + ": no child");
                    for (int i = 0; i < pages.length; i++) {
                        values[i] += 1000;
                        sys.storeLong(pages[i], values[i]);
                        h.checkEquals(values[i], sys.loadLong(pages[i]), when + ": the parent writes page " + i);
                    }
                    continue;
                }
                hog.release(sys);
                h.check(sys.waitpid(child).exitedNormally(), "the fork with " + left + " frames free made a child");
                return 0;
            }
            h.check(false, "fork never succeeded");
            return 1;
        });
        assertExited(0, s);
        assertTrue(failedForks.get() >= 4, "fork failed at " + failedForks.get() + " points only");
    }

    /**
     * munmap fails with ENOMEM when on-demand fork's private copy of a shared leaf table finds no frame;
     * the page is then still mapped, with its data. Once memory is back, munmap works and a new mapping
     * at the address reads zeros. (Under eager and cow fork munmap takes no frame and cannot fail.)
     */
    @Test
    void munmapThatFindsNoFrameForATableCopyChangesNothing() throws Exception {
        ExitStatus s = h.run(1, "8MiB", "odf", sys -> {
            long x = sys.mmap(TABLE_SPAN, Vma.READ_WRITE);
            sys.storeLong(x, 0x77);
            sys.storeLong(x + PAGE, 0x78);
            int pid = sys.fork(c -> {
                Filled hog = fillLeaving(c, 0);
                List<Vma> before = c.mm().space.vmas();
                checkErrno(Errno.ENOMEM, () -> c.munmap(x, PAGE), "munmap with no frame left");
                h.check(before.equals(c.mm().space.vmas()), "the failed munmap left the VMAs: " + c.mm().space.vmas());
                h.checkEquals(0, freeFrames(), "the failed munmap took no frame");
                h.checkEquals(0x77, c.loadLong(x), "the page is still mapped, with its data");
                c.munmap(hog.start, hog.length);
                c.munmap(x, PAGE);
                long fresh = c.mmap(PAGE, Vma.READ_WRITE);
                h.checkEquals(x, fresh, "a new page takes the unmapped page's place");
                h.checkEquals(0, c.loadLong(fresh), "a new mapping reads zeros");
                h.checkEquals(0x78, c.loadLong(x + PAGE), "the rest of the area keeps its data");
                return 0;
            });
            h.check(sys.waitpid(pid).exitedNormally(), "the child ran to the end");
            h.checkEquals(0x77, sys.loadLong(x), "the child's munmap did not reach the parent");
            return 0;
        });
        assertExited(0, s);
    }

    /**
     * mprotect fails with ENOMEM when on-demand fork's private copy of a shared leaf table finds no frame;
     * the area then keeps its protection (a write after memory is back succeeds). (Under eager and cow fork
     * mprotect takes no frame and cannot fail.)
     */
    @Test
    void mprotectThatFindsNoFrameForATableCopyChangesNothing() throws Exception {
        ExitStatus s = h.run(1, "8MiB", "odf", sys -> {
            long x = sys.mmap(TABLE_SPAN, Vma.READ_WRITE);
            sys.storeLong(x, 0x77);
            int pid = sys.fork(c -> {
                Filled hog = fillLeaving(c, 0);
                List<Vma> before = c.mm().space.vmas();
                checkErrno(Errno.ENOMEM, () -> c.mprotect(x, PAGE, Vma.READ), "mprotect with no frame left");
                h.check(before.equals(c.mm().space.vmas()), "the failed mprotect left the VMAs: " + c.mm().space.vmas());
                h.checkEquals(0, freeFrames(), "the failed mprotect took no frame");
                h.checkEquals(0x77, c.loadLong(x), "the page keeps its data");
                c.munmap(hog.start, hog.length);
                c.storeLong(x, 0x99);   // a segfault if the failed call had made the page read-only
                h.checkEquals(0x99, c.loadLong(x), "the page is still writable");
                return 0;
            });
            h.check(sys.waitpid(pid).exitedNormally(), "the child ran to the end");
            h.checkEquals(0x77, sys.loadLong(x), "the child's write did not reach the parent");
            return 0;
        });
        assertExited(0, s);
    }

    /**
     * madvise(DONTNEED) fails with ENOMEM when on-demand fork's private copy of a shared leaf table finds
     * no frame; the page then keeps its data. (Under eager and cow fork madvise takes no frame and cannot fail.)
     */
    @Test
    void madviseThatFindsNoFrameForATableCopyChangesNothing() throws Exception {
        ExitStatus s = h.run(1, "8MiB", "odf", sys -> {
            long x = sys.mmap(TABLE_SPAN, Vma.READ_WRITE);
            sys.storeLong(x, 0x77);
            int pid = sys.fork(c -> {
                Filled hog = fillLeaving(c, 0);
                List<Vma> before = c.mm().space.vmas();
                checkErrno(Errno.ENOMEM, () -> c.madvise(x, PAGE, Sys.MADV_DONTNEED),
                        "madvise with no frame left");
                h.check(before.equals(c.mm().space.vmas()), "the failed madvise left the VMAs: " + c.mm().space.vmas());
                h.checkEquals(0, freeFrames(), "the failed madvise took no frame");
                h.checkEquals(0x77, c.loadLong(x), "the page keeps its data");
                c.munmap(hog.start, hog.length);
                c.madvise(x, PAGE, Sys.MADV_DONTNEED);
                h.checkEquals(0, c.loadLong(x), "with memory back, madvise drops the page");
                return 0;
            });
            h.check(sys.waitpid(pid).exitedNormally(), "the child ran to the end");
            h.checkEquals(0x77, sys.loadLong(x), "the child's madvise did not reach the parent");
            return 0;
        });
        assertExited(0, s);
    }

    /** exec fails with ENOMEM when no frame is left for the new image's page table; the process keeps its image and runs on. */
    @ParameterizedTest
    @MethodSource("forks")
    void execThatFindsNoFrameKeepsTheOldImage(String fork) throws Exception {
        ExitStatus s = h.run(1, "8MiB", fork, sys -> {
            long x = sys.mmap(PAGE, Vma.READ_WRITE);
            sys.storeLong(x, 0x77);
            int pid = sys.fork(c -> {
                Filled hog = fillLeaving(c, 0);
                List<Vma> before = c.mm().space.vmas();
                AddressSpace space = c.mm().space;
                checkErrno(Errno.ENOMEM, () -> c.exec(img -> 1, new Segment(PAGE, Vma.READ_WRITE)),
                        "exec with no frame left");
                h.check(space == c.mm().space && before.equals(space.vmas()), "the failed exec kept the image: " + c.mm().space.vmas());
                h.checkEquals(0, freeFrames(), "the failed exec took no frame");
                h.checkEquals(0x77, c.loadLong(x), "the old image's data");
                c.munmap(hog.start, hog.length);
                c.exec(img -> {
                    img.storeLong(img.segmentAddress(0), 1);
                    return 42;
                }, new Segment(PAGE, Vma.READ_WRITE));
                return 1;
            });
            ExitStatus cs = sys.waitpid(pid);
            h.check(cs.exitedNormally() && cs.code() == 42, "with memory back, exec ran the new image: " + cs);
            h.checkEquals(0x77, sys.loadLong(x), "the parent's data");
            return 0;
        });
        assertExited(0, s);
    }

    /**
     * exec of an image it cannot map (a bad protection, an empty segment, a segment larger than user
     * space) fails with EINVAL or ENOMEM before it changes anything: the process keeps its image and
     * runs on, and the new image's table is not leaked (the harness counts every frame at the end).
     */
    @ParameterizedTest
    @MethodSource("forks")
    void execOfAnImageThatCannotBeMappedKeepsTheOldImage(String fork) throws Exception {
        ExitStatus s = h.run(2, "16MiB", fork, sys -> {
            long x = sys.mmap(PAGE, Vma.READ_WRITE);
            sys.storeLong(x, 0x77);
            int pid = sys.fork(c -> {
                AddressSpace space = c.mm().space;
                List<Vma> before = space.vmas();
                ProcessBody never = img -> 1;
                checkErrno(Errno.EINVAL, () -> c.exec(never,
                        new Segment(PAGE, Vma.READ), new Segment(PAGE, Vma.WRITE)), "a write-only segment");
                checkErrno(Errno.EINVAL, () -> c.exec(never,
                        new Segment(PAGE, Vma.READ), new Segment(0, Vma.READ)), "an empty segment");
                checkErrno(Errno.ENOMEM, () -> c.exec(never,
                        new Segment(PageTable.USER_VA_LIMIT, Vma.READ)), "a segment larger than user space");
                checkErrno(Errno.ENOMEM, () -> c.exec(never,
                        new Segment(PAGE, Vma.READ), new Segment(Long.MAX_VALUE, Vma.READ)), "a segment of 2^63 bytes");
                h.check(space == c.mm().space && before.equals(space.vmas()), "the failed execs kept the image: " + c.mm().space.vmas());
                h.checkEquals(0x77, c.loadLong(x), "the old image's data");
                c.storeLong(x, 0x78);
                return (int) c.loadLong(x);
            });
            ExitStatus cs = sys.waitpid(pid);
            h.check(cs.exitedNormally() && cs.code() == 0x78, "the child ran on in its old image: " + cs);
            h.checkEquals(0x77, sys.loadLong(x), "the parent's data");
            return 0;
        });
        assertExited(0, s);
    }

    /** mmap fails with ENOMEM when user space has no room for the length (however large), and maps nothing. */
    @Test
    void mmapWithNoRoomFailsWithEnomemAndMapsNothing() throws Exception {
        ExitStatus s = h.run(1, "8MiB", "cow", sys -> {
            long a = sys.mmap(PAGE, Vma.READ_WRITE);
            sys.storeLong(a, 0x77);
            long rest = sys.mmap(PageTable.USER_VA_LIMIT - (a + PAGE), Vma.READ);
            h.checkEquals(a + PAGE, rest, "the rest of user space is mapped");
            List<Vma> before = sys.mm().space.vmas();
            for (long length : new long[] {PAGE, PageTable.USER_VA_LIMIT, Long.MAX_VALUE}) {
                checkErrno(Errno.ENOMEM, () -> sys.mmap(length, Vma.READ_WRITE), "mmap of " + length + " bytes");
            }
            h.check(before.equals(sys.mm().space.vmas()), "the failed mmaps left the VMAs: " + sys.mm().space.vmas());
            h.checkEquals(0x77, sys.loadLong(a), "the data");
            return 0;
        });
        assertExited(0, s);
    }

    /**
     * mremap's argument and placement errors (mremap(2)): EINVAL for an unaligned address, an empty size or
     * an unsupported flag; EFAULT for an old range that is not one mapping (unmapped, or running into a VMA
     * of another protection); ENOMEM for growing into taken pages without MREMAP_MAYMOVE and for a size
     * beyond user space. Each leaves the VMAs, the contents and the free frames as they were.
     */
    @ParameterizedTest
    @MethodSource("forks")
    void failedMremapChangesNothing(String fork) throws Exception {
        ExitStatus s = h.run(1, "8MiB", fork, sys -> {
            long a = sys.mmap(4 * PAGE, Vma.READ_WRITE);
            long next = sys.mmap(PAGE, Vma.READ);
            h.checkEquals(a + 4 * PAGE, next, "the page after the mapping is taken");
            for (int i = 0; i < 4; i++) {
                sys.storeLong(a + i * PAGE, 10 + i);
            }
            List<Vma> before = sys.mm().space.vmas();
            long free = freeFrames();
            checkErrno(Errno.EINVAL, () -> sys.mremap(a + 1, PAGE, 2 * PAGE, Sys.MREMAP_MAYMOVE), "an unaligned address");
            checkErrno(Errno.EINVAL, () -> sys.mremap(a, 0, 2 * PAGE, Sys.MREMAP_MAYMOVE), "an empty old size");
            checkErrno(Errno.EINVAL, () -> sys.mremap(a, PAGE, 0, Sys.MREMAP_MAYMOVE), "an empty new size");
            checkErrno(Errno.EINVAL, () -> sys.mremap(a, PAGE, 2 * PAGE, 2), "MREMAP_FIXED, which mmsim does not support");
            checkErrno(Errno.EFAULT, () -> sys.mremap(a + 64 * PAGE, PAGE, 2 * PAGE, Sys.MREMAP_MAYMOVE), "an unmapped range");
            checkErrno(Errno.EFAULT, () -> sys.mremap(a, 5 * PAGE, 8 * PAGE, Sys.MREMAP_MAYMOVE), "a range into another protection");
            checkErrno(Errno.EFAULT, () -> sys.mremap(-PAGE, PAGE, 2 * PAGE, Sys.MREMAP_MAYMOVE), "a negative address");
            checkErrno(Errno.ENOMEM, () -> sys.mremap(a, 4 * PAGE, 8 * PAGE, 0), "growing into a taken page");
            checkErrno(Errno.ENOMEM, () -> sys.mremap(a, 4 * PAGE, PageTable.USER_VA_LIMIT, Sys.MREMAP_MAYMOVE), "all of user space");
            checkErrno(Errno.ENOMEM, () -> sys.mremap(a, 4 * PAGE, Long.MAX_VALUE, Sys.MREMAP_MAYMOVE), "2^63 bytes");
            h.check(before.equals(sys.mm().space.vmas()), "the failed calls left the VMAs: " + sys.mm().space.vmas());
            h.checkEquals(free, freeFrames(), "the failed calls took no frame");
            for (int i = 0; i < 4; i++) {
                h.checkEquals(10 + i, sys.loadLong(a + i * PAGE), "page " + i);
            }
            return 0;
        });
        assertExited(0, s);
    }

    /**
     * A move needs page tables at its destination (here a directory and three leaf tables); with too few
     * frames it fails with ENOMEM wherever it runs out, and each time the tables it built are given back and
     * the mapping is as it was: same VMAs, same contents, the same frames free. With one more frame each try
     * it fails at each point in turn until it succeeds and the data is at the new address.
     */
    @ParameterizedTest
    @MethodSource("forks")
    void mremapThatRunsOutOfFramesForTheDestinationsTablesChangesNothing(String fork) throws Exception {
        AtomicInteger failedMoves = new AtomicInteger();
        ExitStatus s = h.run(1, "8MiB", fork, sys -> {
            long a = sys.mmapFixed(1L << 30, 3 * TABLE_SPAN, Vma.READ_WRITE);
            sys.mmapFixed(a + 3 * TABLE_SPAN, PAGE, Vma.READ);   // growing in place is ruled out
            long[] pages = {a, a + PAGE, a + TABLE_SPAN, a + 2 * TABLE_SPAN + 5 * PAGE};
            for (int i = 0; i < pages.length; i++) {
                sys.storeLong(pages[i], 100 + i);
            }
            for (long left = 0; left < 16; left++) {
                Hog hog = hogLeaving(sys, left, true);
                List<Vma> before = sys.mm().space.vmas();
                long b;
                try {
                    b = sys.mremap(a, 3 * TABLE_SPAN, 4 * TABLE_SPAN, Sys.MREMAP_MAYMOVE);
                } catch (SyscallException e) {
                    failedMoves.incrementAndGet();
                    String when = "after a move that failed with " + left + " frames free";
                    h.check(e.errno() == Errno.ENOMEM, when + ": " + e.getMessage());
                    h.checkEquals(left, freeFrames(), when + ": frames free");
                    h.check(before.equals(sys.mm().space.vmas()), when + ": VMAs " + sys.mm().space.vmas());
                    for (int i = 0; i < pages.length; i++) {
                        h.checkEquals(100 + i, sys.loadLong(pages[i]), when + ": page " + i);
                    }
                    hog.release(sys);
                    continue;
                }
                hog.release(sys);
                h.check(b != a, "the mapping moved");
                for (int i = 0; i < pages.length; i++) {
                    h.checkEquals(100 + i, sys.loadLong(b + (pages[i] - a)), "page " + i + " at the new address");
                }
                return 0;
            }
            h.check(false, "mremap never succeeded");
            return 1;
        });
        assertExited(0, s);
        assertTrue(failedMoves.get() >= 3, "mremap failed at " + failedMoves.get() + " points only");
    }

    private long freeFrames() {
        return h.machine.framePool().freeFramesQuiescent();
    }

    /** A mapping whose every page was touched. */
    private record Filled(long start, long length) {
    }

    /**
     * Maps and touches pages until exactly {@code left} frames are free. Every leaf table the mapping
     * needs is made first, while frames are plenty, so each later touch takes exactly one frame.
     */
    private Filled fillLeaving(Sys sys, long left) {
        FramePool pool = h.machine.framePool();
        long length = pool.freeFramesQuiescent() * PAGE;
        long start = sys.mmap(length, Vma.READ_WRITE);
        long end = start + length;
        sys.storeByte(start, (byte) 1);
        for (long va = (start + TABLE_SPAN) & -TABLE_SPAN; va < end; va += TABLE_SPAN) {
            sys.storeByte(va, (byte) 1);
        }
        for (long va = start + PAGE; va < end && pool.freeFramesQuiescent() > left; va += PAGE) {
            if ((va & (TABLE_SPAN - 1)) != 0) {
                sys.storeByte(va, (byte) 1);
            }
        }
        h.checkEquals(left, pool.freeFramesQuiescent(), "frames left free by the filler");
        return new Filled(start, length);
    }

    /** A child holding all but {@code left} frames until released. */
    private record Hog(int pid, AtomicBoolean release) {
        void release(Sys sys) {
            release.set(true);
            sys.waitpid(pid);
        }
    }

    private Hog hogLeaving(Sys sys, long left) {
        return hogLeaving(sys, left, false);
    }

    /**
     * A child holding all but {@code left} frames; with {@code dropInherited} it first unmaps what it inherited,
     * so that none of the parent's pages or (under on-demand fork) page tables stay shared with it.
     */
    private Hog hogLeaving(Sys sys, long left, boolean dropInherited) {
        AtomicBoolean filled = new AtomicBoolean();
        AtomicBoolean release = new AtomicBoolean();
        int pid = sys.fork(c -> {
            if (dropInherited) {
                for (Vma v : c.mm().space.vmas()) {
                    c.munmap(v.start(), v.length());
                }
            }
            fillLeaving(c, left);
            filled.set(true);
            while (!release.get()) {
                c.yield();
            }
            return 0;
        });
        while (!filled.get()) {
            sys.yield();
        }
        return new Hog(pid, release);
    }

    private void checkErrno(Errno expected, Runnable call, String what) {
        try {
            call.run();
            h.check(false, what + ": expected " + expected + " but the call succeeded");
        } catch (SyscallException e) {
            h.check(e.errno() == expected, what + ": expected " + expected + " but got " + e.getMessage());
        }
    }
}
