package mmsim.mem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

import mmsim.Machine;
import mmsim.TestMachines;
import mmsim.cpu.Cpu;
import mmsim.paging.AddressSpace;
import mmsim.paging.Pte;
import mmsim.paging.Vma;
import mmsim.stats.StatsRegistry;
import mmsim.stats.StatsSnapshot;

/**
 * A machine of {@code memory=1TiB} (268 M frames) on a host with a fraction of that: it boots at once and
 * takes host memory only for the frames its work touches.
 */
class TerabyteMachineTest {
    private static final int FRAMES = 1 << 28;
    private static final long PAGE = PhysicalMemory.PAGE_SIZE;

    /** Chunks of physical memory the frames handed out so far can occupy: every frame below the frontier. */
    private static long chunksBelowTheFrontier(Machine m) {
        long handedOut = (long) m.config().frames() - m.framePool().neverUsedFrames();
        return (handedOut + PhysicalMemory.CHUNK_FRAMES - 1) / PhysicalMemory.CHUNK_FRAMES;
    }

    private static int frameAt(Machine m, AddressSpace space, long va) {
        return Pte.frame(PhysicalMemory.laLong(m.pageTable().leafSlot(space.root(), va)));
    }

    @Test
    void aTerabyteMachineBootsInUnderASecondAndHoldsNoFrameMemoryYet() {
        long start = System.nanoTime();
        try (Machine m = TestMachines.boot(2, "1TiB")) {
            long bootMillis = (System.nanoTime() - start) / 1_000_000;
            assertTrue(bootMillis < 1000, "boot took " + bootMillis + " ms");
            assertEquals(FRAMES, m.config().frames());
            assertEquals(0, m.memory().chunksAllocated());
            assertEquals(PAGE, m.memory().hostBytesAllocated(), "only the zero page");
            assertEquals(0, m.frames().chunksCreated());
            assertEquals(FRAMES, m.framePool().neverUsedFrames());
            assertEquals(FRAMES, m.framePool().freeFramesQuiescent());
            assertEquals(FRAMES, m.framesAccountedQuiescent());
        }
    }

    /**
     * Pages of a process spread over the whole 47-bit user address space, touched through the MMU on
     * demand-zero faults: each reads back what was stored, its frame's host address is aligned and
     * unchanged, and the host memory taken is what the frames handed out need, not what the machine has.
     */
    @Test
    void framesTouchedThroughTheMmuCostHostMemoryInProportionToTheirNumber() {
        int pages = 3000;
        long seed = 20261201L;
        try (Machine m = TestMachines.boot(2, "1TiB")) {
            Cpu cpu = m.cpu(0);
            AddressSpace space = m.newAddressSpace(FramePool.NO_CPU);
            cpu.switchAddressSpace(space);
            m.setFaultHandler(TestMachines.demandZero(m));
            long region = space.map(1L << 44, Vma.READ_WRITE);
            SplittableRandom random = new SplittableRandom(seed);
            Set<Long> vas = new HashSet<>();
            while (vas.size() < pages) {
                vas.add(region + random.nextLong(1L << 32) * PAGE);
            }
            List<Long> touched = new ArrayList<>(vas);
            for (long va : touched) {
                cpu.mmu().storeLong(va + 8, va ^ seed);
            }
            Map<Long, Long> hostAddressOf = new HashMap<>();
            for (long va : touched) {
                assertEquals(va ^ seed, cpu.mmu().loadLong(va + 8), "seed " + seed + ", va 0x" + Long.toHexString(va));
                int frame = frameAt(m, space, va);
                long address = m.memory().frameAddress(frame);
                assertEquals(0, address & PhysicalMemory.PAGE_OFFSET_MASK);
                assertEquals(va ^ seed, PhysicalMemory.lpLong(address + 8), "the MMU and the frame's host address agree");
                assertEquals(frame, m.memory().frameOfAddress(address + 8));
                hostAddressOf.put(va, address);
            }
            assertEquals(pages, new HashSet<>(hostAddressOf.values()).size(), "one host page per page");
            // scattered pages need many tables: the frames handed out are data pages plus tables
            long handedOut = FRAMES - m.framePool().neverUsedFrames();
            assertTrue(handedOut > pages && handedOut < 4L * pages, handedOut + " frames handed out");
            long chunks = m.memory().chunksAllocated();
            assertTrue(chunks <= chunksBelowTheFrontier(m) && chunks * PhysicalMemory.CHUNK_FRAMES >= pages,
                    chunks + " chunks for " + handedOut + " frames handed out");
            assertTrue(m.memory().hostBytesAllocated() < 4L * pages * PAGE + 2 * PhysicalMemory.CHUNK_BYTES,
                    m.memory().hostBytesAllocated() + " host bytes for " + pages + " pages");
            StatsSnapshot stats = m.stats().snapshot();
            assertEquals(m.memory().hostBytesAllocated(), stats.value(Machine.HOST_MEMORY_GAUGE, -1));
            assertEquals(StatsRegistry.Kind.HOST, stats.values().get(Machine.HOST_MEMORY_GAUGE).descriptor().kind());

            long more = region + (1L << 43);
            for (int i = 0; i < 2 * PhysicalMemory.CHUNK_FRAMES; i++) {
                cpu.mmu().storeLong(more + i * PAGE, i);
            }
            assertTrue(m.memory().chunksAllocated() > chunks, "more pages, more chunks");
            for (long va : touched) {
                assertEquals(hostAddressOf.get(va), m.memory().frameAddress(frameAt(m, space, va)), "a frame's host address never moves");
                assertEquals(va ^ seed, cpu.mmu().loadLong(va + 8));
            }
            TestMachines.destroy(m, space);
            assertEquals(FRAMES, m.framesAccountedQuiescent(), "every frame is free again");
            assertEquals(0, m.frames().framesReferenced());
        }
    }

    /**
     * Rounds of allocating and freeing through the CPUs' caches and the global pool, each round's peak larger
     * than the last so that the frontier keeps moving: every frame is accounted for after each round, and the
     * frontier moves only as far as the largest peak needs.
     */
    @Test
    void framesAreConservedOverAllocateFreeCyclesThatPushTheFrontier() {
        try (Machine m = TestMachines.boot(2, "1TiB")) {
            FramePool pool = m.framePool();
            PhysicalMemory memory = m.memory();
            FrameMetadata metadata = m.frames();
            int batch = m.config().framePoolBatch();
            for (int round = 1; round <= 5; round++) {
                int peak = round * 1000;
                List<Integer> held = new ArrayList<>();
                for (int i = 0; i < peak; i++) {
                    int cpu = i % 3 == 2 ? FramePool.NO_CPU : i % 3;
                    int frame = pool.allocate(cpu);
                    assertNotEquals(FramePool.NO_FRAME, frame);
                    metadata.claim(frame);
                    memory.putLong(frame, 0, ((long) round << 32) | i);
                    held.add(frame);
                }
                for (int i = 0; i < peak; i++) {
                    int frame = held.get(i);
                    assertEquals(((long) round << 32) | i, memory.getLong(frame, 0), "round " + round + ", frame " + frame);
                    assertTrue(metadata.release(frame));
                    pool.free(i % 3 == 2 ? FramePool.NO_CPU : i % 3, frame);
                }
                assertEquals(FRAMES, m.framesAccountedQuiescent(), "round " + round);
                long handedOut = FRAMES - pool.neverUsedFrames();
                assertTrue(handedOut >= peak && handedOut <= peak + 2L * 2 * batch,
                        "round " + round + ": " + handedOut + " frames left the frontier for a peak of " + peak);
            }
            assertTrue(memory.chunksAllocated() <= chunksBelowTheFrontier(m));
        }
    }
}
