package mmsim.paging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

import mmsim.Machine;
import mmsim.TestMachines;
import mmsim.mem.FramePool;
import mmsim.mem.PhysicalMemory;

class PageTableTest {

    @Test
    void indicesSplitA48BitAddressIntoFourLevels() {
        long va = (3L << 39) | (5L << 30) | (7L << 21) | (9L << 12) | 0x123;
        assertEquals(3, PageTable.index(va, 3));
        assertEquals(5, PageTable.index(va, 2));
        assertEquals(7, PageTable.index(va, 1));
        assertEquals(9, PageTable.index(va, 0));
        assertTrue(PageTable.isUserAddress(PageTable.USER_VA_LIMIT - 1));
        assertTrue(!PageTable.isUserAddress(PageTable.USER_VA_LIMIT));
        assertTrue(!PageTable.isUserAddress(-4096));
    }

    @Test
    void walkOfAnEmptyTreeFindsNothing() {
        try (Machine m = TestMachines.boot(1, "1MiB")) {
            AddressSpace space = m.newAddressSpace(FramePool.NO_CPU);
            assertEquals(0L, m.pageTable().walk(space.root(), 0x1000_0000L));
            assertEquals(PageTable.NO_SLOT, m.pageTable().leafSlot(space.root(), 0x1000_0000L));
            assertEquals(1, m.pageTable().countTables(space.root()));
        }
    }

    @Test
    void walkMutBuildsThreeLevelsOnceAndWalkFindsTheLeaf() {
        try (Machine m = TestMachines.boot(1, "1MiB")) {
            PageTable pt = m.pageTable();
            AddressSpace space = m.newAddressSpace(FramePool.NO_CPU);
            long va = 0x7f12_3456_7000L;
            long slot = pt.leafSlotMut(FramePool.NO_CPU, space.root(), va);
            assertNotEquals(PageTable.NO_SLOT, slot);
            assertEquals(4, pt.countTables(space.root()), "root plus three new tables");
            assertEquals(slot, pt.leafSlotMut(FramePool.NO_CPU, space.root(), va), "a second walkMut creates nothing");
            assertEquals(slot, pt.leafSlot(space.root(), va));
            assertEquals(slot + 8, pt.leafSlot(space.root(), va + 4096), "the next page is the next entry");
            assertEquals(4, pt.countTables(space.root()));
            long pte = Pte.make(77, Pte.PRESENT | Pte.WRITABLE | Pte.USER);
            PhysicalMemory.soLong(slot, pte);
            assertEquals(pte, pt.walk(space.root(), va));
            assertEquals(pte, pt.walk(space.root(), va + 0xFFF), "any offset in the page");
            assertEquals(0L, pt.walk(space.root(), va + 4096));
        }
    }

    @Test
    void aWriteProtectedLinkMakesEveryLeafBelowItReadOnly() {
        try (Machine m = TestMachines.boot(1, "1MiB")) {
            PageTable pt = m.pageTable();
            AddressSpace space = m.newAddressSpace(FramePool.NO_CPU);
            long va = 0x4000_0000L;
            long slot = pt.leafSlotMut(FramePool.NO_CPU, space.root(), va);
            PhysicalMemory.soLong(slot, Pte.make(5, Pte.PRESENT | Pte.WRITABLE | Pte.USER));
            assertTrue(Pte.isWritable(pt.walk(space.root(), va)));
            // Clear W in the level-1 link (the PMD entry pointing at the leaf table), as on-demand fork does.
            long pdSlot = pdSlot(pt, space.root(), va);
            long link = PhysicalMemory.laLong(pdSlot);
            PhysicalMemory.soLong(pdSlot, Pte.without(link, Pte.WRITABLE));
            long effective = pt.walk(space.root(), va);
            assertTrue(Pte.isPresent(effective));
            assertTrue(!Pte.isWritable(effective), "effective permission is the AND over all levels");
            assertTrue(Pte.isWritable(PhysicalMemory.laLong(slot)), "the leaf itself is unchanged");
        }
    }

    private static long pdSlot(PageTable pt, int root, long va) {
        int table = root;
        for (int level = 3; level > 1; level--) {
            table = Pte.frame(PhysicalMemory.laLong(pt.slotAddress(table, PageTable.index(va, level))));
        }
        return pt.slotAddress(table, PageTable.index(va, 1));
    }

    /**
     * Only tables that no one needs, that hold nothing and that this tree alone holds are unlinked, deepest
     * first: the leaf table of a cleared span and the tables above it that it leaves empty; never a table
     * still holding an entry, one whose span the caller says is in use, or a leaf table another tree shares.
     */
    @Test
    void unlinkUnusedTablesTakesOnlyEmptyUnneededUnsharedTablesDeepestFirst() {
        try (Machine m = TestMachines.boot(1, "1MiB")) {
            PageTable pt = m.pageTable();
            AddressSpace space = m.newAddressSpace(FramePool.NO_CPU);
            long span = PageTable.LEAF_TABLE_SPAN;
            long a = 0x4000_0000L;                 // its own page directory (1 GiB aligned)
            long b = a + span;                     // the next leaf table, same directory
            long far = 0x80_0000_0000L;            // another PDPT entry, its own directory and leaf table
            long slotA = pt.leafSlotMut(FramePool.NO_CPU, space.root(), a);
            long slotB = pt.leafSlotMut(FramePool.NO_CPU, space.root(), b);
            long slotFar = pt.leafSlotMut(FramePool.NO_CPU, space.root(), far);
            PhysicalMemory.soLong(slotB, Pte.make(9, Pte.PRESENT));
            assertEquals(8, pt.countTables(space.root()), "root, one PDPT, two directories, three leaf tables");
            List<String> unlinked = new ArrayList<>();
            PageTable.TableUnlinked sink = (table, level) -> unlinked.add("level " + level);

            assertEquals(0, pt.unlinkUnusedTables(space.root(), a, b + span, (s, e) -> true, sink), "every span in use");
            assertEquals(0, pt.unlinkUnusedTables(space.root(), b, b + span, (s, e) -> false, sink), "b's table holds an entry");
            assertEquals(1, pt.unlinkUnusedTables(space.root(), a, a + 4096, (s, e) -> false, sink), "a's empty leaf table");
            assertEquals(List.of("level 0"), unlinked);
            assertEquals(PageTable.NO_SLOT, pt.leafSlot(space.root(), a));
            assertEquals(slotB, pt.leafSlot(space.root(), b), "the directory stays: it still links b's table");

            assertEquals(slotFar, pt.leafSlot(space.root(), far));
            int farLeaf = Pte.frame(PhysicalMemory.laLong(pdSlot(pt, space.root(), far)));
            m.frames().retain(farLeaf);  // shared, as on-demand fork shares a leaf table with a child
            unlinked.clear();
            assertEquals(0, pt.unlinkUnusedTables(space.root(), far, far + span, (s, e) -> false, sink), "a shared leaf table stays");
            m.frames().release(farLeaf);
            assertEquals(3, pt.unlinkUnusedTables(space.root(), far, far + span, (s, e) -> false, sink),
                    "unshared: the leaf table, then the directory and the PDPT it leaves empty");
            assertEquals(List.of("level 0", "level 1", "level 2"), unlinked);
            assertEquals(4, pt.countTables(space.root()), "root, PDPT, a's directory, b's leaf table");
        }
    }

    @Test
    void forEachLeafVisitsMappedPagesInOrderWithinTheRange() {
        try (Machine m = TestMachines.boot(1, "1MiB")) {
            PageTable pt = m.pageTable();
            AddressSpace space = m.newAddressSpace(FramePool.NO_CPU);
            long[] vas = {0x1000L, 0x5000L, 0x20_0000L, 0x40_0000_0000L};
            for (long va : vas) {
                PhysicalMemory.soLong(pt.leafSlotMut(FramePool.NO_CPU, space.root(), va), Pte.make(1, Pte.PRESENT));
            }
            List<Long> seen = new ArrayList<>();
            pt.forEachLeaf(space.root(), 0x2000L, 0x40_0000_1000L, (va, slot, table) -> seen.add(va));
            assertEquals(List.of(0x5000L, 0x20_0000L, 0x40_0000_0000L), seen);
        }
    }

    @Test
    void rangeWalksVisitEntriesAtTableEdgesAndStopAtTheRangesExclusiveEnd() {
        try (Machine m = TestMachines.boot(1, "1MiB")) {
            PageTable pt = m.pageTable();
            AddressSpace space = m.newAddressSpace(FramePool.NO_CPU);
            // the last page of a leaf table, the first of the next, the last under a directory, the first under the next
            long[] vas = {0x1F_F000L, 0x20_0000L, 0x3FFF_F000L, 0x4000_0000L, 0x7F_FFFF_F000L};
            for (long va : vas) {
                PhysicalMemory.soLong(pt.leafSlotMut(FramePool.NO_CPU, space.root(), va), Pte.make(1, Pte.PRESENT));
            }
            List<Long> seen = new ArrayList<>();
            pt.forEachLeaf(space.root(), 0x1F_F000L, 0x4000_0000L, (va, slot, table) -> seen.add(va));
            assertEquals(List.of(0x1F_F000L, 0x20_0000L, 0x3FFF_F000L), seen);
            seen.clear();
            pt.forEachLeaf(space.root(), 0x3FFF_F001L, 0x80_0000_0000L, (va, slot, table) -> seen.add(va));
            assertEquals(List.of(0x3FFF_F000L, 0x4000_0000L, 0x7F_FFFF_F000L), seen, "a range starting inside a page includes it");
            List<Long> tables = new ArrayList<>();
            pt.forEachLeafTable(space.root(), 0x20_0000L, 0x4000_0001L, (va, link, table) -> tables.add(va));
            assertEquals(List.of(0x20_0000L, 0x3FE0_0000L, 0x4000_0000L), tables);
            seen.clear();
            pt.forEachLeaf(space.root(), 0x5000_0000L, 0x5000_0000L, (va, slot, table) -> seen.add(va));
            assertEquals(List.of(), seen, "an empty range visits nothing");
        }
    }

    @Test
    void walkMutReportsExhaustionAndReleasingTheTreeFreesEveryTable() {
        try (Machine m = TestMachines.boot(1, "64KiB", "framepool.batch", "1")) {
            PageTable pt = m.pageTable();
            AddressSpace space = m.newAddressSpace(FramePool.NO_CPU);
            int mapped = 0;
            long va = 0;
            // 16 frames: the root, then 3 tables for the first 512 GiB slot, then one new leaf table per 2 MiB.
            while (pt.leafSlotMut(FramePool.NO_CPU, space.root(), va) != PageTable.NO_SLOT) {
                mapped++;
                va += PageTable.LEAF_TABLE_SPAN;
            }
            assertEquals(13, mapped);
            assertEquals(0, m.framePool().freeFramesQuiescent());
            pt.releaseTables(FramePool.NO_CPU, space.root());
            assertEquals(16, m.framePool().freeFramesQuiescent());
            assertEquals(0, m.frames().framesReferenced());
        }
    }

    /**
     * Threads race to build the same tables (each on its own CPU index). Each table must be installed
     * exactly once: every thread gets the same leaf slots, the tree has the minimal table count, and the
     * losers' frames went back to the pool.
     */
    @Test
    void concurrentWalkMutInstallsEachTableExactlyOnceAndLeaksNothing() throws Exception {
        final int threads = 4;
        try (Machine m = TestMachines.boot(threads, "16MiB", "framepool.batch", "4")) {
            PageTable pt = m.pageTable();
            for (int round = 0; round < 50; round++) {
                AddressSpace space = m.newAddressSpace(FramePool.NO_CPU);
                long base = 0x7000_0000_0000L + round * (1L << 39);
                int pages = 64;
                long stride = PageTable.LEAF_TABLE_SPAN / 2;
                long[][] slots = new long[threads][pages];
                CyclicBarrier barrier = new CyclicBarrier(threads);
                AtomicReference<Throwable> error = new AtomicReference<>();
                CountDownLatch done = new CountDownLatch(threads);
                for (int t = 0; t < threads; t++) {
                    final int cpu = t;
                    new Thread(() -> {
                        try {
                            barrier.await(30, TimeUnit.SECONDS);
                            for (int p = 0; p < pages; p++) {
                                slots[cpu][p] = pt.leafSlotMut(cpu, space.root(), base + p * stride);
                            }
                        } catch (Throwable e) {
                            error.compareAndSet(null, e);
                        } finally {
                            done.countDown();
                        }
                    }).start();
                }
                if (!done.await(60, TimeUnit.SECONDS)) {
                    fail("walkMut threads did not finish in 60 s");
                }
                if (error.get() != null) {
                    throw new AssertionError(error.get());
                }
                Set<Long> distinct = new HashSet<>();
                for (int p = 0; p < pages; p++) {
                    for (int t = 1; t < threads; t++) {
                        assertEquals(slots[0][p], slots[t][p], "round " + round + " page " + p);
                    }
                    distinct.add(slots[0][p]);
                }
                assertEquals(pages, distinct.size());
                // root + one PDPT + one PD + 32 leaf tables (two pages per 2 MiB leaf table)
                assertEquals(1 + 1 + 1 + pages / 2, pt.countTables(space.root()), "round " + round);
                for (int cpu = 0; cpu < threads; cpu++) {
                    m.framePool().drainCache(cpu);
                }
                assertEquals(m.config().frames(), m.framesAccountedQuiescent(), "frames conserved in round " + round);
                pt.releaseTables(FramePool.NO_CPU, space.root());
            }
            assertEquals(m.config().frames(), m.framePool().freeFramesQuiescent(), "every table freed");
        }
    }
}
