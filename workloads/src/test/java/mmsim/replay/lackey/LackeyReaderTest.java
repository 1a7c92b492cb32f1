package mmsim.replay.lackey;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPOutputStream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LackeyReaderTest {
    @TempDir
    Path dir;

    private record Access(char kind, long address, int size) {
    }

    private static List<Access> readAll(LackeyReader r, int batchSize) throws Exception {
        List<Access> out = new ArrayList<>();
        LackeyReader.Batch b = new LackeyReader.Batch(batchSize);
        while (r.next(b)) {
            for (int i = 0; i < b.count; i++) {
                out.add(new Access((char) b.kind[i], b.address[i], b.size[i]));
            }
        }
        return out;
    }

    private static LackeyReader of(String text) {
        return new LackeyReader(new ByteArrayInputStream(text.getBytes(StandardCharsets.ISO_8859_1)));
    }

    @Test
    void everyLineKindParsesAndValgrindsOwnLinesAreSkipped() throws Exception {
        String text = "==123== Lackey, an example Valgrind tool\n==123== \nI  0401ab70,3\n S 1fff000688,8\n L 04228A8,16\n M 0421a80,4\r\n"
                + "I  ffffffffff600000,5\n==123== Exit code:       0\n";
        LackeyReader r = of(text);
        List<Access> all = readAll(r, 2);   // batches smaller than the trace
        assertEquals(List.of(new Access('I', 0x0401ab70L, 3), new Access('S', 0x1fff000688L, 8), new Access('L', 0x04228a8L, 16),
                new Access('M', 0x0421a80L, 4), new Access('I', 0xffffffffff600000L, 5)), all);
        assertEquals(8, r.lines());
        assertEquals(3, r.valgrindLines());
        assertEquals(0, r.malformed());
        assertEquals(-1, r.truncatedAt());
    }

    @Test
    void malformedLinesAreSkippedCountedAndTheFirstIsNamedWithItsLineNumber() throws Exception {
        String text = "I  0401ab70,3\n L zz01,8\n S 1234\nhello world\n L 10,0\n L 10,8 extra\n L 12345678901234567,8\n L 20,8\n";
        LackeyReader r = of(text);
        List<Access> all = readAll(r, 64);
        assertEquals(List.of(new Access('I', 0x0401ab70L, 3), new Access('L', 0x20, 8)), all);
        assertEquals(6, r.malformed());
        assertEquals(2, r.firstMalformedLine());
        assertEquals(" L zz01,8", r.firstMalformedText());
    }

    @Test
    void aTraceCutOffInsideALineReplaysUpToTheLastWholeLine() throws Exception {
        LackeyReader r = of(" L 10,8\n S 20,4\n L 3");
        assertEquals(2, readAll(r, 64).size());
        assertEquals(2, r.truncatedAt());
    }

    @Test
    void aGzipTraceIsReadStreamedAndACutOffGzipStreamEndsCleanly() throws Exception {
        StringBuilder b = new StringBuilder("==1== header\n");
        for (int i = 0; i < 200_000; i++) {
            b.append(i % 3 == 0 ? " L " : i % 3 == 1 ? " S " : "I  ").append(Long.toHexString(0x400000L + 8L * i)).append(",8\n");
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(bytes)) {
            gz.write(b.toString().getBytes(StandardCharsets.ISO_8859_1));
        }
        Path whole = dir.resolve("t.lackey.gz");
        Files.write(whole, bytes.toByteArray());
        try (LackeyReader r = LackeyReader.open(whole)) {
            List<Access> all = readAll(r, 4096);
            assertEquals(200_000, all.size());
            assertEquals(new Access('S', 0x400008L, 8), all.get(1));
            assertEquals(-1, r.truncatedAt());
        }
        byte[] cut = java.util.Arrays.copyOf(bytes.toByteArray(), bytes.size() / 2);
        Path half = dir.resolve("cut.lackey.gz");
        Files.write(half, cut);
        try (LackeyReader r = LackeyReader.open(half)) {
            List<Access> all = readAll(r, 4096);
            assertTrue(all.size() > 1000 && all.size() < 200_000, "some but not all: " + all.size());
            assertTrue(r.truncatedAt() > 0, "says where it was cut");
            assertEquals(0, r.malformed(), "a cut-off stream is not a malformed line");
        }
    }

    @Test
    void aPlainFileIsNotMistakenForGzip() throws Exception {
        Path plain = dir.resolve("t.lackey");
        Files.writeString(plain, " L 10,8\n", StandardCharsets.ISO_8859_1);
        try (LackeyReader r = LackeyReader.open(plain)) {
            assertFalse(readAll(r, 8).isEmpty());
        }
    }

    /**
     * The reader against a reference parser written from the format's definition (a regular expression per line), on
     * random traces: well-formed lines of every kind, address length and letter case, mixed with every kind of damage
     * (a character replaced, inserted or dropped, 17 digits, a zero or 7-digit size, a missing comma, CR line ends, bytes
     * above 0x7F, empty and valgrind lines), a trace cut off inside a line or not, and the input delivered in random short
     * reads so that lines straddle the reader's refills, with a line limit ({@code replay.max_lines}) or none. Every
     * access, count, the first malformed line and the truncation point must agree. (Made to accept 17 address digits, or 7 size digits, or any one character before the newline,
     * the reader's one-pass path fails this test; so does a line limit that either path overshoots by a line.)
     */
    @Test
    void randomTracesParseAsTheFormatsDefinitionSays() throws Exception {
        Random random = new Random(20261201);
        for (int trace = 0; trace < 300; trace++) {
            int lines = 1 + random.nextInt(trace < 250 ? 60 : 6_000);
            StringBuilder text = new StringBuilder();
            for (int i = 0; i < lines; i++) {
                text.append(randomLine(random)).append('\n');
            }
            if (random.nextInt(3) == 0) {
                String tail = randomLine(random);
                text.append(tail, 0, random.nextInt(tail.length() + 1));   // cut off inside (or before) a last line
            }
            byte[] bytes = text.toString().getBytes(StandardCharsets.ISO_8859_1);
            long limit = random.nextInt(4) == 0 ? 1 + random.nextInt(lines + 2) : Long.MAX_VALUE;
            Reference expected = Reference.parse(bytes, limit);
            int maxRead = 1 + random.nextInt(random.nextBoolean() ? 40 : 70_000);
            LackeyReader r = new LackeyReader(new ShortReads(bytes, maxRead, random.nextLong()));
            if (limit != Long.MAX_VALUE) {
                r.limitLines(limit);
            }
            List<Access> got = readAll(r, 1 + random.nextInt(100));
            String where = "trace " + trace + " (" + lines + " lines, reads of up to " + maxRead + " bytes, line limit "
                    + (limit == Long.MAX_VALUE ? "none" : limit) + ")";
            assertEquals(expected.accesses, got, where);
            assertEquals(expected.lines, r.lines(), where);
            assertEquals(expected.valgrind, r.valgrindLines(), where);
            assertEquals(expected.malformed, r.malformed(), where);
            assertEquals(expected.firstMalformedLine, r.firstMalformedLine(), where);
            assertEquals(expected.firstMalformedText, r.firstMalformedText(), where);
            assertEquals(expected.truncatedAt, r.truncatedAt(), where);
        }
    }

    private static final String HEX = "0123456789abcdefABCDEF";

    private static String randomLine(Random random) {
        int shape = random.nextInt(20);
        if (shape == 0) {
            return "";
        }
        if (shape == 1) {
            return "==" + random.nextInt(100_000) + "== some message, 12,3";
        }
        String kind = switch (random.nextInt(5)) {
            case 0, 1 -> "I  ";
            case 2 -> " L ";
            case 3 -> " S ";
            default -> " M ";
        };
        StringBuilder line = new StringBuilder(kind);
        int digits = random.nextInt(10) == 0 ? 1 + random.nextInt(18) : 7 + random.nextInt(4);
        for (int i = 0; i < digits; i++) {
            line.append(HEX.charAt(random.nextInt(HEX.length())));
        }
        line.append(',');
        int size = random.nextInt(10) == 0 ? random.nextInt(10_000_000) : 1 + random.nextInt(16);
        line.append(random.nextInt(20) == 0 ? String.format("%03d", size) : Integer.toString(size));
        if (shape == 2) {
            line.append('\r');
        }
        if (shape >= 3 && shape <= 6) {
            // damage: replace, insert or drop a character (maybe a byte above 0x7F), or a trailing space
            int at = random.nextInt(line.length());
            char c = random.nextBoolean() ? (char) (32 + random.nextInt(96)) : (char) (0x80 + random.nextInt(128));
            switch (shape) {
                case 3 -> line.setCharAt(at, c);
                case 4 -> line.insert(at, c);
                case 5 -> line.deleteCharAt(at);
                default -> line.append(' ');
            }
        }
        return line.toString();
    }

    /** The format's definition, line by line with a regular expression: what {@link LackeyReader} must produce. */
    private static final class Reference {
        private static final Pattern ACCESS = Pattern.compile("(I  | [LSM] )([0-9a-fA-F]{1,16}),([0-9]{1,6})");
        final List<Access> accesses = new ArrayList<>();
        long lines;
        long valgrind;
        long malformed;
        long firstMalformedLine;
        String firstMalformedText;
        long truncatedAt = -1;

        /** The first {@code limit} lines of {@code bytes} (a trace cut off after them is not seen as cut off). */
        static Reference parse(byte[] bytes, long limit) {
            Reference ref = new Reference();
            String text = new String(bytes, StandardCharsets.ISO_8859_1);
            int from = 0;
            for (int nl; ref.lines < limit && (nl = text.indexOf('\n', from)) >= 0; from = nl + 1) {
                ref.lines++;
                String line = text.substring(from, nl);
                if (line.endsWith("\r")) {
                    line = line.substring(0, line.length() - 1);
                }
                Matcher m = ACCESS.matcher(line);
                if (line.isEmpty()) {
                    continue;
                } else if (line.startsWith("==")) {
                    ref.valgrind++;
                } else if (m.matches() && Integer.parseInt(m.group(3)) != 0) {
                    ref.accesses.add(new Access(m.group(1).trim().charAt(0), Long.parseUnsignedLong(m.group(2), 16),
                            Integer.parseInt(m.group(3))));
                } else if (ref.malformed++ == 0) {
                    ref.firstMalformedLine = ref.lines;
                    ref.firstMalformedText = line.substring(0, Math.min(line.length(), 80));
                }
            }
            if (ref.lines < limit && from < text.length()) {
                ref.truncatedAt = ref.lines;
            }
            return ref;
        }
    }

    /** An input stream that hands out {@code bytes} in reads of 1 to {@code maxRead} bytes, at random. */
    private static final class ShortReads extends java.io.InputStream {
        private final byte[] bytes;
        private final int maxRead;
        private final Random random;
        private int at;

        ShortReads(byte[] bytes, int maxRead, long seed) {
            this.bytes = bytes;
            this.maxRead = maxRead;
            this.random = new Random(seed);
        }

        @Override
        public int read() {
            return at < bytes.length ? bytes[at++] & 0xFF : -1;
        }

        @Override
        public int read(byte[] target, int offset, int length) {
            if (at == bytes.length) {
                return -1;
            }
            int n = Math.min(Math.min(length, 1 + random.nextInt(maxRead)), bytes.length - at);
            System.arraycopy(bytes, at, target, offset, n);
            at += n;
            return n;
        }
    }
}
