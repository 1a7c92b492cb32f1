package mmsim.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

import mmsim.Machine;
import mmsim.TestMachines;
import mmsim.mem.FramePool;
import mmsim.mem.PhysicalMemory;
import mmsim.paging.AddressSpace;
import mmsim.paging.PageTable;
import mmsim.paging.Pte;
import mmsim.paging.Vma;
import mmsim.stats.CpuCounter;

class MmuTest {

    private record Fault(long va, boolean write, FaultKind kind) {
    }

    private static final class Stop extends RuntimeException {
    }

    private static long leaf(Machine m, AddressSpace space, long va) {
        return PhysicalMemory.laLong(m.pageTable().leafSlot(space.root(), va));
    }

    @Test
    void anUnmappedAccessReachesTheFaultHandler() {
        try (Machine m = TestMachines.boot(1, "1MiB")) {
            Cpu cpu = m.cpu(0);
            cpu.switchAddressSpace(m.newAddressSpace(FramePool.NO_CPU));
            List<Fault> faults = new ArrayList<>();
            m.setFaultHandler((c, va, write, kind) -> {
                assertEquals(cpu, c);
                faults.add(new Fault(va, write, kind));
                throw new Stop();
            });
            assertThrows(Stop.class, () -> cpu.mmu().loadLong(0x1234_5000L));
            assertThrows(Stop.class, () -> cpu.mmu().storeByte(0x1234_6001L, (byte) 1));
            assertThrows(Stop.class, () -> cpu.mmu().loadByte(-8));
            assertEquals(List.of(new Fault(0x1234_5000L, false, FaultKind.NOT_PRESENT),
                    new Fault(0x1234_6001L, true, FaultKind.NOT_PRESENT),
                    new Fault(-8, false, FaultKind.NOT_PRESENT)), faults);
            assertEquals(3, cpu.counters().read(CpuCounter.FAULTS_NOT_PRESENT));
        }
    }

    /**
     * A fault handler that hits in the TLB reorders the set the faulting page will fill: the fill after the retried
     * walk must evict the set's least recently used entry as it is then, not the one the miss's own scan chose
     * before the handler ran (the fill keeps the miss's first invalid way, or that the set was full, and chooses a full
     * set's victim itself).
     */
    @Test
    void aFillAfterAFaultEvictsTheEntryLeastRecentlyUsedThenNotWhenTheMissScanned() {
        try (Machine m = TestMachines.boot(1, "4MiB")) {
            Cpu cpu = m.cpu(0);
            AddressSpace space = m.newAddressSpace(FramePool.NO_CPU);
            cpu.switchAddressSpace(space);
            int l1Sets = m.config().tlbL1Entries() / m.config().tlbL1Ways();
            int ways = m.config().tlbL1Ways();
            long stride = (long) l1Sets << PhysicalMemory.PAGE_SHIFT;   // pages one stride apart share an L1 set
            long base = space.map(stride * (ways + 1), Vma.READ_WRITE);
            long[] resident = new long[ways];
            for (int i = 0; i < ways; i++) {
                resident[i] = base + i * stride;
                TestMachines.mapZeroPage(m, null, space, resident[i], Pte.WRITABLE);
                cpu.mmu().loadLong(resident[i]);   // fills the set in order: resident[0] least recently used
            }
            long faulting = base + ways * stride;
            m.setFaultHandler((c, va, write, kind) -> {
                cpu.mmu().loadLong(resident[0]);   // a hit: resident[1] is now the least recently used
                TestMachines.mapZeroPage(m, null, space, faulting, Pte.WRITABLE);
            });
            cpu.mmu().loadLong(faulting);
            int asid = cpu.mmu().asid();
            Tlb tlb = cpu.tlb();
            assertTrue(tlb.l1Contains(asid, faulting >>> PhysicalMemory.PAGE_SHIFT), "the faulting page was filled");
            assertTrue(tlb.l1Contains(asid, resident[0] >>> PhysicalMemory.PAGE_SHIFT),
                    "the page the handler used stays: it was the most recently used when the fill came");
            assertFalse(tlb.l1Contains(asid, resident[1] >>> PhysicalMemory.PAGE_SHIFT),
                    "the least recently used page at the fill was evicted");
        }
    }

    /**
     * A fault's handler may flush the whole TLB (a shootdown it serves while it waits), which starts a new generation of
     * its entries: the retried walk's fill must be an entry of the new generation, one the next access hits, not one of
     * the generation the access began in, which no lookup matches any more.
     */
    @Test
    void theFillAfterAFaultWhoseHandlerFlushedTheTlbIsAnEntryTheNextAccessHits() {
        try (Machine m = TestMachines.boot(1, "4MiB")) {
            Cpu cpu = m.cpu(0);
            AddressSpace space = m.newAddressSpace(FramePool.NO_CPU);
            cpu.switchAddressSpace(space);
            long page = space.map(4096, Vma.READ_WRITE);
            m.setFaultHandler((c, va, write, kind) -> {
                cpu.flushTlb();
                TestMachines.mapZeroPage(m, null, space, page, Pte.WRITABLE);
            });
            cpu.mmu().loadLong(page);
            assertTrue(cpu.tlb().l1Contains(cpu.mmu().asid(), page >>> PhysicalMemory.PAGE_SHIFT),
                    "the retried walk's fill is valid after the handler's flush");
            long walks = cpu.counters().read(CpuCounter.WALKS);
            cpu.mmu().loadLong(page + 8);
            assertEquals(walks, cpu.counters().read(CpuCounter.WALKS), "the next access hits the fill, without a walk");
        }
    }

    @Test
    void withoutAKernelAFaultIsAnErrorNamingTheAccess() {
        try (Machine m = TestMachines.boot(1, "1MiB")) {
            Cpu cpu = m.cpu(0);
            cpu.switchAddressSpace(m.newAddressSpace(FramePool.NO_CPU));
            UnhandledPageFaultException e = assertThrows(UnhandledPageFaultException.class,
                    () -> cpu.mmu().storeLong(0x8000, 1));
            assertEquals("unhandled NOT_PRESENT fault on cpu 0: store to 0x8000", e.getMessage());
        }
    }

    @Test
    void walksSetAccessedOnLoadsAndDirtyOnStores() {
        try (Machine m = TestMachines.boot(1, "1MiB")) {
            Cpu cpu = m.cpu(0);
            AddressSpace space = m.newAddressSpace(FramePool.NO_CPU);
            cpu.switchAddressSpace(space);
            long a = space.map(2 * 4096, Vma.READ_WRITE);
            TestMachines.mapZeroPage(m, null, space, a, Pte.WRITABLE);
            TestMachines.mapZeroPage(m, null, space, a + 4096, Pte.WRITABLE);
            assertFalse(Pte.isAccessed(leaf(m, space, a)));
            cpu.mmu().loadLong(a);
            assertTrue(Pte.isAccessed(leaf(m, space, a)));
            assertFalse(Pte.isDirty(leaf(m, space, a)), "a load does not dirty");
            cpu.mmu().storeLong(a + 4096, 5);
            assertTrue(Pte.isAccessed(leaf(m, space, a + 4096)) && Pte.isDirty(leaf(m, space, a + 4096)));
            // A store through the entry the load filled (writable, not yet dirty) goes back to set D.
            cpu.mmu().storeLong(a, 6);
            assertTrue(Pte.isDirty(leaf(m, space, a)));
            assertEquals(1, cpu.counters().read(CpuCounter.TLB_DIRTY_ASSISTS));
            TestMachines.destroy(m, space);
        }
    }

    @Test
    void aStoreToAReadOnlyPageIsAProtectionFault() {
        try (Machine m = TestMachines.boot(1, "1MiB")) {
            Cpu cpu = m.cpu(0);
            AddressSpace space = m.newAddressSpace(FramePool.NO_CPU);
            cpu.switchAddressSpace(space);
            long a = space.map(4096, Vma.READ);
            TestMachines.mapZeroPage(m, null, space, a, 0);
            List<Fault> faults = new ArrayList<>();
            m.setFaultHandler((c, va, write, kind) -> {
                faults.add(new Fault(va, write, kind));
                throw new Stop();
            });
            assertEquals(0L, cpu.mmu().loadLong(a), "loads are fine");
            assertThrows(Stop.class, () -> cpu.mmu().storeInt(a + 4, 1));
            assertEquals(List.of(new Fault(a + 4, true, FaultKind.PROTECTION)), faults);
            assertEquals(1, cpu.counters().read(CpuCounter.TLB_PROTECTION_RECHECKS), "the read-only hit re-walked first");
            assertFalse(Pte.isDirty(leaf(m, space, a)));
        }
    }

    @Test
    void aFaultHandlerThatMapsThePageLetsTheAccessRetryAndSucceed() {
        try (Machine m = TestMachines.boot(1, "1MiB")) {
            Cpu cpu = m.cpu(0);
            AddressSpace space = m.newAddressSpace(FramePool.NO_CPU);
            cpu.switchAddressSpace(space);
            m.setFaultHandler(TestMachines.demandZero(m));
            long a = space.map(4 * 4096, Vma.READ_WRITE);
            assertEquals(0L, cpu.mmu().loadLong(a + 8));
            cpu.mmu().storeLong(a + 8, 0xCAFEL);
            assertEquals(0xCAFEL, cpu.mmu().loadLong(a + 8));
            assertEquals(1, cpu.counters().read(CpuCounter.FAULTS_NOT_PRESENT));
            TestMachines.destroy(m, space);
            assertEquals(m.config().frames(), m.framesAccountedQuiescent());
        }
    }

    @Test
    void bytesWrittenThroughAMappingReadBackThroughTheSameAddress() {
        try (Machine m = TestMachines.boot(1, "4MiB")) {
            Cpu cpu = m.cpu(0);
            AddressSpace space = m.newAddressSpace(FramePool.NO_CPU);
            cpu.switchAddressSpace(space);
            m.setFaultHandler(TestMachines.demandZero(m));
            long a = space.map(64 * 4096, Vma.READ_WRITE);
            Mmu mmu = cpu.mmu();
            for (int i = 0; i < 64 * 512; i++) {
                mmu.storeLong(a + 8L * i, i * 0x9E3779B97F4A7C15L);
            }
            for (int i = 0; i < 64 * 512; i++) {
                assertEquals(i * 0x9E3779B97F4A7C15L, mmu.loadLong(a + 8L * i), "long " + i);
            }
            mmu.storeInt(a + 4, 0x11223344);
            assertEquals(0x11223344, mmu.loadInt(a + 4));
            mmu.storeByte(a + 3, (byte) -7);
            assertEquals((byte) -7, mmu.loadByte(a + 3));
            byte[] text = new byte[3 * 4096 + 100];
            for (int i = 0; i < text.length; i++) {
                text[i] = (byte) (i * 31 + 7);
            }
            mmu.write(a + 4000, text, 0, text.length);
            byte[] back = new byte[text.length];
            mmu.read(a + 4000, back, 0, back.length);
            assertArrayEquals(text, back, "a bulk copy across four pages");
            TestMachines.destroy(m, space);
        }
    }

    @Test
    void twoAddressesMappedToOneFrameSeeEachOthersWrites() {
        try (Machine m = TestMachines.boot(1, "1MiB")) {
            Cpu cpu = m.cpu(0);
            AddressSpace space = m.newAddressSpace(FramePool.NO_CPU);
            cpu.switchAddressSpace(space);
            long a = space.map(4096, Vma.READ_WRITE);
            long b = space.map(4096, Vma.READ_WRITE);
            int frame = TestMachines.mapZeroPage(m, null, space, a, Pte.WRITABLE);
            TestMachines.mapFrame(m, space, b, frame, Pte.WRITABLE);
            assertEquals(2, m.frames().refCount(frame));
            cpu.mmu().storeLong(a + 16, 123L);
            assertEquals(123L, cpu.mmu().loadLong(b + 16));
            cpu.mmu().storeLong(b + 24, 456L);
            assertEquals(456L, cpu.mmu().loadLong(a + 24));
            assertEquals(456L, m.memory().getLong(frame, 24), "the bytes are in the frame");
            TestMachines.destroy(m, space);
            assertEquals(0, m.frames().refCount(frame));
        }
    }

    @Test
    void theTlbKeepsAStaleTranslationUntilItIsInvalidated() {
        try (Machine m = TestMachines.boot(1, "1MiB")) {
            Cpu cpu = m.cpu(0);
            AddressSpace space = m.newAddressSpace(FramePool.NO_CPU);
            cpu.switchAddressSpace(space);
            long a = space.map(4096, Vma.READ_WRITE);
            int oldFrame = TestMachines.mapZeroPage(m, null, space, a, Pte.WRITABLE);
            int newFrame = m.framePool().allocateGlobal();
            m.memory().putLong(oldFrame, 0, 1L);
            m.memory().putLong(newFrame, 0, 2L);
            assertEquals(1L, cpu.mmu().loadLong(a));
            long slot = m.pageTable().leafSlot(space.root(), a);
            PhysicalMemory.soLong(slot, Pte.make(newFrame, Pte.PRESENT | Pte.WRITABLE | Pte.USER));
            assertEquals(1L, cpu.mmu().loadLong(a), "a TLB hit does not look at the page table");
            cpu.invalidatePage(a);
            assertEquals(2L, cpu.mmu().loadLong(a), "after INVLPG the walk finds the new frame");
            assertEquals(newFrame, cpu.tlb().cachedFrame(0, a >>> 12));
        }
    }

    @Test
    void repeatedAccessesHitTheTlbAndCountersAddUp() {
        try (Machine m = TestMachines.boot(1, "1MiB")) {
            Cpu cpu = m.cpu(0);
            AddressSpace space = m.newAddressSpace(FramePool.NO_CPU);
            cpu.switchAddressSpace(space);
            m.setFaultHandler(TestMachines.demandZero(m));
            long a = space.map(4096, Vma.READ_WRITE);
            for (int i = 0; i < 100; i++) {
                cpu.mmu().storeLong(a + 8 * i, i);
            }
            for (int i = 0; i < 100; i++) {
                cpu.mmu().loadLong(a + 8 * i);
            }
            var c = cpu.counters();
            assertEquals(100, c.read(CpuCounter.STORES));
            assertEquals(100, c.read(CpuCounter.LOADS));
            assertEquals(1, c.read(CpuCounter.TLB_L1_MISSES), "one miss, then 199 hits");
            assertEquals(1, c.read(CpuCounter.TLB_L2_MISSES));
            assertEquals(2, c.read(CpuCounter.WALKS), "the faulting walk and the retry");
            assertEquals(1 + 4, c.read(CpuCounter.WALK_LEVELS), "the first walk stopped at the empty root entry");
            assertTrue(cpu.tlb().l1Contains(0, a >>> 12) && cpu.tlb().l2Contains(0, a >>> 12));
        }
    }

    @Test
    void anL1MissThatHitsTheL2RefillsTheL1WithoutAWalk() {
        try (Machine m = TestMachines.boot(1, "1MiB", "tlb.l1.entries", "1", "tlb.l1.ways", "1")) {
            Cpu cpu = m.cpu(0);
            AddressSpace space = m.newAddressSpace(FramePool.NO_CPU);
            cpu.switchAddressSpace(space);
            m.setFaultHandler(TestMachines.demandZero(m));
            long a = space.map(2 * 4096, Vma.READ_WRITE);
            cpu.mmu().storeLong(a, 1);
            cpu.mmu().storeLong(a + 4096, 2);
            long walks = cpu.counters().read(CpuCounter.WALKS);
            assertEquals(1L, cpu.mmu().loadLong(a));
            assertEquals(walks, cpu.counters().read(CpuCounter.WALKS), "no walk");
            assertEquals(1, cpu.counters().read(CpuCounter.TLB_L2_HITS));
            assertTrue(cpu.tlb().l1Contains(0, a >>> 12));
            assertFalse(cpu.tlb().l1Contains(0, (a + 4096) >>> 12), "the one-entry L1 gave it up");
        }
    }

    @Test
    void theModeledClockChargesWalkLevelsFaultsAndHitsFromTheCostTable() {
        try (Machine m = TestMachines.boot(1, "1MiB")) {
            Cpu cpu = m.cpu(0);
            AddressSpace space = m.newAddressSpace(FramePool.NO_CPU);
            cpu.switchAddressSpace(space);
            long a = space.map(2 * 4096, Vma.READ_WRITE);
            TestMachines.mapZeroPage(m, null, space, a, Pte.WRITABLE);
            long start = cpu.modeledCycles();
            cpu.mmu().loadLong(a);                       // L1 and L2 miss: a 4-level walk
            assertEquals(4 * cpu.costs().walkLevel + cpu.costs().tlbL1Hit, cpu.modeledCycles() - start);
            long afterMiss = cpu.modeledCycles();
            cpu.mmu().loadLong(a + 8);                   // an L1 hit
            assertEquals(cpu.costs().tlbL1Hit, cpu.modeledCycles() - afterMiss);
            m.setFaultHandler(TestMachines.demandZero(m));
            long beforeFault = cpu.modeledCycles();
            cpu.mmu().loadLong(a + 4096);                // the walk reaches an empty leaf: fault, then walk again
            assertEquals(8 * cpu.costs().walkLevel + cpu.costs().faultEntryExit
                    + cpu.costs().tlbL1Hit, cpu.modeledCycles() - beforeFault);
            TestMachines.destroy(m, space);
        }
    }

    @Test
    void misalignedWordAccessesAreRejected() {
        try (Machine m = TestMachines.boot(1, "1MiB")) {
            Cpu cpu = m.cpu(0);
            cpu.switchAddressSpace(m.newAddressSpace(FramePool.NO_CPU));
            assertThrows(MisalignedAccessException.class, () -> cpu.mmu().loadLong(0x1004));
            assertThrows(MisalignedAccessException.class, () -> cpu.mmu().storeInt(0x1002, 1));
        }
    }

    @Test
    void withoutAsidsASwitchFlushesWithAsidsEntriesSurviveTaggedApart() {
        for (boolean asid : new boolean[] {false, true}) {
            try (Machine m = TestMachines.boot(1, "1MiB", "tlb.asid", Boolean.toString(asid))) {
                Cpu cpu = m.cpu(0);
                AddressSpace one = m.newAddressSpace(FramePool.NO_CPU);
                AddressSpace two = m.newAddressSpace(FramePool.NO_CPU);
                if (asid) {
                    assertTrue(one.asid() != two.asid() && one.asid() > 0 && two.asid() > 0, "the machine gives each space its own ASID");
                }
                m.setFaultHandler(TestMachines.demandZero(m));
                long a = one.map(4096, Vma.READ_WRITE);
                two.mapFixed(a, 4096, Vma.READ_WRITE);
                cpu.switchAddressSpace(one);
                cpu.mmu().storeLong(a, 111);
                assertTrue(one.cpuMask().contains(0));
                cpu.switchAddressSpace(two);
                assertEquals(asid, one.cpuMask().contains(0),
                        asid ? "its tagged entries stay: still in the cpumask" : "leaving a space leaves its cpumask");
                assertTrue(two.cpuMask().contains(0));
                assertEquals(0L, cpu.mmu().loadLong(a), "the same address in another space is another page");
                cpu.mmu().storeLong(a, 222);
                cpu.switchAddressSpace(one);
                long misses = cpu.counters().read(CpuCounter.TLB_L1_MISSES);
                assertEquals(111L, cpu.mmu().loadLong(a));
                long expectedMisses = asid ? 0 : 1;
                assertEquals(expectedMisses, cpu.counters().read(CpuCounter.TLB_L1_MISSES) - misses,
                        asid ? "ASID-tagged entries survive the switch" : "the switch flushed the TLB");
                TestMachines.destroy(m, one);
                TestMachines.destroy(m, two);
            }
        }
    }

    @Test
    void anInterruptPostedFromAnotherThreadRunsOnTheCpuAtAnAccessBoundary() throws Exception {
        try (Machine m = TestMachines.boot(2, "1MiB")) {
            Cpu cpu = m.cpu(0);
            AddressSpace space = m.newAddressSpace(FramePool.NO_CPU);
            cpu.switchAddressSpace(space);
            m.setFaultHandler(TestMachines.demandZero(m));
            long a = space.map(4096, Vma.READ_WRITE);
            AtomicReference<Thread> ranOn = new AtomicReference<>();
            AtomicBoolean handled = new AtomicBoolean();
            CountDownLatch running = new CountDownLatch(1);
            AtomicReference<Throwable> error = new AtomicReference<>();
            Thread cpuThread = new Thread(() -> {
                try {
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                    cpu.mmu().storeLong(a, 1);
                    running.countDown();
                    while (!handled.get() && System.nanoTime() < deadline) {
                        cpu.mmu().loadLong(a);
                    }
                } catch (Throwable e) {
                    error.set(e);
                }
            }, "cpu0");
            cpuThread.start();
            assertTrue(running.await(30, TimeUnit.SECONDS));
            Interrupt irq = c -> {
                ranOn.set(Thread.currentThread());
                assertEquals(cpu, c);
                handled.set(true);
            };
            cpu.post(irq, Thread::onSpinWait);
            cpuThread.join(TimeUnit.SECONDS.toMillis(30));
            if (error.get() != null) {
                throw new AssertionError(error.get());
            }
            if (!handled.get()) {
                fail("the interrupt was not handled within 30 s");
            }
            assertEquals(cpuThread, ranOn.get(), "handlers run on the CPU's own thread");
            assertEquals(1, cpu.counters().read(CpuCounter.INTERRUPTS_HANDLED));
            assertFalse(cpu.interruptPending());
            assertNotEquals(0, cpu.counters().read(CpuCounter.LOADS));
        }
    }

    /**
     * The fault handler may take the leaf slot that the faulting walk reached ({@link Cpu#leafSlotHint}) instead of
     * walking again, but only that walk's, for its own page and space, and only while no table of the space has been
     * unlinked since the walk began: the slot may otherwise be in a freed table. A walk that stopped above the leaves
     * hands nothing, and nothing is left for after the handler.
     */
    @Test
    void theFaultingWalksLeafSlotReachesTheHandlerUntilATableIsUnlinked() {
        try (Machine m = TestMachines.boot(1, "1MiB")) {
            Cpu cpu = m.cpu(0);
            AddressSpace space = m.newAddressSpace(FramePool.NO_CPU);
            AddressSpace other = m.newAddressSpace(FramePool.NO_CPU);
            cpu.switchAddressSpace(space);
            long readOnly = space.map(2 * 4096, Vma.READ_WRITE);
            long absent = readOnly + 4096;   // in the same leaf table: its walk reaches the leaf and finds nothing
            long noTables = readOnly + (1L << 39);   // under another root entry: no table below the root
            TestMachines.mapZeroPage(m, null, space, readOnly, 0);
            List<String> seen = new ArrayList<>();
            m.setFaultHandler((c, va, write, kind) -> {
                long hint = c.leafSlotHint(space, va);
                long walked = m.pageTable().slot(space.root(), va, 0);
                seen.add(kind + (hint == PageTable.NO_SLOT ? " no slot" : hint == walked ? " the walked slot" : " a wrong slot"));
                assertEquals(PageTable.NO_SLOT, c.leafSlotHint(space, va + 4096), "another page");
                assertEquals(PageTable.NO_SLOT, c.leafSlotHint(other, va), "another space");
                if (hint != PageTable.NO_SLOT) {
                    assertEquals(hint, c.leafSlotHint(space, va + 8), "any address of the page");
                }
                if (kind == FaultKind.PROTECTION) {
                    space.noteTablesUnlinked();
                    assertEquals(PageTable.NO_SLOT, c.leafSlotHint(space, va), "after an unlink the slot may be in a freed table");
                }
                throw new Stop();
            });
            assertThrows(Stop.class, () -> cpu.mmu().storeLong(readOnly, 1));
            assertThrows(Stop.class, () -> cpu.mmu().loadLong(noTables));
            assertThrows(Stop.class, () -> cpu.mmu().loadLong(absent));
            assertEquals(List.of("PROTECTION the walked slot", "NOT_PRESENT no slot", "NOT_PRESENT the walked slot"), seen);
            assertEquals(PageTable.NO_SLOT, cpu.leafSlotHint(space, absent), "nothing is left once the handler returned");
        }
    }

    /**
     * After a handler that took the faulting walk's leaf slot, the retried access starts at that slot's table only if
     * no table was unlinked meanwhile. Here the handler replaces the page's leaf table by another that maps the page
     * (and counts the unlink): the retry must walk from the root and read what the new table maps, not fault again at
     * the old table's empty slot.
     */
    @Test
    void theRetryAfterAHandlerThatTookTheSlotWalksAgainOnceATableWasUnlinked() {
        try (Machine m = TestMachines.boot(1, "1MiB")) {
            Cpu cpu = m.cpu(0);
            AddressSpace space = m.newAddressSpace(FramePool.NO_CPU);
            cpu.switchAddressSpace(space);
            long mapped = space.map(2 * 4096, Vma.READ_WRITE);
            long absent = mapped + 4096;
            TestMachines.mapZeroPage(m, null, space, mapped, Pte.WRITABLE);
            PageTable pt = m.pageTable();
            long link = pt.slot(space.root(), absent, 1);
            List<Long> hints = new ArrayList<>();
            m.setFaultHandler((c, va, write, kind) -> {
                long hint = c.leafSlotHint(space, va);
                hints.add(hint);
                if (hints.size() > 1) {
                    throw new Stop();   // a second fault: the retry read the old table
                }
                assertNotEquals(PageTable.NO_SLOT, hint);
                int replacement = pt.allocateTable(FramePool.NO_CPU);
                int frame = m.framePool().allocate(FramePool.NO_CPU);
                m.memory().zeroFrame(frame);
                m.frames().claim(frame);
                PhysicalMemory.spLong(m.memory().frameAddress(frame) + 8, 42);
                PhysicalMemory.soLong(pt.slotAddress(replacement, PageTable.index(va, 0)),
                        Pte.make(frame, Pte.PRESENT | Pte.USER | Pte.WRITABLE));
                assertTrue(PhysicalMemory.casLong(link, PhysicalMemory.laLong(link),
                        Pte.make(replacement, PageTable.TABLE_LINK_FLAGS)));
                space.noteTablesUnlinked();
            });
            assertEquals(42, cpu.mmu().loadLong(absent + 8), "the retry read the page the new table maps");
            assertEquals(1, hints.size(), "one fault");
        }
    }

    /**
     * The walk memo ({@link Mmu#setWalkMemo}): a walk in a 2 MiB region walked before goes straight to the leaf table
     * the last one reached, until a table of the space is unlinked. Here the region's leaf table is replaced (a counted
     * unlink); the next walk must read the new table's entry, not the old table's, which still maps the page.
     */
    @Test
    void withTheWalkMemoAWalkAfterAnUnlinkReadsTheTableThatReplacedTheOldOne() {
        try (Machine m = TestMachines.boot(1, "1MiB")) {
            Cpu cpu = m.cpu(0);
            cpu.mmu().setWalkMemo(true);
            AddressSpace space = m.newAddressSpace(FramePool.NO_CPU);
            cpu.switchAddressSpace(space);
            long a = space.map(2 * 4096, Vma.READ_WRITE);
            long b = a + 4096;
            assertEquals(a >>> 21, b >>> 21, "one leaf table maps both pages");
            TestMachines.mapZeroPage(m, null, space, a, Pte.WRITABLE);
            int oldFrame = TestMachines.mapZeroPage(m, null, space, b, Pte.WRITABLE);
            m.memory().putLong(oldFrame, 8, 1L);
            assertEquals(0L, cpu.mmu().loadLong(a), "a walk reaches the leaf table and leaves it in the memo");
            linkNewLeafTable(m, space, b, 8, 2L);
            space.noteTablesUnlinked();
            long levels = cpu.counters().read(CpuCounter.WALK_LEVELS);
            assertEquals(2L, cpu.mmu().loadLong(b + 8), "the walk after the unlink read the new leaf table");
            assertEquals(levels + PageTable.LEVELS, cpu.counters().read(CpuCounter.WALK_LEVELS));
        }
    }

    /**
     * Replaces the leaf table that maps {@code va} in {@code space} by a new one whose only entry maps {@code va} to a
     * fresh frame holding {@code value} at {@code offset}; the old table stays as it was. Counts nothing.
     */
    private static void linkNewLeafTable(Machine m, AddressSpace space, long va, int offset, long value) {
        PageTable pt = m.pageTable();
        int table = pt.allocateTable(FramePool.NO_CPU);
        int frame = m.framePool().allocateGlobal();
        m.memory().zeroFrame(frame);
        m.memory().putLong(frame, offset, value);
        PhysicalMemory.soLong(pt.slotAddress(table, PageTable.index(va, 0)), Pte.make(frame, Pte.PRESENT | Pte.USER | Pte.WRITABLE));
        PhysicalMemory.soLong(pt.slot(space.root(), va, 1), Pte.make(table, PageTable.TABLE_LINK_FLAGS));
    }

    /** The memo is the loaded space's: after a switch, a walk in a region the other space walked reads this space's tables. */
    @Test
    void withTheWalkMemoASwitchedToSpaceWalksItsOwnTables() {
        try (Machine m = TestMachines.boot(1, "1MiB")) {
            Cpu cpu = m.cpu(0);
            cpu.mmu().setWalkMemo(true);
            AddressSpace first = m.newAddressSpace(FramePool.NO_CPU);
            AddressSpace second = m.newAddressSpace(FramePool.NO_CPU);
            long a = first.map(4096, Vma.READ_WRITE);
            assertEquals(a, second.map(4096, Vma.READ_WRITE), "both spaces map the same address");
            m.memory().putLong(TestMachines.mapZeroPage(m, null, first, a, Pte.WRITABLE), 0, 1L);
            m.memory().putLong(TestMachines.mapZeroPage(m, null, second, a, Pte.WRITABLE), 0, 2L);
            for (int round = 0; round < 2; round++) {
                cpu.switchAddressSpace(first);
                assertEquals(1L, cpu.mmu().loadLong(a), "round " + round + ": the first space's page");
                cpu.switchAddressSpace(second);
                assertEquals(2L, cpu.mmu().loadLong(a), "round " + round + ": the second space's page");
            }
        }
    }

    /**
     * With the memo off (the machine's default, for code that edits links by hand without counting the change), every
     * walk reads every level: a link changed uncounted is followed at once.
     */
    @Test
    void withoutTheWalkMemoAWalkFollowsALinkChangedWithoutAnUnlink() {
        try (Machine m = TestMachines.boot(1, "1MiB")) {
            Cpu cpu = m.cpu(0);
            AddressSpace space = m.newAddressSpace(FramePool.NO_CPU);
            cpu.switchAddressSpace(space);
            long a = space.map(2 * 4096, Vma.READ_WRITE);
            long b = a + 4096;
            TestMachines.mapZeroPage(m, null, space, a, Pte.WRITABLE);
            TestMachines.mapZeroPage(m, null, space, b, Pte.WRITABLE);
            assertEquals(0L, cpu.mmu().loadLong(a));
            linkNewLeafTable(m, space, b, 0, 3L);   // uncounted
            assertEquals(3L, cpu.mmu().loadLong(b), "the walk read the link again");
        }
    }

    /** The memo is the host's shortcut, not a modeled cache: the same accesses count and charge the same with it and without. */
    @Test
    void theWalkMemoChangesNoModeledFigure() {
        long[][] figures = new long[2][];
        for (int on = 0; on < 2; on++) {
            try (Machine m = TestMachines.boot(1, "96MiB")) {
                m.setFaultHandler(TestMachines.demandZero(m));
                Cpu cpu = m.cpu(0);
                cpu.mmu().setWalkMemo(on == 1);
                AddressSpace space = m.newAddressSpace(FramePool.NO_CPU);
                cpu.switchAddressSpace(space);
                long base = space.map(16_384 * 4096L, Vma.READ_WRITE);   // 32 regions of 2 MiB: the memo hits and misses
                java.util.SplittableRandom random = new java.util.SplittableRandom(7);
                for (int i = 0; i < 20_000; i++) {
                    long va = base + ((long) random.nextInt(16_384) << 12) + 8L * random.nextInt(512);
                    if (random.nextBoolean()) {
                        cpu.mmu().storeLong(va, i);
                    } else {
                        cpu.mmu().loadLong(va);
                    }
                }
                CpuCounter[] all = CpuCounter.all();
                figures[on] = new long[all.length + 1];
                for (int c = 0; c < all.length; c++) {
                    figures[on][c] = cpu.counters().read(all[c]);
                }
                figures[on][all.length] = cpu.clock();
                assertTrue(cpu.counters().read(CpuCounter.WALKS) > 10_000, "the accesses walk: " + cpu.counters().read(CpuCounter.WALKS));
            }
        }
        assertArrayEquals(figures[0], figures[1], "counters and clock without the memo, then with it");
    }
}
