package mmsim.kernel;

import static mmsim.kernel.KernelHarness.assertExited;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import mmsim.cpu.Cpu;
import mmsim.mem.PhysicalMemory;
import mmsim.paging.AddressSpace;
import mmsim.paging.PageTable;
import mmsim.paging.Pte;
import mmsim.paging.Vma;
import mmsim.stats.CpuCounter;

/**
 * Page tables that munmap and mremap leave unneeded (no VMA overlaps their span any more) are unlinked and
 * freed after the shootdown, as Linux's free_pgtables and tlb_remove_table do; a leaf table that on-demand
 * fork shares stays for its other holder. On one CPU the free-frame counts are exact; every run ends with
 * every frame back in the pool (KernelHarness).
 */
class TableFreeingTest {
    private static final long PAGE = PhysicalMemory.PAGE_SIZE;
    private static final long SPAN = PageTable.LEAF_TABLE_SPAN;
    /** 1 GiB: the first page of its own page directory, away from the default mmap base. */
    private static final long GIB = 1L << 30;
    private static final long MAX_POLLS = 20_000_000;

    private final KernelHarness h = new KernelHarness();

    /**
     * Two leaf tables' spans in a directory of their own. Unmapping part of the first span keeps its table (a
     * VMA still overlaps it); unmapping the rest frees it, with its pages; unmapping the second span frees its
     * table and the directory and PDPT it leaves empty, until only the root is left. Each table's frame is
     * back in the pool when munmap returns (one CPU).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("mmsim.kernel.FailedSyscallTest#forks")
    void munmapOfAWholeLeafTableSpanFreesTheTable(String fork) throws Exception {
        ExitStatus s = h.run(1, "8MiB", fork, sys -> {
            PageTable pt = h.machine.pageTable();
            int root = sys.mm().space.root();
            h.checkEquals(1, pt.countTables(root), "a fresh space has its root only");
            long a = sys.mmapFixed(GIB, 2 * SPAN, Vma.READ_WRITE);
            for (long va : new long[] {a, a + PAGE, a + SPAN, a + SPAN + PAGE}) {
                sys.storeLong(va, 1);
            }
            h.checkEquals(5, pt.countTables(root), "root, PDPT, directory, two leaf tables");
            long free = sys.sysinfo().freeFrames();

            sys.munmap(a + PAGE, SPAN - PAGE);
            h.checkEquals(5, pt.countTables(root), "a VMA still overlaps the first span: its table stays");
            h.checkEquals(free + 1, sys.sysinfo().freeFrames(), "one page freed");

            sys.munmap(a, PAGE);
            h.checkEquals(4, pt.countTables(root), "the first span's table is freed");
            h.checkEquals(PageTable.NO_SLOT, pt.leafSlot(root, a), "and unlinked");
            h.checkEquals(free + 3, sys.sysinfo().freeFrames(), "its page and the table itself");
            h.checkEquals(1, sys.loadLong(a + SPAN), "the second span is untouched");

            sys.munmap(a + SPAN, SPAN);
            h.checkEquals(1, pt.countTables(root), "the last leaf table, its directory and the PDPT went too");
            h.checkEquals(free + 8, sys.sysinfo().freeFrames(), "two more pages, three more tables");
            long again = sys.mmapFixed(GIB, PAGE, Vma.READ_WRITE);
            h.checkEquals(0, sys.loadLong(again), "a new mapping there builds its tables afresh and reads zero");
            return 0;
        });
        assertExited(0, s);
        assertEquals(4L, h.counters.get(CpuCounter.TABLES_FREED), "four tables freed");
    }

    /**
     * A move frees the tables its old range no longer needs: the data lives on at the new addresses, and the
     * directory stays for the page still mapped after the old range.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("mmsim.kernel.FailedSyscallTest#forks")
    void mremapMoveFreesTheTablesTheOldRangeNoLongerNeeds(String fork) throws Exception {
        ExitStatus s = h.run(1, "8MiB", fork, sys -> {
            PageTable pt = h.machine.pageTable();
            int root = sys.mm().space.root();
            long a = sys.mmapFixed(GIB, SPAN, Vma.READ_WRITE);
            long blocker = sys.mmapFixed(GIB + SPAN, PAGE, Vma.READ_WRITE);
            sys.storeLong(blocker, 9);
            for (int i = 0; i < 4; i++) {
                sys.storeLong(a + i * PAGE, 10 + i);
            }
            long b = sys.mremap(a, SPAN, 2 * SPAN, Sys.MREMAP_MAYMOVE);
            h.check(b != a, "moved");
            h.checkEquals(PageTable.NO_SLOT, pt.leafSlot(root, a), "the old span's table is gone");
            h.check(pt.leafSlot(root, blocker) != PageTable.NO_SLOT, "the blocker's table stays");
            for (int i = 0; i < 4; i++) {
                h.checkEquals(10 + i, sys.loadLong(b + i * PAGE), "page " + i + " at the new address");
            }
            h.checkEquals(9, sys.loadLong(blocker), "the blocker's data");
            return 0;
        });
        assertExited(0, s);
        assertEquals(1L, h.counters.get(CpuCounter.TABLES_FREED), "the old span's leaf table");
    }

    /**
     * Under on-demand fork parent and child share a leaf table. The child unmaps the table's whole span: only
     * its own share goes (its private copy is freed); the parent keeps the very table it had, with its data,
     * and frees it when it unmaps the span in turn.
     */
    @Test
    void sharedLeafTableIsNotFreedByOneSide() throws Exception {
        ExitStatus s = h.run(1, "8MiB", "odf", sys -> {
            long a = sys.mmapFixed(GIB, SPAN, Vma.READ_WRITE);
            for (int i = 0; i < 4; i++) {
                sys.storeLong(a + i * PAGE, 10 + i);
            }
            int table = leafTableOf(sys, a);
            int child = sys.fork(c -> {
                h.checkEquals(table, leafTableOf(c, a), "the child links the parent's leaf table");
                h.checkEquals(2, h.machine.frames().refCount(table), "two links to it");
                c.munmap(a, SPAN);
                h.checkEquals(-1, leafTableOf(c, a), "the child's link is gone");
                h.checkEquals(1, h.machine.frames().refCount(table), "the parent's link holds it");
                return 0;
            });
            h.check(sys.waitpid(child).exitedNormally(), "the child ran to the end");
            h.checkEquals(table, leafTableOf(sys, a), "the parent keeps its table");
            for (int i = 0; i < 4; i++) {
                h.checkEquals(10 + i, sys.loadLong(a + i * PAGE), "the parent's page " + i);
            }
            long freed = h.machine.countersTotal().get(CpuCounter.TABLES_FREED);
            sys.munmap(a, SPAN);
            h.checkEquals(-1, leafTableOf(sys, a), "the parent's munmap unlinked it");
            h.checkEquals(0, h.machine.frames().refCount(table), "and freed it");
            h.check(h.machine.countersTotal().get(CpuCounter.TABLES_FREED) > freed, "counted");
            return 0;
        });
        assertExited(0, s);
    }

    /**
     * Under latr a table that munmap emptied waits with the pages for every CPU to flush: while a sibling
     * thread on the other CPU has not reconciled, sysinfo counts the pages and the tables as pending; once
     * its CPU has, they are free.
     */
    @Test
    void underLatrAFreedTableWaitsWithItsPagesUntilEveryCpuHasFlushed() throws Exception {
        ExitStatus s = h.run(2, "16MiB", "cow/latr", sys -> {
            long control = sys.mmap(PAGE, Vma.READ_WRITE);   // words: 0 stop; 8 the sibling's CPU + 1
            long a = sys.mmapFixed(GIB, SPAN, Vma.READ_WRITE);
            for (int i = 0; i < 3; i++) {
                sys.storeLong(a + i * PAGE, 10 + i);
            }
            // pinned apart: no yield can hand one thread's CPU to the other (a switch would apply the lazy queue early)
            sys.schedSetaffinity(0, onlyCpu(0));
            int sibling = sys.spawnThread(th -> {
                th.schedSetaffinity(0, onlyCpu(1));
                for (long polls = 0; th.loadLong(control) == 0 && polls < MAX_POLLS; polls++) {
                    th.storeLong(control + 8, th.cpuId() + 1);
                    th.yield();
                }
            });
            for (long polls = 0; ; polls++) {
                long reported = sys.loadLong(control + 8);
                if (reported != 0 && reported - 1 != sys.cpuId()) {
                    break;
                }
                if (polls == MAX_POLLS) {
                    h.check(false, "the threads never ran on different CPUs");
                    return 2;
                }
                sys.yield();
            }
            sys.munmap(a, SPAN);
            SysInfo held = sys.sysinfo();
            h.checkEquals(5, held.pendingFrames(), "three pages, the leaf table and the directory wait for the sibling's CPU");
            h.checkEquals(5 * PAGE, held.pendingBytes(), "in bytes");
            sys.storeLong(control, 1);
            sys.joinThread(sibling);
            for (long polls = 0; sys.sysinfo().pendingFrames() != 0; polls++) {
                if (polls == MAX_POLLS) {
                    h.check(false, "the sibling's CPU never applied the deferred flush");
                    return 2;
                }
                sys.yield();
            }
            return 0;
        }, "sched.quantum.us", "1000000");
        assertExited(0, s);
        assertEquals(2L, h.counters.get(CpuCounter.TABLES_FREED), "the leaf table and the directory");
        assertTrue(h.counters.get(CpuCounter.SHOOTDOWN_LAZY_POSTED) > 0, "the munmap was deferred");
    }

    /**
     * linux skips a CPU idle in lazy-TLB mode for a plain munmap, but a munmap that frees page tables reaches
     * it (Linux's freed_tables), also when its ranges (two mappings with a gap between them) were merged into
     * one request.
     */
    @Test
    void underLinuxAMunmapThatFreesTablesReachesALazyCpuThatAPlainOneSkips() throws Exception {
        ExitStatus s = h.run(2, "16MiB", "cow/linux", sys -> {
            long a = sys.mmapFixed(GIB, SPAN, Vma.READ_WRITE);
            long b = sys.mmapFixed(GIB + 4 * SPAN, SPAN, Vma.READ_WRITE);
            long c = sys.mmap(2 * PAGE, Vma.READ_WRITE);
            long buf = sys.mmap(PAGE, Vma.READ_WRITE);
            for (long va : new long[] {a, b, c, c + PAGE}) {
                sys.storeLong(va, 1);
            }
            int[] pipe = sys.pipe();
            long control = sys.mmap(PAGE, Vma.READ_WRITE);   // words: 0 block now; 8 the sibling's CPU + 1
            int sibling = sys.spawnThread(th -> {
                for (long polls = 0; th.loadLong(control) == 0 && polls < MAX_POLLS; polls++) {
                    th.storeLong(control + 8, th.cpuId() + 1);
                    th.yield();
                }
                th.read(pipe[0], buf, 1);   // blocks: its CPU goes idle, lazy, with the space still loaded
            });
            for (long polls = 0; ; polls++) {
                long reported = sys.loadLong(control + 8);
                if (reported != 0 && reported - 1 != sys.cpuId()) {
                    break;
                }
                if (polls == MAX_POLLS) {
                    h.check(false, "the threads never ran on different CPUs");
                    return 2;
                }
                sys.yield();
            }
            sys.storeLong(control, 1);
            AddressSpace space = sys.mm().space;
            for (long polls = 0; ; polls++) {
                Cpu other = h.machine.cpus().get(1 - sys.cpuId());
                if (other.isLazy() && other.loadedSpace() == space) {
                    break;
                }
                if (polls == MAX_POLLS) {
                    h.check(false, "the sibling's CPU never went lazy with the space loaded");
                    return 2;
                }
                sys.yield();
            }
            long skipped = h.machine.counterTotal(CpuCounter.SHOOTDOWN_LAZY_SKIPPED);
            long sent = h.machine.counterTotal(CpuCounter.SHOOTDOWN_IPIS_SENT);
            sys.munmap(c + PAGE, PAGE);
            h.checkEquals(skipped + 1, h.machine.counterTotal(CpuCounter.SHOOTDOWN_LAZY_SKIPPED), "a plain munmap skips the lazy CPU");
            h.checkEquals(sent, h.machine.counterTotal(CpuCounter.SHOOTDOWN_IPIS_SENT), "and interrupts no one");
            long freed = h.machine.counterTotal(CpuCounter.TABLES_FREED);
            sys.munmap(a, 5 * SPAN);
            h.check(h.machine.counterTotal(CpuCounter.TABLES_FREED) > freed, "the second munmap freed tables");
            h.checkEquals(skipped + 1, h.machine.counterTotal(CpuCounter.SHOOTDOWN_LAZY_SKIPPED), "a munmap freeing tables skips no one");
            h.checkEquals(sent + 1, h.machine.counterTotal(CpuCounter.SHOOTDOWN_IPIS_SENT), "it interrupts the lazy CPU");
            sys.write(pipe[1], buf, 1);
            sys.joinThread(sibling);
            return 0;
        });
        assertExited(0, s);
    }

    /** The leaf table mapping {@code va} in the caller's space, or -1. */
    private int leafTableOf(Sys sys, long va) {
        long slot = h.machine.pageTable().slot(sys.mm().space.root(), va, 1);
        long link = slot == PageTable.NO_SLOT ? 0 : PhysicalMemory.laLong(slot);
        return Pte.isPresent(link) ? Pte.frame(link) : -1;
    }

    private static java.util.BitSet onlyCpu(int id) {
        java.util.BitSet set = new java.util.BitSet();
        set.set(id);
        return set;
    }

    /**
     * A fault whose walk reached a leaf table that was unlinked and freed before the handler took the mm lock, and
     * whose page was mapped again meanwhile: the handler must walk again and build the new tables, not resolve the
     * fault in the freed table its walk saw (see {@code Cpu.leafSlotHint}). Done that way, the page would be mapped
     * in a dead table, the retried access would fault a second time and the first page would never come back.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("mmsim.kernel.FailedSyscallTest#forks")
    void aFaultWhoseLeafTableWasFreedBeforeItsHandlerRanBuildsTheNewTables(String fork) throws Exception {
        java.util.concurrent.atomic.AtomicReference<Runnable> beforeHandler = new java.util.concurrent.atomic.AtomicReference<>();
        ExitStatus s = h.run(1, "8MiB", fork, sys -> {
            mmsim.cpu.PageFaultHandler kernelHandler = h.machine.faultHandler();
            h.machine.setFaultHandler((cpu, va, write, kind) -> {
                Runnable r = beforeHandler.getAndSet(null);
                if (r != null) {
                    r.run();
                }
                kernelHandler.handlePageFault(cpu, va, write, kind);
            });
            PageTable pt = h.machine.pageTable();
            int root = sys.mm().space.root();
            long a = sys.mmapFixed(GIB, SPAN, Vma.READ_WRITE);
            long keep = sys.mmapFixed(GIB + SPAN, PAGE, Vma.READ_WRITE);
            sys.storeLong(keep, 7);   // keeps the directory: only a's leaf table goes
            sys.storeLong(a, 1);      // builds a's leaf table
            beforeHandler.set(() -> {
                // between the walk, which found a's leaf table, and the handler: the table goes, the range comes back
                sys.munmap(a, SPAN);
                h.checkEquals(PageTable.NO_SLOT, pt.leafSlot(root, a), "munmap unlinked the leaf table");
                h.checkEquals(a, sys.mmapFixed(a, SPAN, Vma.READ_WRITE), "mapped again where it was");
            });
            long zeroFaults = h.machine.countersTotal().get(CpuCounter.FAULTS_DEMAND_ZERO);
            sys.storeLong(a + PAGE, 2);
            h.check(beforeHandler.get() == null, "the munmap ran inside the fault");
            h.checkEquals(zeroFaults + 1, h.machine.countersTotal().get(CpuCounter.FAULTS_DEMAND_ZERO),
                    "one demand-zero fault: the handler built the new leaf table and mapped the page there");
            h.check(pt.leafSlot(root, a) != PageTable.NO_SLOT, "a new leaf table");
            h.checkEquals(2, sys.loadLong(a + PAGE), "the store landed");
            h.checkEquals(0, sys.loadLong(a), "the old contents went with the old mapping");
            return 0;
        });
        assertExited(0, s);
    }
}
