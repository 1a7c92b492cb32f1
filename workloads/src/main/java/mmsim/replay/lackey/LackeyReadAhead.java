package mmsim.replay.lackey;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Reads a lackey trace ahead of its replay, in three stages on two host threads: the replaying thread (the consumer)
 * decompresses the trace's text into a ring of raw chunks whenever one is free, a host thread of this object's own
 * parses those chunks ({@link LackeyReader}) into a ring of batches, and the consumer replays the batches. Parsing
 * is the largest of the three (about 38 ns per replayed access on this project's host, against about 17 for zlib's
 * inflate and 25 for the simulation), so inflating on the consumer's side balances the two threads.
 *
 * <p>The batches are those a loop of {@code while (reader.next(batch))} over the whole text on one thread would see
 * (a line limit is the reader's own, {@link LackeyReader#limitLines}), in order, each with the same lines, so a
 * replay's modeled results do not depend on the host's timing; with {@code dropFetches} a batch's instruction fetches
 * are left out (the replay skips them unless {@code replay.ifetch} is on), which cuts what crosses between the host
 * cores by two thirds. The reader's counts ({@link #reader()}: lines, malformed, the truncation) are final once
 * {@link #next()} has returned null. A read error of the text (a gzip stream cut off included) reaches the reader
 * where it occurred in the text, as it would reading the file itself.
 *
 * <p>Neither side ever waits for the other with nothing the other could use: the consumer waits for a batch only
 * when the raw ring is full (or the text ended), and the parser waits for raw text only when the ring is empty, for
 * a free batch slot only when every batch is the consumer's. A waiting side spins (both have a host core: the caller
 * reads ahead only on hosts with two or more) and, past {@value #SPINS} spins, parks {@value #PARK_NANOS} ns at a
 * time. The parser thread is a host daemon thread outside the simulated machine: it holds no simulated CPU and
 * touches no simulated state; the consumer's wait is a host wait, like the blocking file read it replaces.
 * Contract: one consumer thread; {@link #close()} (always: try-with-resources) stops the parser thread, whether or
 * not the trace was read to its end, and closes the text.
 */
public final class LackeyReadAhead implements AutoCloseable {
    private static final int SLOTS = 4;
    private static final int SPINS = 1 << 14;
    private static final long PARK_NANOS = 20_000;
    private static final long STOP_WAIT_MILLIS = TimeUnit.SECONDS.toMillis(10);

    private static final int RAW_SLOTS = 4;
    private static final int RAW_CHUNK = 1 << 16;

    private final InputStream text;
    private final LackeyReader reader;
    private final boolean dropFetches;
    private final byte[][] raw = new byte[RAW_SLOTS][RAW_CHUNK];
    private final int[] rawLength = new int[RAW_SLOTS];
    /** Raw chunks the consumer has filled (release), read by the parser thread (acquire). */
    private final AtomicLong rawFilled = new AtomicLong();
    /** Raw chunks the parser thread has drained (release), read by the consumer (acquire). */
    private final AtomicLong rawDrained = new AtomicLong();
    /** Set by the consumer after its last raw chunk: the text ended, or failed ({@link #rawFailure}). */
    private volatile boolean rawEnded;
    /** The text's read error, published before {@link #rawEnded}: rethrown to the parser where the text broke off. */
    private volatile IOException rawFailure;
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
     * Starts parsing {@code text} (a trace's text, decompressed: {@link LackeyReader#openText}) ahead, in batches of
     * {@code batchSize} parsed accesses, up to its first {@code lineLimit} lines (0: all), leaving each batch's
     * instruction fetches out if {@code dropFetches}.
     */
    public LackeyReadAhead(InputStream text, int batchSize, long lineLimit, boolean dropFetches) {
        if (batchSize < 1 || lineLimit < 0) {
            throw new IllegalArgumentException("batchSize " + batchSize + ", lineLimit " + lineLimit);
        }
        this.text = text;
        this.reader = new LackeyReader(new RawText());
        if (lineLimit > 0) {
            reader.limitLines(lineLimit);
        }
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
                if (!awaitConsumed(n - SLOTS + 1)) {
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
        topUp();
        for (int spins = 0; produced.get() <= next; spins++) {
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
            if (closed || Thread.currentThread().isInterrupted()) {
                throw new InterruptedIOException("interrupted while waiting for the trace's next batch");
            }
            if (!rawEnded && rawFilled.get() - rawDrained.get() < RAW_SLOTS) {
                topUp();   // the parser may be waiting for text: give it some before waiting on it
                spins = 0;
            } else {
                backOff(spins);
            }
        }
        return ring[(int) (next++ % SLOTS)];
    }

    /**
     * Fills every free raw slot with the text's next bytes (the consumer's stage: for a gzip trace, the inflate).
     * At the text's end, or its read error (kept for the parser, which meets it where the text broke off), marks the
     * raw text ended.
     */
    private void topUp() throws InterruptedIOException {
        for (long n = rawFilled.get(); !rawEnded && n - rawDrained.get() < RAW_SLOTS; n++) {
            int slot = (int) (n % RAW_SLOTS);
            byte[] chunk = raw[slot];
            int length = 0;
            boolean end = false;
            try {
                while (length < RAW_CHUNK) {
                    int got = text.read(chunk, length, RAW_CHUNK - length);
                    if (got < 0) {
                        end = true;
                        break;
                    }
                    length += got;
                }
            } catch (InterruptedIOException e) {
                throw e;   // the consumer's own interrupt: its call ends, the text does not
            } catch (IOException e) {
                rawFailure = e;
                end = true;
            }
            rawLength[slot] = length;
            if (length > 0) {
                rawFilled.lazySet(n + 1);   // release: the chunk's bytes before its number
            }
            if (end) {
                rawEnded = true;   // after the last chunk's number
                return;
            }
        }
    }

    /** The parser's view of the raw ring: an input stream over the chunks the consumer filled, in order. */
    private final class RawText extends InputStream {
        private long chunk;
        private int at;

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
        }

        @Override
        public int read(byte[] target, int offset, int length) throws IOException {
            if (length == 0) {
                return 0;
            }
            int slot = (int) (chunk % RAW_SLOTS);
            if (at == 0 || at == rawLength[slot]) {
                if (at > 0) {
                    chunk++;
                    at = 0;
                    rawDrained.lazySet(chunk);   // release: done with the chunk
                    slot = (int) (chunk % RAW_SLOTS);
                }
                for (int spins = 0; rawFilled.get() <= chunk; spins++) {
                    if (rawEnded && rawFilled.get() <= chunk) {
                        IOException e = rawFailure;
                        if (e != null) {
                            throw e;
                        }
                        return -1;
                    }
                    if (closed) {
                        throw new InterruptedIOException("closed");
                    }
                    backOff(spins);
                }
            }
            int n = Math.min(length, rawLength[slot] - at);
            System.arraycopy(raw[slot], at, target, offset, n);
            at += n;
            return n;
        }
    }

    /**
     * The parser's wait for the consumer to have handed back {@code target} batches; returns false if this was closed
     * meanwhile.
     */
    private boolean awaitConsumed(long target) {
        for (int spins = 0; consumed.get() < target; spins++) {
            if (closed) {
                return false;
            }
            backOff(spins);
        }
        return true;
    }

    /** One step of a wait, the {@code spins}-th: a spin first, past {@value #SPINS} of them a park of {@value #PARK_NANOS} ns. */
    private void backOff(int spins) {
        if (spins < SPINS) {
            Thread.onSpinWait();
        } else {
            LockSupport.parkNanos(this, PARK_NANOS);
        }
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
            text.close();
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
