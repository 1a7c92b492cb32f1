package mmsim.mem;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * Per-frame metadata: a reference count (how many mappings, page tables or kernel users hold the
 * frame), updated atomically by any CPU.
 *
 * <p>Contract: a frame handed out by the {@link FramePool} gets its count set to 1 by
 * {@link #claim(int)}; {@link #retain(int)} adds a holder; {@link #release(int)} removes one and says
 * whether it was the last, in which case the caller returns the frame to the pool. A count never
 * goes below zero: releasing a free frame is a simulator bug and throws.
 */
public final class FrameMetadata {
    private static final VarHandle INTS = MethodHandles.arrayElementVarHandle(int[].class);

    private final int[] refCounts;

    public FrameMetadata(int frames) {
        this.refCounts = new int[frames];
    }

    public int frames() {
        return refCounts.length;
    }

    /** Sets a freshly allocated frame's count to 1. The frame must be free (count 0). */
    public void claim(int frame) {
        // volatile CAS: the claim is ordered before the frame's publication in any page table
        if (!INTS.compareAndSet(refCounts, frame, 0, 1)) {
            throw new IllegalStateException("frame " + frame + " claimed while it still has "
                    + refCount(frame) + " references");
        }
    }

    /** Adds one reference; the frame must already be held. Returns the new count. */
    public int retain(int frame) {
        int previous = (int) INTS.getAndAdd(refCounts, frame, 1);
        if (previous <= 0) {
            INTS.getAndAdd(refCounts, frame, -1);
            throw new IllegalStateException("frame " + frame + " retained while free");
        }
        return previous + 1;
    }

    /** Removes one reference. Returns true when it was the last: the caller must free the frame. */
    public boolean release(int frame) {
        int previous = (int) INTS.getAndAdd(refCounts, frame, -1);
        if (previous <= 0) {
            INTS.getAndAdd(refCounts, frame, 1);
            throw new IllegalStateException("frame " + frame + " released while free");
        }
        return previous == 1;
    }

    /** The current count (a volatile read). */
    public int refCount(int frame) {
        return (int) INTS.getVolatile(refCounts, frame);
    }

    /** Frames with a non-zero count; exact at a quiescent point. */
    public long framesReferenced() {
        long n = 0;
        for (int i = 0; i < refCounts.length; i++) {
            if ((int) INTS.getVolatile(refCounts, i) != 0) {
                n++;
            }
        }
        return n;
    }
}
