package mmsim.mem;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One {@code int} per frame, stored in chunks of {@value #CHUNK_FRAMES} that are created, zeroed, the first
 * time one of their frames is written: what a machine's frame metadata costs grows with the frames it
 * touched, not with its size. An absent chunk reads as zeros.
 *
 * <p>Layout: {@code chunkOf(frame)[indexInChunk(frame)]}. The chunk table holds one reference per chunk of
 * the whole machine (4 bytes per 16 MiB of simulated memory: 256 KiB for 1 TiB); a chunk holds 16 KiB
 * (the last one only what its frames need, so a tiny machine costs a tiny array).
 *
 * <p>Thread-safety: any thread may call any method. A chunk is created once: the first writer installs it
 * with a CAS, a loser drops its own and uses the winner's, so every thread works on the same array. The
 * table is read with an acquire load (the CAS is the release), so a thread that finds a chunk also sees it
 * zeroed. The elements are this class's users' business: they use plain or atomic access on the returned
 * array as their own protocol requires.
 */
final class ChunkedFrameInts {
    /** log2 of the frames in one chunk. */
    static final int CHUNK_SHIFT = 12;
    static final int CHUNK_FRAMES = 1 << CHUNK_SHIFT;
    private static final int INDEX_MASK = CHUNK_FRAMES - 1;
    private static final VarHandle CHUNKS = MethodHandles.arrayElementVarHandle(int[][].class);

    private final int frames;
    private final int[][] chunks;
    private final AtomicInteger chunksCreated = new AtomicInteger();

    ChunkedFrameInts(int frames) {
        this.frames = frames;
        this.chunks = new int[(frames + CHUNK_FRAMES - 1) >>> CHUNK_SHIFT][];
    }

    int frames() {
        return frames;
    }

    /** Where {@code frame}'s int sits in its chunk. */
    static int indexInChunk(int frame) {
        return frame & INDEX_MASK;
    }

    /** {@code frame}'s int, a plain read of the element (0 when its chunk was never created). */
    int getPlain(int frame) {
        int[] chunk = (int[]) CHUNKS.getAcquire(chunks, frame >>> CHUNK_SHIFT);
        return chunk == null ? 0 : chunk[indexInChunk(frame)];
    }

    /** Sets {@code frame}'s int with a plain store, creating its chunk first if needed. */
    void setPlain(int frame, int value) {
        chunkOf(frame)[indexInChunk(frame)] = value;
    }

    /** The chunk holding {@code frame}'s int, created if it does not exist yet. */
    int[] chunkOf(int frame) {
        int c = frame >>> CHUNK_SHIFT;
        int[] chunk = (int[]) CHUNKS.getAcquire(chunks, c);
        return chunk != null ? chunk : createChunkSlowPath(c);
    }

    /**
     * The chunk holding {@code frame}'s int, or null when none was created: every int in it is still 0. A
     * volatile read, so that null linearizes as a volatile read of 0 (a chunk exists before any of its ints
     * changes).
     */
    int[] chunkIfCreated(int frame) {
        return (int[]) CHUNKS.getVolatile(chunks, frame >>> CHUNK_SHIFT);
    }

    /** Chunk number {@code c} ({@code 0 ≤ c < chunkSlots()}), or null when not created yet; a volatile read. */
    int[] chunkAt(int c) {
        return (int[]) CHUNKS.getVolatile(chunks, c);
    }

    /** Slots in the chunk table: chunks the whole machine would need. */
    int chunkSlots() {
        return chunks.length;
    }

    /** Chunks created so far. */
    int chunksCreated() {
        return chunksCreated.get();
    }

    private int[] createChunkSlowPath(int c) {
        int[] fresh = new int[Math.min(CHUNK_FRAMES, frames - (c << CHUNK_SHIFT))];
        // volatile CAS: the release that makes the zeroed array visible with the reference to it
        int[] witness = (int[]) CHUNKS.compareAndExchange(chunks, c, (int[]) null, fresh);
        if (witness != null) {
            return witness;
        }
        chunksCreated.incrementAndGet();
        return fresh;
    }
}
