package mmsim.kernel;

import java.util.ArrayDeque;

/**
 * A pipe: a ring buffer of up to 64 KiB between open ends. Guarded by its own monitor (a host lock held for a
 * copy into or out of the ring, never while touching user memory or waiting on a CPU). Readers block
 * while it is empty and a writer remains; writers block while it is full and a reader remains. A reader
 * copies bytes out with {@link #peek}, into user memory with the monitor released, and consumes only
 * what reached user memory with {@link #skip}; {@link #reading} keeps other readers out meanwhile.
 */
final class Pipe {
    /** What the pipe holds at most, in bytes (Linux's default pipe size): writers block beyond it. */
    static final int CAPACITY = 64 * 1024;
    /** The ring's first allocation, in bytes: one page, as Linux allocates a pipe's pages on write. */
    static final int FIRST_RING = 4096;

    /**
     * The bytes held, from {@link #head}, wrapping; a power of two in length from {@link #FIRST_RING} to
     * {@link #CAPACITY}, allocated at the first write and doubled as the contents need: a pipe that carries a few
     * bytes (a fork server's status, chaos's messages) costs a page, not 64 KiB (chaos allocated 208 MB of pipe
     * rings in a 12 s run, JFR's allocation samples).
     */
    private byte[] ring = new byte[0];
    int head;
    int count;
    int readers;
    int writers;
    /** A reader holds bytes it peeked and is copying them to user memory; other readers wait. */
    boolean reading;
    final ArrayDeque<Task> readWaiters = new ArrayDeque<>();
    final ArrayDeque<Task> writeWaiters = new ArrayDeque<>();

    /** Copies up to {@code n} bytes from the front of the ring into {@code target}, leaving them there; returns how many. */
    int peek(byte[] target, int n) {
        int k = Math.min(n, count);
        int first = Math.min(k, ring.length - head);
        System.arraycopy(ring, head, target, 0, first);
        System.arraycopy(ring, 0, target, first, k - first);
        return k;
    }

    /** Drops {@code n} bytes (at most {@link #count}) from the front of the ring. */
    void skip(int n) {
        count -= n;
        head = count == 0 ? 0 : (head + n) & (ring.length - 1);
    }

    /** Moves up to {@code n} bytes of {@code source[offset..]} into the ring; returns how many. */
    int put(byte[] source, int offset, int n) {
        int k = Math.min(n, CAPACITY - count);
        if (count + k > ring.length) {
            grow(count + k);
        }
        int tail = (head + count) & (ring.length - 1);
        int first = Math.min(k, ring.length - tail);
        System.arraycopy(source, offset, ring, tail, first);
        System.arraycopy(source, offset + first, ring, 0, k - first);
        count += k;
        return k;
    }

    /** Replaces the ring by one of at least {@code bytes} (at most {@link #CAPACITY}), its contents moved to the front. */
    private void grow(int bytes) {
        byte[] bigger = new byte[bufferLength(bytes, FIRST_RING)];
        peek(bigger, count);
        ring = bigger;
        head = 0;
    }

    /**
     * The length of a buffer for {@code bytes} of pipe data: the power of two at or above {@code bytes}, at least
     * {@code smallest} (a power of two), at most {@link #CAPACITY}. The ring's and a task's staging buffer's size.
     */
    static int bufferLength(int bytes, int smallest) {
        return Math.min(Math.max(smallest, Integer.highestOneBit(Math.max(bytes, 1) - 1) << 1), CAPACITY);
    }
}
