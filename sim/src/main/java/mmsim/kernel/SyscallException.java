package mmsim.kernel;

/** A system call that failed: its {@link Errno} and a message that says what was wrong. */
public final class SyscallException extends RuntimeException {
    private final Errno errno;

    public SyscallException(Errno errno, String message) {
        super(errno + " (" + errno.description() + "): " + message);
        this.errno = errno;
    }

    public Errno errno() {
        return errno;
    }
}
