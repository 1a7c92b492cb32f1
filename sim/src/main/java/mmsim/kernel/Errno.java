package mmsim.kernel;

/** The error codes a system call reports, with POSIX names. */
public enum Errno {
    EBADF("bad file descriptor"),
    EFAULT("bad address"),
    ECHILD("no such child process"),
    EINVAL("invalid argument"),
    ENOMEM("out of memory"),
    EPIPE("broken pipe"),
    EAGAIN("resource temporarily unavailable"),
    ESRCH("no such process"),
    EBUSY("resource busy");

    private final String description;

    Errno(String description) {
        this.description = description;
    }

    public String description() {
        return description;
    }
}
