package mmsim.kernel;

/**
 * The scheduler's FIFO of runnable tasks, with the one query it needs: take the first task allowed on a given CPU.
 * A ring of task references; a take from inside the queue closes the gap by moving the tasks before it one place
 * back, so the order of the rest is kept.
 *
 * <p>Why not an {@link java.util.ArrayDeque}: taking a task other than the first needed its iterator, an
 * allocation per take, and chaos pins its threads to random halves of the CPUs, so about 3 takes in 8 on a
 * 256-CPU machine are such (the iterator's constructor alone was 1.8 % of a 256-CPU chaos run's JFR samples).
 *
 * <p>Not thread-safe: the scheduler calls it under its own lock.
 */
final class RunQueue {
    private Task[] ring = new Task[64];
    /** Index of the first task in {@link #ring}. */
    private int head;
    private int size;

    boolean isEmpty() {
        return size == 0;
    }

    int size() {
        return size;
    }

    void addLast(Task t) {
        if (size == ring.length) {
            grow();
        }
        ring[(head + size) & (ring.length - 1)] = t;
        size++;
    }

    /** Takes the first task (in FIFO order) allowed on CPU {@code cpu}; null when none is. */
    Task pollFirstAllowedOn(int cpu) {
        int k = firstAllowedOn(cpu);
        if (k < 0) {
            return null;
        }
        Task t = ring[(head + k) & (ring.length - 1)];
        removeAt(k);
        return t;
    }

    /** Whether a queued task is allowed on CPU {@code cpu}. */
    boolean anyAllowedOn(int cpu) {
        return firstAllowedOn(cpu) >= 0;
    }

    /** How many places from the head the first task allowed on CPU {@code cpu} is; -1 when none is. */
    private int firstAllowedOn(int cpu) {
        Task[] r = ring;
        int mask = r.length - 1;
        for (int k = 0; k < size; k++) {
            if (r[(head + k) & mask].mayRunOn(cpu)) {
                return k;
            }
        }
        return -1;
    }

    /** Removes {@code t} if queued; returns whether it was. */
    boolean remove(Task t) {
        Task[] r = ring;
        int mask = r.length - 1;
        for (int k = 0; k < size; k++) {
            if (r[(head + k) & mask] == t) {
                removeAt(k);
                return true;
            }
        }
        return false;
    }

    /** Removes the task {@code k} places from the head: the {@code k} before it move one place back. */
    private void removeAt(int k) {
        Task[] r = ring;
        int mask = r.length - 1;
        for (int j = k; j > 0; j--) {
            r[(head + j) & mask] = r[(head + j - 1) & mask];
        }
        r[head] = null;
        head = (head + 1) & mask;
        size--;
    }

    private void grow() {
        Task[] bigger = new Task[ring.length * 2];
        for (int k = 0; k < size; k++) {
            bigger[k] = ring[(head + k) & (ring.length - 1)];
        }
        ring = bigger;
        head = 0;
    }
}
