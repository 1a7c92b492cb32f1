package mmsim.replay.lackey;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/**
 * Streams the output of {@code valgrind --tool=lackey --trace-mem=yes} (plain, or gzip-compressed: told by its
 * magic bytes) into batches of accesses, never holding more than a batch: a real trace is gigabytes.
 *
 * <p>The format, one access a line: {@code I  ADDR,SIZE} (an instruction fetch), {@code  L ADDR,SIZE} (a load),
 * {@code  S ADDR,SIZE} (a store), {@code  M ADDR,SIZE} (a modify: a load and a store to the same bytes, one
 * instruction); ADDR is hexadecimal, SIZE decimal bytes. Lines starting {@code ==} are valgrind's own messages and
 * are skipped. Anything else (a garbled line, an address that is not hexadecimal, a missing size) is malformed: it
 * is skipped and counted, and the first one's line number and text are kept for the report. A file that ends
 * inside a line (a trace cut off while being written), or a gzip stream cut off, ends the stream with the number
 * of the last whole line read ({@link #truncatedAt()}).
 *
 * <p>The parser works on bytes, with no allocation per line: the replay reads tens of millions of lines a second.
 * Not thread-safe: one reader, one consumer.
 */
public final class LackeyReader implements AutoCloseable {
    /** Access kinds, as stored in {@link Batch#kind}. */
    public static final byte FETCH = 'I';
    public static final byte LOAD = 'L';
    public static final byte STORE = 'S';
    public static final byte MODIFY = 'M';

    /** One batch of parsed accesses: {@link #count} entries of address, size and kind. Reused by the reader's owner. */
    public static final class Batch {
        public final long[] address;
        public final int[] size;
        public final byte[] kind;
        public int count;

        public Batch(int capacity) {
            address = new long[capacity];
            size = new int[capacity];
            kind = new byte[capacity];
        }
    }

    private static final int BUFFER = 1 << 16;

    private final InputStream in;
    private final byte[] buf = new byte[BUFFER];
    private int pos;
    private int limit;
    private boolean eof;
    private long line;
    private long malformed;
    private long firstMalformedLine;
    private String firstMalformedText;
    private long truncatedAt = -1;
    private long valgrindLines;
    /** Lines after which the trace ends for this reader ({@link #limitLines}). */
    private long lineLimit = Long.MAX_VALUE;

    /** Opens {@code file}, decompressing it if it is gzip. @throws IOException if it cannot be read */
    public static LackeyReader open(Path file) throws IOException {
        return new LackeyReader(openText(file));
    }

    /**
     * The text of {@code file}: decompressed if it is gzip (told by its magic bytes), else as it is. A gzip stream cut
     * off ends with an {@link EOFException}, which the reader takes for a truncated trace. @throws IOException if it
     * cannot be read
     */
    public static InputStream openText(Path file) throws IOException {
        InputStream raw = new BufferedInputStream(Files.newInputStream(file), BUFFER);
        raw.mark(2);
        int b0 = raw.read();
        int b1 = raw.read();
        raw.reset();
        return b0 == 0x1f && b1 == 0x8b ? new GZIPInputStream(raw, BUFFER) : raw;
    }

    /** A reader of {@code in} (already decompressed). */
    public LackeyReader(InputStream in) {
        this.in = in;
    }

    /**
     * Ends the trace for this reader after exactly its first {@code lines} lines (valgrind's own and malformed ones
     * counted), even in the middle of a batch: {@code replay.max_lines}. Call before the first {@link #next}.
     *
     * @throws IllegalArgumentException if {@code lines} is not positive
     */
    public void limitLines(long lines) {
        if (lines < 1) {
            throw new IllegalArgumentException("a line limit must be positive: " + lines);
        }
        lineLimit = lines;
    }

    /**
     * Fills {@code batch} with the next accesses (up to its capacity); returns false, with the batch empty, at the
     * end of the trace (or of its {@link #limitLines line limit}).
     *
     * @throws IOException when the file cannot be read (a truncated gzip stream is not an error: see {@link #truncatedAt()})
     */
    public boolean next(Batch batch) throws IOException {
        batch.count = 0;
        int capacity = batch.address.length;
        while (batch.count < capacity && line < lineLimit) {
            if (parseWellFormedLines(batch)) {
                continue;
            }
            int lineStart = pos;
            int nl = indexOfNewline();
            if (nl < 0) {
                if (!refill()) {
                    if (pos < limit) {
                        // the file ends inside a line: a trace cut off while it was written
                        truncatedAt = line;
                        pos = limit;
                    }
                    break;
                }
                continue;
            }
            line++;
            classifyOtherLine(lineStart, nl);
            pos = nl + 1;
        }
        return batch.count > 0;
    }

    /**
     * The common case: the whole, well-formed access lines from {@link #pos} on (kind, 1-16 hex digits, a comma, a
     * non-zero size of 1-6 decimal digits, {@code \n} or {@code \r\n}), each in one pass over its bytes, are parsed
     * into {@code batch} and consumed, up to its capacity or the first line that is anything else (a valgrind line,
     * an empty or malformed one, one not yet wholly in the buffer), which the general path then reads: it finds the
     * line's end ({@link #indexOfNewline}, refilling the buffer if need be) and, the line whole and still not taken
     * here, counts it as empty, valgrind's or malformed ({@link #classifyOtherLine}). This is the one place the
     * format of an access line is checked ({@code LackeyReaderTest} compares the reader with a reference on random
     * traces). Returns whether it consumed any line.
     *
     * <p>Speed, in memory (qsort-5000's 2.76 M lines from a byte array, batches of 8,192, best of 30 passes, JDK 25,
     * 2 host cores): the general path, which used to parse every line, read each twice (for its end, then to parse
     * it) and decoded each hex digit with three range tests, 21.6 ns a line; one pass with a digit table, 14.0; the same over a run of lines
     * with the position, line count and batch index in locals, 10.9. Tried and slower: finding each line's end eight
     * bytes at a time first (18.2 ns), and reading the address as 8-byte words, checking and converting its digits
     * with word arithmetic (14.1 ns as a per-line call).
     */
    private boolean parseWellFormedLines(Batch batch) {
        byte[] b = buf;
        int lim = limit;
        int p = pos;
        int count = batch.count;
        // each line parsed here is an access: at most the batch's room, and the lines left before the limit
        int capacity = (int) Math.min(batch.address.length, count + (lineLimit - line));
        long[] addresses = batch.address;
        int[] sizes = batch.size;
        byte[] kinds = batch.kind;
        int first = count;
        while (count < capacity && lim - p >= 7) {
            int q = p;
            byte c0 = b[q];
            byte c1 = b[q + 1];
            byte kind;
            if (c0 == 'I' && c1 == ' ') {
                kind = FETCH;
            } else if (c0 == ' ' && (c1 == 'L' || c1 == 'S' || c1 == 'M')) {
                kind = c1;
            } else {
                break;
            }
            if (b[q + 2] != ' ') {
                break;
            }
            q += 3;
            int digitsFrom = q;
            long address = 0;
            int d;
            while (q < lim && (d = HEX_DIGIT[b[q] & 0xFF]) >= 0) {
                address = (address << 4) | d;
                q++;
            }
            int digits = q - digitsFrom;
            if (q >= lim || digits == 0 || digits > 16 || b[q] != ',') {
                break;
            }
            q++;
            int sizeFrom = q;
            int size = 0;
            while (q < lim && (d = b[q] - '0') >= 0 && d <= 9) {
                size = size * 10 + d;
                q++;
            }
            int sizeDigits = q - sizeFrom;
            if (q >= lim || sizeDigits == 0 || sizeDigits > 6 || size == 0) {
                break;
            }
            if (b[q] == '\r') {
                q++;
                if (q >= lim) {
                    break;
                }
            }
            if (b[q] != '\n') {
                break;
            }
            p = q + 1;
            addresses[count] = address;
            sizes[count] = size;
            kinds[count] = kind;
            count++;
        }
        line += count - first;
        pos = p;
        batch.count = count;
        return count > first;
    }

    /** Each byte's value as a hexadecimal digit, or -1. */
    private static final byte[] HEX_DIGIT = new byte[256];

    static {
        for (int c = 0; c < 256; c++) {
            HEX_DIGIT[c] = (byte) hex((byte) c);
        }
    }

    private int indexOfNewline() {
        for (int i = pos; i < limit; i++) {
            if (buf[i] == '\n') {
                return i;
            }
        }
        return -1;
    }

    /** Moves the unread tail to the front and reads more; false at the end of the input. */
    private boolean refill() throws IOException {
        if (eof) {
            return false;
        }
        int tail = limit - pos;
        if (tail == buf.length) {
            throw new IOException("line " + (line + 1) + " is longer than " + buf.length + " bytes: not lackey output");
        }
        System.arraycopy(buf, pos, buf, 0, tail);
        pos = 0;
        limit = tail;
        try {
            int n = in.read(buf, limit, buf.length - limit);
            if (n < 0) {
                eof = true;
                return false;
            }
            limit += n;
        } catch (EOFException e) {
            // GZIPInputStream: the compressed stream was cut off
            eof = true;
            truncatedAt = line;
            limit = pos;   // drop the partial line
            return false;
        }
        return true;
    }

    /**
     * A whole line ({@code [start, end)}, its newline at {@code end}) that {@link #parseWellFormedLines} did not take,
     * with all of it in the buffer: so it is no access line (that path takes every well-formed one, and a well-formed
     * line is at least its 7 bytes), and is empty, valgrind's own, or malformed.
     */
    private void classifyOtherLine(int start, int end) {
        if (end > start && buf[end - 1] == '\r') {
            end--;
        }
        if (end == start) {
            return;
        }
        if (end - start >= 2 && buf[start] == '=' && buf[start + 1] == '=') {
            valgrindLines++;
        } else {
            malformed(start, end);
        }
    }

    private static int hex(byte b) {
        if (b >= '0' && b <= '9') {
            return b - '0';
        }
        if (b >= 'a' && b <= 'f') {
            return b - 'a' + 10;
        }
        if (b >= 'A' && b <= 'F') {
            return b - 'A' + 10;
        }
        return -1;
    }

    private void malformed(int start, int end) {
        if (malformed++ == 0) {
            firstMalformedLine = line;
            firstMalformedText = new String(buf, start, Math.min(end - start, 80), StandardCharsets.ISO_8859_1);
        }
    }

    /** Lines read so far (valgrind's own and malformed ones included). */
    public long lines() {
        return line;
    }

    /** Lines skipped as malformed. */
    public long malformed() {
        return malformed;
    }

    /** The first malformed line's number (1-based), or 0. */
    public long firstMalformedLine() {
        return firstMalformedLine;
    }

    /** The first malformed line's text (at most 80 characters), or null. */
    public String firstMalformedText() {
        return firstMalformedText;
    }

    /** Lines of valgrind's own messages ({@code ==PID== ...}). */
    public long valgrindLines() {
        return valgrindLines;
    }

    /** The number of the last whole line when the trace was cut off (inside a line, or a gzip stream cut short), else -1. */
    public long truncatedAt() {
        return truncatedAt;
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
