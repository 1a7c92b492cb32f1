package mmsim.kernel;

import java.util.ArrayList;
import java.util.List;

/** A process's file descriptors. Guarded by its own monitor; fork copies it, sharing the open files. */
final class FileTable {
    private final List<OpenFile> fds = new ArrayList<>();

    synchronized int install(OpenFile file) {
        int fd = fds.indexOf(null);
        if (fd < 0) {
            fds.add(file);
            return fds.size() - 1;
        }
        fds.set(fd, file);
        return fd;
    }

    synchronized OpenFile get(int fd) {
        if (fd < 0 || fd >= fds.size() || fds.get(fd) == null) {
            throw new SyscallException(Errno.EBADF, "fd " + fd + " is not open");
        }
        return fds.get(fd);
    }

    /** Removes {@code fd} and returns its file; the caller drops the reference. */
    synchronized OpenFile remove(int fd) {
        OpenFile f = get(fd);
        fds.set(fd, null);
        return f;
    }

    /** Every open file, removed from the table (exit). */
    synchronized List<OpenFile> removeAll() {
        List<OpenFile> all = new ArrayList<>();
        for (OpenFile f : fds) {
            if (f != null) {
                all.add(f);
            }
        }
        fds.clear();
        return all;
    }

    /** A copy for a forked child: same open files, each referenced once more. */
    synchronized FileTable copyForFork() {
        FileTable copy = new FileTable();
        for (OpenFile f : fds) {
            if (f != null) {
                synchronized (f.pipe) {
                    f.references++;
                }
            }
            copy.fds.add(f);
        }
        return copy;
    }
}
