package mmsim.workloads;

import mmsim.kernel.Sys;

/** Whole messages over simulated pipes, whose read and write may move fewer bytes than asked. */
final class Pipes {
    private Pipes() {
    }

    /**
     * Reads exactly {@code bytes} bytes from {@code fd} into simulated memory at {@code va}, blocking in
     * the kernel while the pipe is empty.
     *
     * @return false when the pipe reached end of file (every writer closed it) before the message was whole
     */
    static boolean readFully(Sys sys, int fd, long va, int bytes) {
        int got = 0;
        while (got < bytes) {
            int n = sys.read(fd, va + got, bytes - got);
            if (n == 0) {
                return false;
            }
            got += n;
        }
        return true;
    }

    /** Writes the {@code bytes} bytes at {@code va} to {@code fd}, blocking in the kernel while the pipe is full. */
    static void writeFully(Sys sys, int fd, long va, int bytes) {
        int put = 0;
        while (put < bytes) {
            put += sys.write(fd, va + put, bytes - put);
        }
    }
}
