package mmsim.kernel;

/**
 * No frame is left, even after every CPU drained its frame cache and applied its deferred invalidations
 * ({@link KernelFrames}). Thrown by the kernel's memory code, and by a fork strategy's; the kernel turns it
 * into ENOMEM for a system call or an out-of-memory kill for a fault. Carries no stack trace (it is a result).
 */
public final class OutOfFrames extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** @param what the allocation that failed, as a noun phrase ("a page table") */
    public OutOfFrames(String what) {
        super("out of frames for " + what, null, false, false);
    }
}
