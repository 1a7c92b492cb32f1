package mmsim.mem;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

class PhysicalMemoryTest {
    /** 1 TiB of 4 KiB frames. */
    private static final int TERABYTE_FRAMES = 1 << 28;

    /** The host allocator, counting what it hands out and takes back; it refuses once {@code limit} blocks are out. */
    private static final class CountingAllocator implements PhysicalMemory.HostAllocator {
        final AtomicInteger allocated = new AtomicInteger();
        final AtomicInteger freed = new AtomicInteger();
        volatile int limit = Integer.MAX_VALUE;

        @Override
        public long allocate(long bytes) {
            if (allocated.get() - freed.get() >= limit) {
                throw new OutOfMemoryError("Unable to allocate " + bytes + " bytes");
            }
            allocated.incrementAndGet();
            return PhysicalMemory.HostAllocator.UNSAFE_ALLOCATOR.allocate(bytes);
        }

        @Override
        public void free(long address) {
            freed.incrementAndGet();
            PhysicalMemory.HostAllocator.UNSAFE_ALLOCATOR.free(address);
        }
    }

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

    @Test
    void aTerabyteReservesNoChunkUntilAFrameIsUsed() {
        try (PhysicalMemory m = new PhysicalMemory(TERABYTE_FRAMES)) {
            assertEquals(1L << 40, m.bytes());
            assertEquals(0, m.chunksAllocated());
            assertEquals(PhysicalMemory.PAGE_SIZE, m.hostBytesAllocated(), "only the zero page");
            m.putLong(0, 0, 1L);
            m.putLong(PhysicalMemory.CHUNK_FRAMES - 1, 4088, 2L);
            assertEquals(1, m.chunksAllocated(), "frames 0 and 511 share the first chunk");
            m.putLong(PhysicalMemory.CHUNK_FRAMES, 0, 3L);
            m.putLong(TERABYTE_FRAMES - 1, 4088, 4L);
            assertEquals(3, m.chunksAllocated());
            assertEquals(3 * PhysicalMemory.CHUNK_ALLOCATION_BYTES + PhysicalMemory.PAGE_SIZE, m.hostBytesAllocated());
            assertEquals(1L, m.getLong(0, 0));
            assertEquals(2L, m.getLong(PhysicalMemory.CHUNK_FRAMES - 1, 4088));
            assertEquals(3L, m.getLong(PhysicalMemory.CHUNK_FRAMES, 0));
            assertEquals(4L, m.getLong(TERABYTE_FRAMES - 1, 4088));
        }
    }

    @Test
    void aMachineSmallerThanAChunkTakesOnlyWhatItsFramesNeed() {
        try (PhysicalMemory m = new PhysicalMemory(16)) {
            m.putLong(15, 4088, 7L);
            assertEquals(7L, m.getLong(15, 4088));
            assertEquals(1, m.chunksAllocated());
            assertEquals(16 * PhysicalMemory.PAGE_SIZE + PhysicalMemory.PAGE_SIZE + PhysicalMemory.PAGE_SIZE,
                    m.hostBytesAllocated(), "16 frames, the alignment slack and the zero page");
        }
    }

    @Test
    void aFramesHostAddressIsAlignedAndNeverChanges() {
        try (PhysicalMemory m = new PhysicalMemory(TERABYTE_FRAMES)) {
            int[] frames = {0, 1, 511, 512, 513, 1 << 20, TERABYTE_FRAMES - 1};
            long[] first = new long[frames.length];
            Set<Long> distinct = new HashSet<>();
            for (int i = 0; i < frames.length; i++) {
                first[i] = m.frameAddress(frames[i]);
                assertEquals(0, first[i] & PhysicalMemory.PAGE_OFFSET_MASK, "frame " + frames[i]);
                assertTrue(distinct.add(first[i]), "frame " + frames[i] + " shares an address");
            }
            assertEquals(m.frameAddress(0) + PhysicalMemory.PAGE_SIZE, m.frameAddress(1), "frames of a chunk are adjacent");
            for (int round = 0; round < 3; round++) {
                for (int i = 0; i < frames.length; i++) {
                    assertEquals(first[i], m.frameAddress(frames[i]), "frame " + frames[i] + " moved");
                    assertEquals(frames[i], m.frameOfAddress(first[i] + 4095));
                }
            }
            assertThrows(IllegalArgumentException.class, () -> m.frameOfAddress(16));
            assertThrows(IllegalArgumentException.class, () -> m.frameOfAddress(first[0] + PhysicalMemory.CHUNK_BYTES),
                    "just past a chunk's last frame");
        }
    }

    /**
     * Threads race to be first to use frames of the same untouched chunks: every thread sees one address per
     * frame, each chunk is installed once, and every losing allocation is given back.
     */
    @Test
    void concurrentFirstUsesOfAChunkInstallItOnce() throws Exception {
        int threads = 4;
        int chunks = 64;
        CountingAllocator allocator = new CountingAllocator();
        try (PhysicalMemory m = new PhysicalMemory(TERABYTE_FRAMES, allocator)) {
            AtomicLongArray seen = new AtomicLongArray(chunks);
            AtomicReference<String> failure = new AtomicReference<>();
            CyclicBarrier barrier = new CyclicBarrier(threads);
            List<Thread> workers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                final int id = t;
                Thread worker = new Thread(() -> {
                    try {
                        for (int c = 0; c < chunks; c++) {
                            barrier.await();
                            int frame = c * 4096 * PhysicalMemory.CHUNK_FRAMES + id;
                            long chunkBase = m.frameAddress(frame) - ((long) id << PhysicalMemory.PAGE_SHIFT);
                            if (!seen.compareAndSet(c, 0, chunkBase) && seen.get(c) != chunkBase) {
                                failure.compareAndSet(null, "chunk " + c + " seen at two addresses");
                            }
                        }
                    } catch (Exception e) {
                        failure.compareAndSet(null, e.toString());
                    }
                });
                workers.add(worker);
                worker.start();
            }
            for (Thread worker : workers) {
                worker.join();
            }
            assertEquals(null, failure.get());
            assertEquals(chunks, m.chunksAllocated());
            assertEquals(chunks + 1, allocator.allocated.get() - allocator.freed.get(), "the chunks and the zero page are held; losers gave theirs back");
        }
        assertEquals(allocator.allocated.get(), allocator.freed.get(), "close gave everything back");
    }

    @Test
    void closeFreesEveryChunkAndTheZeroPage() {
        CountingAllocator allocator = new CountingAllocator();
        PhysicalMemory m = new PhysicalMemory(TERABYTE_FRAMES, allocator);
        for (int frame = 0; frame < 10 * PhysicalMemory.CHUNK_FRAMES; frame += 100) {
            m.zeroFrame(frame);
        }
        assertEquals(10, m.chunksAllocated());
        assertEquals(11, allocator.allocated.get());
        m.close();
        assertEquals(11, allocator.freed.get());
        assertThrows(IllegalStateException.class, () -> m.frameAddress(20 * PhysicalMemory.CHUNK_FRAMES),
                "a closed memory allocates nothing more");
        assertEquals(11, allocator.allocated.get());
    }

    @Test
    void aChunkTheHostRefusesIsAClearErrorAndNotAnInstalledChunk() {
        CountingAllocator allocator = new CountingAllocator();
        try (PhysicalMemory m = new PhysicalMemory(TERABYTE_FRAMES, allocator)) {
            m.putLong(0, 0, 42L);
            allocator.limit = 2;
            HostMemoryExhaustedException e = assertThrows(HostMemoryExhaustedException.class,
                    () -> m.frameAddress(PhysicalMemory.CHUNK_FRAMES));
            assertTrue(e.getMessage().startsWith("the host cannot allocate " + PhysicalMemory.CHUNK_ALLOCATION_BYTES
                    + " bytes for chunk 1 (frames 512 to 1023) of simulated physical memory"), e.getMessage());
            assertTrue(e.getCause() instanceof OutOfMemoryError);
            assertEquals(1, m.chunksAllocated());
            assertEquals(42L, m.getLong(0, 0), "chunks already installed keep working");
            allocator.limit = Integer.MAX_VALUE;
            m.putLong(PhysicalMemory.CHUNK_FRAMES, 0, 43L);
            assertEquals(43L, m.getLong(PhysicalMemory.CHUNK_FRAMES, 0), "a later first use may succeed");
        }
    }
}
