package mmsim.replay.lackey;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Reads a lackey trace ahead of its replay, on a host thread of its own: that thread decompresses and parses the
 * trace ({@link LackeyReader}, most of a replay's host time) while the simulated CPU's thread replays the batches
 * parsed before, so on a host with two or more cores the two overlap.
 *
 * <p>The batches are those a loop of {@code while (reader.next(batch))} on the consumer's thread would see (a line
 * limit is the reader's own, {@link LackeyReader#limitLines}), in order, each with the same lines, so a replay's modeled
 * results do not depend on the host's timing; with {@code dropFetches} a batch's instruction fetches are left out
 * (the replay skips them unless {@code replay.ifetch} is on), which cuts what crosses between the host cores by
 * two thirds. The reader's counts ({@link #reader()}: lines, malformed, the truncation) are final once
 * {@link #next()} has returned null.
 *
 * <p>The hand-over is a ring of {@value #SLOTS} batches with two counters: a waiting side spins (both sides have a
 * host core: the caller only reads ahead on hosts with two or more) and, past {@value #SPINS} spins, parks for
 * {@value #PARK_NANOS} ns at a time, so a side that waits long costs no host core. The reader thread is a host daemon
 * thread outside the simulated machine: it holds no simulated CPU and touches no simulated state; the consumer's
 * wait is a host wait, like the blocking file read it replaces. Contract: one consumer thread; {@link #close()}
 * (always: try-with-resources) stops the reader thread, whether or not the trace was read to its end, and closes the
 * file.
 */
public final class LackeyReadAhead implements AutoCloseable {
    private static final int SLOTS = 4;
    private static final int SPINS = 1 << 14;
    private static final long PARK_NANOS = 20_000;
    private static final long STOP_WAIT_MILLIS = TimeUnit.SECONDS.toMillis(10);

    private final LackeyReader reader;
    private final boolean dropFetches;
    private final LackeyReader.Batch[] ring = new LackeyReader.Batch[SLOTS];
    /** Batches the reader thread has published; written by it only (release), read by the consumer (acquire). */
    private final AtomicLong produced = new AtomicLong();
    /** Batches the consumer has handed back; written by it only (release), read by the reader thread (acquire). */
    private final AtomicLong consumed = new AtomicLong();
    private final Thread thread;
    /** Set by the reader thread before its last publication: the trace ended (or failed) after {@link #produced} batches. */
    private volatile boolean ended;
    /** The reader thread's failure (an IOException, a runtime exception or an error), published before {@link #ended}. */
    private volatile Throwable failure;
    private volatile boolean closed;
    /** The consumer's next batch number; the one before it is held until the next {@link #next()}. Consumer only. */
    private long next;

    /**
     * Starts reading {@code reader} ahead, in batches of {@code batchSize} parsed accesses, leaving each batch's
     * instruction fetches out if {@code dropFetches}.
     */
    public LackeyReadAhead(LackeyReader reader, int batchSize, boolean dropFetches) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize " + batchSize);
        }
        this.reader = reader;
        this.dropFetches = dropFetches;
        for (int i = 0; i < SLOTS; i++) {
            ring[i] = new LackeyReader.Batch(batchSize);
        }
        this.thread = new Thread(this::readAll, "mmsim-lackey-read-ahead");
        thread.setDaemon(true);
        thread.start();
    }

    private void readAll() {
        try {
            for (long n = 0; ; n++) {
                // the slot of batch n is free once the consumer handed back batch n - SLOTS
                if (!await(consumed, n - SLOTS + 1)) {
                    return;   // closed
                }
                LackeyReader.Batch batch = ring[(int) (n % SLOTS)];
                if (!reader.next(batch)) {
                    break;
                }
                if (dropFetches) {
                    dropFetches(batch);
                }
                produced.lazySet(n + 1);   // release: the batch's contents before its number
            }
        } catch (InterruptedIOException e) {
            return;
        } catch (IOException | RuntimeException | Error e) {
            failure = e;   // handed to the consumer, which would otherwise wait for ever
        }
        ended = true;
    }

    private static void dropFetches(LackeyReader.Batch b) {
        int kept = 0;
        for (int i = 0; i < b.count; i++) {
            if (b.kind[i] != LackeyReader.FETCH) {
                b.address[kept] = b.address[i];
                b.size[kept] = b.size[i];
                b.kind[kept] = b.kind[i];
                kept++;
            }
        }
        b.count = kept;
    }

    /**
     * The next batch (valid until the next call), or null at the end of the trace. A batch may be empty (all of its
     * lines were instruction fetches, left out).
     *
     * @throws IOException when the trace could not be read (see {@link LackeyReader#next}), after the batches read
     *         before the failure (a runtime exception or an error of the reader thread is rethrown likewise)
     * @throws InterruptedIOException when the consumer's thread is interrupted while it waits
     */
    public LackeyReader.Batch next() throws IOException {
        if (next > 0) {
            consumed.lazySet(next);   // release: done with batch next - 1
        }
        while (produced.get() <= next) {
            if (ended && produced.get() <= next) {
                Throwable e = failure;
                if (e instanceof IOException io) {
                    throw io;
                } else if (e instanceof RuntimeException re) {
                    throw re;
                } else if (e instanceof Error error) {
                    throw error;
                }
                return null;
            }
            if (!await(produced, next + 1)) {
                throw new InterruptedIOException("interrupted while waiting for the trace's next batch");
            }
        }
        return ring[(int) (next++ % SLOTS)];
    }

    /**
     * Waits until {@code counter} reaches {@code target}, the other side ends, or this is closed; spins first, then
     * parks a while at a time. Returns false if this was closed or the calling thread interrupted.
     */
    private boolean await(AtomicLong counter, long target) {
        for (int spins = 0; counter.get() < target; spins++) {
            if (closed || Thread.currentThread().isInterrupted()) {
                return false;
            }
            if (counter == produced && ended) {
                return true;   // the consumer re-checks what ended means
            }
            if (spins < SPINS) {
                Thread.onSpinWait();
            } else {
                LockSupport.parkNanos(this, PARK_NANOS);
            }
        }
        return true;
    }

    /** The reader, for its counts once {@link #next()} has returned null. */
    public LackeyReader reader() {
        return reader;
    }

    /** Stops the reader thread (if it still runs) and closes the trace. */
    @Override
    public void close() throws IOException {
        closed = true;
        boolean interrupted = false;
        try {
            thread.join(STOP_WAIT_MILLIS);
        } catch (InterruptedException e) {
            interrupted = true;
        }
        try {
            reader.close();
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
