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
}
