package mmsim.kernel;

import mmsim.mem.PhysicalMemory;

/**
 * Pipes and file descriptors: pipe, dup, close, read and write, and the kernel's copies to and from user
 * memory. A failed copy consumes nothing: bytes leave a pipe only once copied to the reader, and enter it
 * only once copied from the writer (Linux's pipe_read and pipe_write keep the same promise).
 *
 * <p>Thread-safety: a pipe's state is guarded by the pipe object; readers and writers that must wait block
 * in the scheduler, so their CPUs go to other tasks.
 */
final class PipeFiles {
    private final Scheduler scheduler;

    PipeFiles(Scheduler scheduler) {
        this.scheduler = scheduler;
    }

    int[] pipe(Task t) {
        Pipe p = new Pipe();
        p.readers = 1;
        p.writers = 1;
        FileTable files = t.process.files;
        int r = files.install(new OpenFile(p, true));
        int w = files.install(new OpenFile(p, false));
        return new int[] {r, w};
    }

    int dup(Task t, int fd) {
        FileTable files = t.process.files;
        OpenFile f = files.get(fd);
        synchronized (f.pipe) {
            f.references++;
        }
        return files.install(f);
    }

    void close(Task t, int fd) {
        closeFile(t.process.files.remove(fd));
    }

    /** Drops one reference to an open file; the last one closes its end of the pipe and wakes the pipe's waiters. */
    void closeFile(OpenFile f) {
        Pipe p = f.pipe;
        synchronized (p) {
            if (--f.references > 0) {
                return;
            }
            if (f.readEnd) {
                p.readers--;
            } else {
                p.writers--;
            }
            scheduler.wakeAll(p.readWaiters);
            scheduler.wakeAll(p.writeWaiters);
        }
    }

    /**
     * read(2) from a pipe into user memory at {@code va}: blocks while the pipe is empty and a writer
     * remains; returns 0 at end of file. Otherwise returns the bytes read, at most {@code length}: fewer
     * when fewer are in the pipe, or when the buffer turns inaccessible part-way (as Linux returns the
     * bytes copied so far). Bytes leave the pipe only once copied, so those not copied stay for the next
     * read. EFAULT when not one byte could be copied; the pipe then keeps all of them. Readers of one pipe
     * copy one at a time (Linux's pipe mutex): the bytes one is copying are not handed to another.
     */
    int read(Task t, int fd, long va, int length) {
        OpenFile f = t.process.files.get(fd);
        if (!f.readEnd) {
            throw new SyscallException(Errno.EBADF, "fd " + fd + " is not open for reading");
        }
        if (length <= 0) {
            return 0;
        }
        byte[] staging = t.sys.staging(length);
        int n = Math.min(length, staging.length);
        Pipe p = f.pipe;
        int got;
        while (true) {
            synchronized (p) {
                if (!p.reading) {
                    if (p.count > 0) {
                        got = p.peek(staging, n);
                        p.reading = true;
                        break;
                    }
                    if (p.writers == 0) {
                        return 0;
                    }
                }
                t.state.set(Task.BLOCKED);
                p.readWaiters.addLast(t);
            }
            try {
                scheduler.blockCurrent(t);
            } catch (ProcessExit killed) {
                synchronized (p) {
                    // a reader woken to take over the pipe that dies instead passes the wake-up on
                    passOn(p);
                }
                throw killed;
            }
        }
        int copied = 0;
        try {
            copied = copyToUser(t, va, staging, got);
            return copied;
        } finally {
            synchronized (p) {
                p.skip(copied);
                p.reading = false;
                passOn(p);
                if (copied > 0) {
                    scheduler.wakeAll(p.writeWaiters);
                }
            }
        }
    }

    /**
     * A reader let go of the pipe: the next waiting reader gets it if there is something to read (bytes, or
     * end of file); the one woken does the same when it is done. Readers waiting on an empty pipe stay asleep
     * until a write wakes them all. So n readers draining a pipe cost n wake-ups, not n² (a herd woken at
     * every read, each finding the pipe taken or empty). Call with {@code p} locked.
     */
    private void passOn(Pipe p) {
        if (p.count > 0 || p.writers == 0) {
            scheduler.wakeOne(p.readWaiters);
        }
    }

    /**
     * write(2) of user memory at {@code va} into a pipe: blocks while the pipe is full and a reader
     * remains. Returns the bytes written: {@code length}, or fewer when the buffer turns inaccessible
     * part-way or the last reader closes part-way (as Linux returns the bytes written so far rather than
     * an error). Bytes enter the pipe only once copied from user memory, so a failed copy adds nothing.
     * EFAULT when not one byte could be copied, EPIPE when no reader is left before one byte was written;
     * the pipe is then unchanged.
     */
    int write(Task t, int fd, long va, int length) {
        OpenFile f = t.process.files.get(fd);
        if (f.readEnd) {
            throw new SyscallException(Errno.EBADF, "fd " + fd + " is not open for writing");
        }
        byte[] staging = t.sys.staging(length);
        Pipe p = f.pipe;
        int written = 0;
        while (written < length) {
            int chunk = Math.min(length - written, staging.length);
            int copied;
            try {
                copied = copyFromUser(t, va + written, staging, chunk);
            } catch (SyscallException efault) {
                if (written > 0) {
                    return written;
                }
                throw efault;
            }
            int off = 0;
            while (off < copied) {
                synchronized (p) {
                    if (p.readers == 0) {
                        if (written + off > 0) {
                            return written + off;
                        }
                        throw new SyscallException(Errno.EPIPE, "fd " + fd + ": no reader is left");
                    }
                    int k = p.put(staging, off, copied - off);
                    if (k > 0) {
                        off += k;
                        scheduler.wakeAll(p.readWaiters);
                        continue;
                    }
                    t.state.set(Task.BLOCKED);
                    p.writeWaiters.addLast(t);
                }
                scheduler.blockCurrent(t);
            }
            written += copied;
            if (copied < chunk) {
                return written;
            }
        }
        return written;
    }

    /**
     * Copies {@code data[0, length)} into user memory at {@code va} as the kernel, a page at a time:
     * faults break COW as user stores do. Returns the bytes copied: {@code length}, or fewer when a page
     * part-way is inaccessible (nothing reaches that page or any after it).
     *
     * @throws SyscallException EFAULT when the first page is inaccessible (nothing was copied)
     */
    private int copyToUser(Task t, long va, byte[] data, int length) {
        return copyUser(t, va, data, length, true);
    }

    /**
     * Copies {@code length} bytes of user memory at {@code va} into {@code data} as the kernel, a page at
     * a time. Returns the bytes copied: {@code length}, or fewer when a page part-way is inaccessible.
     *
     * @throws SyscallException EFAULT when the first page is inaccessible (nothing was copied)
     */
    private int copyFromUser(Task t, long va, byte[] data, int length) {
        return copyUser(t, va, data, length, false);
    }

    private int copyUser(Task t, long va, byte[] data, int length, boolean toUser) {
        int done = 0;
        t.inUserCopy = true;
        try {
            while (done < length) {
                long at = va + done;
                int chunk = (int) Math.min(length - done, PhysicalMemory.PAGE_SIZE - (at & PhysicalMemory.PAGE_OFFSET_MASK));
                try {
                    if (toUser) {
                        t.cpu.cpu.mmu().write(at, data, done, chunk);
                    } else {
                        t.cpu.cpu.mmu().read(at, data, done, chunk);
                    }
                } catch (SyscallException e) {
                    if (e.errno() != Errno.EFAULT || done == 0) {
                        throw e;
                    }
                    return done;
                }
                done += chunk;
            }
            return done;
        } finally {
            t.inUserCopy = false;
        }
    }
}
