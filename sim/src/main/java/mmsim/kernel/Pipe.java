package mmsim.kernel;

import java.util.ArrayDeque;

/**
 * A pipe: a 64 KiB ring buffer between open ends. Guarded by its own monitor (a host lock held for a
 * copy into or out of the ring, never while touching user memory or waiting on a CPU). Readers block
 * while it is empty and a writer remains; writers block while it is full and a reader remains.
 */
final class Pipe {
    static final int CAPACITY = 64 * 1024;

    final byte[] ring = new byte[CAPACITY];
    int head;
    int count;
    int readers;
    int writers;
    final ArrayDeque<Task> readWaiters = new ArrayDeque<>();
    final ArrayDeque<Task> writeWaiters = new ArrayDeque<>();

    /** Moves up to {@code n} bytes out of the ring into {@code target}; returns how many. */
    int take(byte[] target, int n) {
        int k = Math.min(n, count);
        int first = Math.min(k, CAPACITY - head);
        System.arraycopy(ring, head, target, 0, first);
        System.arraycopy(ring, 0, target, first, k - first);
        head = (head + k) % CAPACITY;
        count -= k;
        return k;
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
