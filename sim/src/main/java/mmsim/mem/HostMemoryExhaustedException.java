package mmsim.mem;

/**
 * The host refused memory that {@link PhysicalMemory} needs to back a frame touched for the first time.
 * Not a simulated event (running out of simulated frames is {@link FramePool#NO_FRAME}): the simulated
 * machine is larger than this host can back for the workload run on it, and the run cannot continue
 * faithfully. The message says how much was allocated and what to change.
 */
public final class HostMemoryExhaustedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public HostMemoryExhaustedException(String message, OutOfMemoryError cause) {
        super(message, cause);
    }
}
