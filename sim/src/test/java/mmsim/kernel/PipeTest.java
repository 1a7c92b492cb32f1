package mmsim.kernel;

import static mmsim.kernel.KernelHarness.assertExited;

import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import mmsim.paging.Vma;

/**
 * Pipe read and write against bad user buffers, as read(2) and write(2) say: a copy that fails consumes
 * nothing and adds nothing; a copy cut short part-way reports the bytes it moved (Linux returns the
 * bytes copied so far), and those are exactly the bytes that left or entered the pipe.
 */
class PipeTest {
    private static final long PAGE = 4096;
    private static final long UNMAPPED = 0x6000_0000_0000L;
    private final KernelHarness h = new KernelHarness();

    static Stream<String> forks() {
        return Stream.of("eager", "cow", "odf");
    }

    @Test
    void aReadThatFaultsOnItsBufferConsumesNothing() throws Exception {
        ExitStatus s = h.run(2, "16MiB", "cow", sys -> {
            int[] p = sys.pipe();
            long good = sys.mmap(PAGE, Vma.READ_WRITE);
            long readOnly = sys.mmap(PAGE, Vma.READ);
            long none = sys.mmap(PAGE, Vma.NONE);
            sys.storeLong(good, 0x0102_0304_0506_0708L);
            h.checkEquals(8, sys.write(p[1], good, 8), "write");
            sys.storeLong(good, 0);
            checkErrno(Errno.EFAULT, () -> sys.read(p[0], readOnly, 8), "read into a read-only page");
            checkErrno(Errno.EFAULT, () -> sys.read(p[0], none, 8), "read into a PROT_NONE page");
            checkErrno(Errno.EFAULT, () -> sys.read(p[0], UNMAPPED, 8), "read into an unmapped page");
            sys.close(p[1]);
            h.checkEquals(8, sys.read(p[0], good, 8), "the failed reads left the 8 bytes in the pipe");
            h.checkEquals(0x0102_0304_0506_0708L, sys.loadLong(good), "the bytes");
            h.checkEquals(0, sys.read(p[0], good, 8), "then end of file");
            h.checkEquals(0, sys.loadLong(readOnly), "nothing reached the read-only page");
            return 0;
        });
        assertExited(0, s);
    }

    @Test
    void aReadIntoABufferThatTurnsInaccessiblePartWayReturnsTheBytesCopiedAndLeavesTheRest() throws Exception {
        ExitStatus s = h.run(2, "16MiB", "cow", sys -> {
            int[] p = sys.pipe();
            long src = sys.mmap(PAGE, Vma.READ_WRITE);
            sys.storeLong(src, 0x1111);
            sys.storeLong(src + 8, 0x2222);
            h.checkEquals(16, sys.write(p[1], src, 16), "write");
            long buf = sys.mmap(2 * PAGE, Vma.READ_WRITE);
            sys.mprotect(buf + PAGE, PAGE, Vma.READ);
            h.checkEquals(8, sys.read(p[0], buf + PAGE - 8, 16), "the read stops where the buffer turns read-only");
            h.checkEquals(0x1111, sys.loadLong(buf + PAGE - 8), "the bytes before it");
            h.checkEquals(0, sys.loadLong(buf + PAGE), "nothing reached the read-only page");
            h.checkEquals(8, sys.read(p[0], buf, 16), "the bytes not copied are still in the pipe");
            h.checkEquals(0x2222, sys.loadLong(buf), "and come next");
            return 0;
        });
        assertExited(0, s);
    }

    @Test
    void aWriteFromAnInaccessibleBufferPutsNothingIntoThePipe() throws Exception {
        ExitStatus s = h.run(2, "16MiB", "cow", sys -> {
            int[] p = sys.pipe();
            long none = sys.mmap(PAGE, Vma.NONE);
            long good = sys.mmap(PAGE, Vma.READ_WRITE);
            checkErrno(Errno.EFAULT, () -> sys.write(p[1], none, 8), "write from a PROT_NONE page");
            checkErrno(Errno.EFAULT, () -> sys.write(p[1], UNMAPPED, 8), "write from an unmapped page");
            sys.storeLong(good, 0x3333);
            h.checkEquals(8, sys.write(p[1], good, 8), "write from a good buffer");
            sys.close(p[1]);
            h.checkEquals(8, sys.read(p[0], good, 64), "only the good write's bytes are in the pipe");
            h.checkEquals(0x3333, sys.loadLong(good), "the bytes");
            h.checkEquals(0, sys.read(p[0], good, 64), "then end of file");
            return 0;
        });
        assertExited(0, s);
    }

    @Test
    void aWriteFromABufferThatTurnsInaccessiblePartWayWritesTheBytesCopied() throws Exception {
        ExitStatus s = h.run(2, "16MiB", "cow", sys -> {
            int[] p = sys.pipe();
            long buf = sys.mmap(2 * PAGE, Vma.READ_WRITE);
            sys.storeLong(buf + PAGE - 8, 0x4444);
            sys.mprotect(buf + PAGE, PAGE, Vma.NONE);
            h.checkEquals(8, sys.write(p[1], buf + PAGE - 8, 16), "the write stops where the buffer turns inaccessible");
            sys.close(p[1]);
            long into = sys.mmap(PAGE, Vma.READ_WRITE);
            h.checkEquals(8, sys.read(p[0], into, 64), "exactly the bytes copied are in the pipe");
            h.checkEquals(0x4444, sys.loadLong(into), "the bytes");
            h.checkEquals(0, sys.read(p[0], into, 64), "then end of file");
            return 0;
        });
        assertExited(0, s);
    }

    /** A write of more than the pipe holds whose buffer turns inaccessible after the first pipeful: the bytes already written are reported, not EFAULT. */
    @ParameterizedTest
    @MethodSource("forks")
    void aLongWriteThatFaultsAfterFillingThePipeReportsTheBytesWritten(String fork) throws Exception {
        final int good = Pipe.CAPACITY + (int) PAGE;
        ExitStatus s = h.run(2, "16MiB", fork, sys -> {
            int[] p = sys.pipe();
            long buf = sys.mmap(good + PAGE, Vma.READ_WRITE);
            for (int i = 0; i < good; i += 8) {
                sys.storeLong(buf + i, i);
            }
            sys.mprotect(buf + good, PAGE, Vma.NONE);
            int reader = sys.fork(c -> {
                c.close(p[1]);
                long into = c.mmap(good + PAGE, Vma.READ_WRITE);
                int got = 0;
                int n;
                while ((n = c.read(p[0], into + got, good + (int) PAGE - got)) > 0) {
                    got += n;
                }
                h.checkEquals(good, got, "the reader got every byte written");
                for (int i = 0; i < got; i += 8) {
                    if (c.loadLong(into + i) != i) {
                        h.check(false, "byte " + i + " arrived as " + c.loadLong(into + i));
                        return 1;
                    }
                }
                return 0;
            });
            sys.close(p[0]);
            h.checkEquals(good, sys.write(p[1], buf, good + (int) PAGE), "write reports the bytes before the PROT_NONE page");
            sys.close(p[1]);
            h.check(sys.waitpid(reader).exitedNormally(), "the reader");
            return 0;
        });
        assertExited(0, s);
    }

    /** The last reader closing while a write blocks on a full pipe: the bytes already written are reported, then the next write fails with EPIPE. */
    @ParameterizedTest
    @MethodSource("forks")
    void aWriteCutShortByTheLastReaderClosingReportsTheBytesWritten(String fork) throws Exception {
        ExitStatus s = h.run(2, "16MiB", fork, sys -> {
            int[] p = sys.pipe();
            long buf = sys.mmap(Pipe.CAPACITY + PAGE, Vma.READ_WRITE);
            int reader = sys.fork(c -> {
                c.close(p[1]);
                long into = c.mmap(PAGE, Vma.READ_WRITE);
                h.checkEquals(1, c.read(p[0], into, 1), "the reader takes one byte");
                c.close(p[0]);
                return 0;
            });
            sys.close(p[0]);
            int n = sys.write(p[1], buf, Pipe.CAPACITY + (int) PAGE);
            h.check(n == Pipe.CAPACITY || n == Pipe.CAPACITY + 1, "write reports the bytes written before the reader left: " + n);
            checkErrno(Errno.EPIPE, () -> sys.write(p[1], buf, 8), "a write with no reader");
            h.check(sys.waitpid(reader).exitedNormally(), "the reader");
            return 0;
        });
        assertExited(0, s);
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
