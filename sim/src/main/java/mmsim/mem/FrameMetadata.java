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
 *
 * <p>Layout: the counts live in {@link ChunkedFrameInts} chunks of 4096 frames, created by the first claim
 * in a chunk, so a machine's counts cost heap in proportion to the frames it touched (4 bytes per touched
 * frame, rounded up to 16 KiB), not to its size. A frame of a chunk never created counts 0.
 *
 * <p>Thread-safety: every method may be called from any thread; every change is an atomic
 * read-modify-write (volatile), every read a volatile read.
 */
public final class FrameMetadata {
    private static final VarHandle INTS = MethodHandles.arrayElementVarHandle(int[].class);

    private final ChunkedFrameInts refCounts;

    public FrameMetadata(int frames) {
        if (frames <= 0) {
            throw new IllegalArgumentException("frames must be positive: " + frames);
        }
        this.refCounts = new ChunkedFrameInts(frames);
    }

    public int frames() {
        return refCounts.frames();
    }

    /** Sets a freshly allocated frame's count to 1. The frame must be free (count 0). */
    public void claim(int frame) {
        // volatile CAS: the claim is ordered before the frame's publication in any page table
        if (!INTS.compareAndSet(counts(frame), ChunkedFrameInts.indexInChunk(frame), 0, 1)) {
            throw new IllegalStateException("frame " + frame + " claimed while it still has "
                    + refCount(frame) + " references");
        }
    }

    /** Adds one reference; the frame must already be held. Returns the new count. */
    public int retain(int frame) {
        int[] counts = counts(frame);
        int i = ChunkedFrameInts.indexInChunk(frame);
        int previous = (int) INTS.getAndAdd(counts, i, 1);
        if (previous <= 0) {
            INTS.getAndAdd(counts, i, -1);
            throw new IllegalStateException("frame " + frame + " retained while free");
        }
        return previous + 1;
    }

    /**
     * {@link #retain(int)} for a caller whose own reference no one else can drop meanwhile (fork, with the
     * parent's mm lock held for writing, retaining a frame its page table maps). When the count is then 1, that
     * reference is the only one: no other thread holds the frame, so none may retain or release it (both need a
     * reference), and a release store of 2 is exact without a locked read-modify-write. A count above 1 means
     * other holders that may release concurrently: the atomic {@link #retain(int)}. Returns the new count.
     * The saving is one locked instruction per page on every fork of a process whose pages are its own (a fork
     * server's children exit before the next one forks). Throws as {@link #retain(int)} does for a free frame.
     */
    public int retainHeld(int frame) {
        int[] counts = counts(frame);
        int i = ChunkedFrameInts.indexInChunk(frame);
        // acquire: a count another holder dropped to 1 is read with that holder's release, which is its last use
        if ((int) INTS.getAcquire(counts, i) == 1) {
            // release: ordered before the caller publishes the new mapping (the child's entry), which a reader acquires
            INTS.setRelease(counts, i, 2);
            return 2;
        }
        return retain(frame);
    }

    /** Removes one reference. Returns true when it was the last: the caller must free the frame. */
    public boolean release(int frame) {
        int[] counts = counts(frame);
        int i = ChunkedFrameInts.indexInChunk(frame);
        int previous = (int) INTS.getAndAdd(counts, i, -1);
        if (previous <= 0) {
            INTS.getAndAdd(counts, i, 1);
            throw new IllegalStateException("frame " + frame + " released while free");
        }
        return previous == 1;
    }

    /** The current count (a volatile read). */
    public int refCount(int frame) {
        checkFrame(frame);
        int[] counts = refCounts.chunkIfCreated(frame);
        return counts == null ? 0 : (int) INTS.getVolatile(counts, ChunkedFrameInts.indexInChunk(frame));
    }

    /** Frames with a non-zero count; exact at a quiescent point. Reads only the chunks created so far. */
    public long framesReferenced() {
        long n = 0;
        for (int c = 0; c < refCounts.chunkSlots(); c++) {
            int[] counts = refCounts.chunkAt(c);
            if (counts == null) {
                continue;
            }
            for (int i = 0; i < counts.length; i++) {
                if ((int) INTS.getVolatile(counts, i) != 0) {
                    n++;
                }
            }
        }
        return n;
    }

    /** Chunks of 4096 counts created so far: grows with the frames ever claimed. */
    public int chunksCreated() {
        return refCounts.chunksCreated();
    }

    private int[] counts(int frame) {
        checkFrame(frame);
        return refCounts.chunkOf(frame);
    }

    private void checkFrame(int frame) {
        if (frame < 0 || frame >= refCounts.frames()) {
            throw new IndexOutOfBoundsException("frame " + frame + " is outside [0, " + refCounts.frames() + ")");
        }
    }
}
