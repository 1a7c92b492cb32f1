package mmsim.replay.lackey;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

class LackeyReadAheadTest {
    private static final String READER_THREAD = "mmsim-lackey-read-ahead";

    /** One batch as the consumer saw it: its accesses. */
    private record Seen(List<String> accesses) {
    }

    private static byte[] randomTrace(long seed, int lines) {
        Random random = new Random(seed);
        StringBuilder b = new StringBuilder("==7== header\n");
        for (int i = 0; i < lines; i++) {
            int k = random.nextInt(10);
            String kind = k < 7 ? "I  " : k == 7 ? " L " : k == 8 ? " S " : " M ";
            b.append(kind).append(Long.toHexString(0x400000L + random.nextInt(1 << 20))).append(',').append(1 + random.nextInt(8));
            b.append(random.nextInt(500) == 0 ? " garbage\n" : "\n");
        }
        return b.toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    private static List<String> accessesOf(LackeyReader.Batch b, boolean dropFetches) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < b.count; i++) {
            if (!(dropFetches && b.kind[i] == LackeyReader.FETCH)) {
                out.add((char) b.kind[i] + Long.toHexString(b.address[i]) + "," + b.size[i]);
            }
        }
        return out;
    }

    private static LackeyReader readerOf(byte[] trace, long maxLines) {
        LackeyReader r = new LackeyReader(new ByteArrayInputStream(trace));
        if (maxLines > 0) {
            r.limitLines(maxLines);
        }
        return r;
    }

    /** The lines a reader has read once {@code next} returned false. */
    private static long linesRead(byte[] trace, int batchSize, long maxLines) throws IOException {
        try (LackeyReader r = readerOf(trace, maxLines)) {
            LackeyReader.Batch b = new LackeyReader.Batch(batchSize);
            while (r.next(b)) {
                // read on
            }
            return r.lines();
        }
    }

    /** What the replay's own loop reads: {@code while (next(batch))}. */
    private static List<Seen> direct(byte[] trace, int batchSize, long maxLines, boolean dropFetches) throws IOException {
        List<Seen> seen = new ArrayList<>();
        try (LackeyReader r = readerOf(trace, maxLines)) {
            LackeyReader.Batch b = new LackeyReader.Batch(batchSize);
            while (r.next(b)) {
                seen.add(new Seen(accessesOf(b, dropFetches)));
            }
        }
        return seen;
    }

    /**
     * The batches read ahead are the replay loop's own, batch for batch, with and without instruction fetches, for the
     * whole trace and up to a line limit (exact); the reader's counts at the end are the same. (With loads dropped instead of
     * fetches, or a byte lost at the end of each raw chunk, this fails.)
     */
    @Test
    void theBatchesReadAheadAreTheReplayLoopsOwn() throws Exception {
        byte[] trace = randomTrace(11, 60_000);
        for (long maxLines : new long[] {0, 1, 25_000, 59_999}) {
            for (boolean dropFetches : new boolean[] {false, true}) {
                for (int batchSize : new int[] {1, 100, 8192}) {
                    List<Seen> expected = direct(trace, batchSize, maxLines, dropFetches);
                    List<Seen> got = new ArrayList<>();
                    LackeyReader reader;
                    long malformed;
                    try (LackeyReadAhead ahead = new LackeyReadAhead(new ByteArrayInputStream(trace), batchSize, maxLines, dropFetches)) {
                        reader = ahead.reader();
                        for (LackeyReader.Batch b; (b = ahead.next()) != null; ) {
                            got.add(new Seen(accessesOf(b, false)));
                        }
                        assertNull(ahead.next(), "the end stays the end");
                        malformed = ahead.reader().malformed();
                    }
                    String what = "maxLines " + maxLines + ", dropFetches " + dropFetches + ", batch " + batchSize;
                    assertEquals(expected.size(), got.size(), what + ": batches");
                    for (int i = 0; i < expected.size(); i++) {
                        assertEquals(expected.get(i).accesses(), got.get(i).accesses(), what + ": batch " + i);
                    }
                    assertEquals(linesRead(trace, batchSize, maxLines), reader.lines(), what + ": lines read");
                    if (maxLines > 0) {
                        assertEquals(maxLines, reader.lines(), what + ": the line limit is exact");
                    }
                    assertTrue(malformed > 0 || maxLines == 1, what + ": the trace's garbage lines are counted");
                }
            }
        }
    }

    /**
     * A gzip trace cut off reads ahead as it reads in line: the same accesses up to the last whole line, the same
     * truncation point, no error.
     */
    @Test
    void aCutOffGzipTraceReadsAheadAsItReadsInLine() throws Exception {
        byte[] trace = randomTrace(14, 100_000);
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        try (java.util.zip.GZIPOutputStream gz = new java.util.zip.GZIPOutputStream(bytes)) {
            gz.write(trace);
        }
        byte[] cut = java.util.Arrays.copyOf(bytes.toByteArray(), bytes.size() * 2 / 3);
        List<String> inLine = new ArrayList<>();
        long inLineLines;
        long inLineTruncated;
        try (LackeyReader r = new LackeyReader(new java.util.zip.GZIPInputStream(new ByteArrayInputStream(cut)))) {
            LackeyReader.Batch b = new LackeyReader.Batch(500);
            while (r.next(b)) {
                inLine.addAll(accessesOf(b, false));
            }
            inLineLines = r.lines();
            inLineTruncated = r.truncatedAt();
        }
        List<String> ahead = new ArrayList<>();
        try (LackeyReadAhead a = new LackeyReadAhead(new java.util.zip.GZIPInputStream(new ByteArrayInputStream(cut)), 500, 0, false)) {
            for (LackeyReader.Batch b; (b = a.next()) != null; ) {
                ahead.addAll(accessesOf(b, false));
            }
            assertEquals(inLineLines, a.reader().lines());
            assertEquals(inLineTruncated, a.reader().truncatedAt());
        }
        assertTrue(inLineTruncated > 0, "the trace was cut off");
        assertEquals(inLine, ahead);
    }

    /** A read error reaches the consumer after the batches read before it, and the reader thread is gone. */
    @Test
    void aReadErrorReachesTheConsumerAfterTheBatchesBeforeIt() throws Exception {
        byte[] trace = randomTrace(12, 20_000);
        IOException broken = new IOException("disk on fire");
        InputStream failing = new InputStream() {
            private int at;

            @Override
            public int read() {
                throw new UnsupportedOperationException("the read-ahead reads the text in bulk");
            }

            @Override
            public int read(byte[] target, int offset, int length) throws IOException {
                if (at >= trace.length / 2) {
                    throw broken;
                }
                int n = Math.min(length, Math.min(1000, trace.length - at));
                System.arraycopy(trace, at, target, offset, n);
                at += n;
                return n;
            }
        };
        try (LackeyReadAhead ahead = new LackeyReadAhead(failing, 64, 0, false)) {
            IOException thrown = assertThrows(IOException.class, () -> {
                while (ahead.next() != null) {
                    // consume
                }
            });
            assertSame(broken, thrown);
        }
        assertFalse(readerThreadAlive(), "the reader thread ended");
    }

    /** Closing before the end (a replay killed midway) stops the reader thread, which was waiting for a free slot. */
    @Test
    void closingBeforeTheEndStopsTheReaderThread() throws Exception {
        byte[] trace = randomTrace(13, 200_000);
        try (LackeyReadAhead ahead = new LackeyReadAhead(new ByteArrayInputStream(trace), 16, 0, false)) {
            assertTrue(ahead.next() != null && ahead.next() != null);
            assertTrue(readerThreadAlive(), "still reading ahead (the ring is full)");
        }
        assertFalse(readerThreadAlive(), "the reader thread stopped at close");
    }

    /** A consumer interrupted while it waits for a batch that does not come gets an InterruptedIOException, not a hang. */
    @Test
    void anInterruptedConsumerStopsWaiting() throws Exception {
        PipedOutputStream writer = new PipedOutputStream();
        PipedInputStream pipe = new PipedInputStream(writer, 1 << 16);
        writer.write(" L 10,8\n".getBytes(StandardCharsets.ISO_8859_1));   // less than a batch: the reader thread then blocks
        AtomicReference<Throwable> outcome = new AtomicReference<>();
        CountDownLatch waiting = new CountDownLatch(1);
        CountDownLatch done = new CountDownLatch(1);
        try (LackeyReadAhead ahead = new LackeyReadAhead(pipe, 64, 0, false)) {
            Thread consumer = new Thread(() -> {
                try {
                    waiting.countDown();
                    ahead.next();
                } catch (Throwable t) {
                    outcome.set(t);
                } finally {
                    done.countDown();
                }
            });
            consumer.start();
            assertTrue(waiting.await(10, TimeUnit.SECONDS));
            consumer.interrupt();
            assertTrue(done.await(10, TimeUnit.SECONDS), "the consumer stopped waiting within 10 s of its interrupt");
            assertTrue(outcome.get() instanceof InterruptedIOException, "got " + outcome.get());
            writer.close();   // the reader thread's blocked read ends
        }
        assertFalse(readerThreadAlive(), "the reader thread stopped at close");
    }

    private static boolean readerThreadAlive() {
        return Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.getName().equals(READER_THREAD) && t.isAlive());
    }
}
