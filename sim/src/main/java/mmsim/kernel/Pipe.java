package mmsim.kernel;

import java.util.ArrayDeque;

/**
 * A pipe: a 64 KiB ring buffer between open ends. Guarded by its own monitor (a host lock held for a
 * copy into or out of the ring, never while touching user memory or waiting on a CPU). Readers block
 * while it is empty and a writer remains; writers block while it is full and a reader remains. A reader
 * copies bytes out with {@link #peek}, into user memory with the monitor released, and consumes only
 * what reached user memory with {@link #skip}; {@link #reading} keeps other readers out meanwhile.
 */
final class Pipe {
    static final int CAPACITY = 64 * 1024;

    final byte[] ring = new byte[CAPACITY];
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
        int first = Math.min(k, CAPACITY - head);
        System.arraycopy(ring, head, target, 0, first);
        System.arraycopy(ring, 0, target, first, k - first);
        return k;
    }

    /** Drops {@code n} bytes (at most {@link #count}) from the front of the ring. */
    void skip(int n) {
        head = (head + n) % CAPACITY;
        count -= n;
    }

    /** Moves up to {@code n} bytes of {@code source[offset..]} into the ring; returns how many. */
    int put(byte[] source, int offset, int n) {
        int k = Math.min(n, CAPACITY - count);
        int tail = (head + count) % CAPACITY;
        int first = Math.min(k, CAPACITY - tail);
        System.arraycopy(source, offset, ring, tail, first);
        System.arraycopy(source, offset + first, ring, 0, k - first);
        count += k;
        return k;
    }
}
