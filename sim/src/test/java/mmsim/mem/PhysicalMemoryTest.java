package mmsim.mem;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class PhysicalMemoryTest {

    @Test
    void framesHoldRealBytes() {
        try (PhysicalMemory m = new PhysicalMemory(4)) {
            m.putLong(1, 8, 0x0102030405060708L);
            assertEquals(0x0102030405060708L, m.getLong(1, 8));
            m.putByte(2, 4095, (byte) 0x5A);
            assertEquals((byte) 0x5A, m.getByte(2, 4095));
            m.copyFrame(1, 3);
            assertEquals(0x0102030405060708L, m.getLong(3, 8));
            m.zeroFrame(3);
            assertEquals(0L, m.getLong(3, 8));
            byte[] bytes = {1, 2, 3, 4, 5};
            m.writeBytes(0, 100, bytes, 0, 5);
            byte[] back = new byte[5];
            m.readBytes(0, 100, back, 0, 5);
            assertArrayEquals(bytes, back);
        }
    }

    @Test
    void framesArePageAlignedOnTheHost() {
        try (PhysicalMemory m = new PhysicalMemory(3)) {
            for (int f = 0; f < 3; f++) {
                assertEquals(0, m.frameAddress(f) & PhysicalMemory.PAGE_OFFSET_MASK);
                assertEquals(f, m.frameOfAddress(m.frameAddress(f) + 123));
            }
        }
    }

    @Test
    void memoryLargerThanTwoGibibytesIsAddressableToTheLastByte() {
        int frames = (int) ((3L << 30) / PhysicalMemory.PAGE_SIZE);
        try (PhysicalMemory m = new PhysicalMemory(frames)) {
            assertEquals(3L << 30, m.bytes());
            int last = frames - 1;
            int beyond2GiB = (int) ((2L << 30) / PhysicalMemory.PAGE_SIZE) + 1;
            m.putLong(0, 0, 11L);
            m.putLong(beyond2GiB, 0, 22L);
            m.putLong(last, 4088, 33L);
            assertEquals(11L, m.getLong(0, 0));
            assertEquals(22L, m.getLong(beyond2GiB, 0));
            assertEquals(33L, m.getLong(last, 4088));
            m.copyFrame(last, 1);
            assertEquals(33L, m.getLong(1, 4088));
        }
    }

    @Test
    void accessOutsideAFrameOrMemoryIsRejected() {
        try (PhysicalMemory m = new PhysicalMemory(2)) {
            assertThrows(IllegalArgumentException.class, () -> m.getLong(2, 0));
            assertThrows(IllegalArgumentException.class, () -> m.getLong(-1, 0));
            assertThrows(IllegalArgumentException.class, () -> m.getLong(0, 4090));
            assertThrows(IllegalArgumentException.class, () -> m.readBytes(0, 4000, new byte[200], 0, 200));
        }
    }
}
