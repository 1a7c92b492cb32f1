package mmsim.kernel;

import static mmsim.kernel.KernelHarness.assertExited;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import mmsim.cpu.Cpu;
import mmsim.paging.Pte;
import mmsim.paging.Vma;
import mmsim.stats.CpuCounter;

/** DESIGN.md §3's invariants, checked on the page tables and frames themselves. */
class InvariantTest {
    private static final long PAGE = 4096;
    private final KernelHarness h = new KernelHarness();

    /** Invariants 1 and 2: after a COW fork both sides map the frame read-only + COW, with one reference each, and no TLB holds a writable entry. */
    @Test
    void cowForkWriteProtectsBothSidesAndCountsOneReferencePerMapping() throws Exception {
        ExitStatus s = h.run(2, "16MiB", "cow", sys -> {
            long a = sys.mmap(8 * PAGE, Vma.READ_WRITE);
            for (int i = 0; i < 8; i++) {
                sys.storeLong(a + i * PAGE, i);
            }
            int parentPid = sys.getpid();
            int[] p = sys.pipe();
            long buf = sys.mmap(PAGE, Vma.READ_WRITE);
            int pid = sys.fork(c -> {
                for (int i = 0; i < 8; i++) {
                    long va = a + i * PAGE;
                    PageInfo pp = h.kernel.inspect(parentPid, va);
                    PageInfo cp = c.inspect(va);
                    h.check(pp.present() && !pp.writable() && pp.cow(), "parent page " + i + ": " + pp);
                    h.check(cp.present() && !cp.writable() && cp.cow(), "child page " + i + ": " + cp);
                    h.checkEquals(pp.frame(), cp.frame(), "page " + i + " shares one frame");
                    h.checkEquals(2, pp.frameReferences(), "page " + i + " has one reference per mapping");
                }
                for (Cpu cpu : h.machine.cpus()) {
                    // invariant 2, read while the parent is blocked: no TLB entry lets anyone write the shared frames
                    for (int i = 0; i < 8; i++) {
                        h.check(!cpu.tlb().isWritable(0, (a + i * PAGE) >>> 12), "cpu " + cpu.id() + " may still write page " + i);
                    }
                }
                c.write(p[1], buf, 1);
                return 0;
            });
            sys.read(p[0], buf, 1);
            h.check(sys.waitpid(pid).exitedNormally(), "child");
            return 0;
        });
        assertExited(0, s);
    }

    /**
     * Invariants 1 and 3: a COW fork write-protects and marks COW only the entries that were writable; a
     * page of a read-only area is shared as it is (a write to it stays a segfault, not a COW fault). Without the
     * zero page, so that the read-only page has a frame of its own (ZeroPageTest covers the zero frame's fork).
     */
    @Test
    void cowForkMarksOnlyWritablePagesCopyOnWrite() throws Exception {
        ExitStatus s = h.run(2, "16MiB", "cow", sys -> {
            long rw = sys.mmap(PAGE, Vma.READ_WRITE);
            long ro = sys.mmap(PAGE, Vma.READ);
            sys.storeLong(rw, 1);
            h.checkEquals(0, sys.loadLong(ro), "a fresh read-only page reads zeros");
            Mm parentMm = sys.mm();
            int pid = sys.fork(c -> {
                Mm childMm = c.mm();
                assertFlags(Pte.PRESENT | Pte.USER | Pte.ACCESSED | Pte.DIRTY | Pte.COW, parentMm, rw, "parent's writable page");
                assertFlags(Pte.PRESENT | Pte.USER | Pte.DIRTY | Pte.COW, childMm, rw, "child's writable page");
                assertFlags(Pte.PRESENT | Pte.USER | Pte.ACCESSED, parentMm, ro, "parent's read-only page");
                assertFlags(Pte.PRESENT | Pte.USER, childMm, ro, "child's read-only page");
                h.checkEquals(2, h.machine.frames().refCount(Pte.frame(leaf(childMm, ro))), "the read-only frame is shared");
                return 0;
            });
            h.check(sys.waitpid(pid).exitedNormally(), "child");
            return 0;
        }, "mm.zero_page", "false");
        assertExited(0, s);
    }

    /**
     * Invariants 1 and 3 under on-demand fork: the first write into a shared leaf table copies it,
     * write-protecting and marking COW only the writable entries; a read-only page stays shared as it is.
     * Without the zero page, so that the read-only page has a frame of its own.
     */
    @Test
    void onDemandForkTableCopyMarksOnlyWritablePagesCopyOnWrite() throws Exception {
        ExitStatus s = h.run(2, "16MiB", "odf", sys -> {
            long rw = sys.mmap(PAGE, Vma.READ_WRITE);
            long ro = sys.mmap(PAGE, Vma.READ);
            sys.storeLong(rw, 1);
            h.checkEquals(0, sys.loadLong(ro), "a fresh read-only page reads zeros");
            Mm parentMm = sys.mm();
            int pid = sys.fork(c -> {
                Mm childMm = c.mm();
                c.storeLong(rw + 8, 2);  // copies the shared leaf table, then the page
                assertFlags(Pte.PRESENT | Pte.USER | Pte.ACCESSED | Pte.DIRTY | Pte.COW, parentMm, rw, "parent's writable page");
                h.check(Pte.isWritable(leaf(childMm, rw)) && !Pte.isCow(leaf(childMm, rw)),
                        "the child's copy of its writable page: " + Pte.toString(leaf(childMm, rw)));
                assertFlags(Pte.PRESENT | Pte.USER | Pte.ACCESSED, parentMm, ro, "parent's read-only page");
                assertFlags(Pte.PRESENT | Pte.USER, childMm, ro, "child's read-only page");
                h.checkEquals(Pte.frame(leaf(parentMm, ro)), Pte.frame(leaf(childMm, ro)), "the read-only page shares one frame");
                h.checkEquals(2, h.machine.frames().refCount(Pte.frame(leaf(childMm, ro))), "one reference per mapping");
                return 0;
            });
            h.check(sys.waitpid(pid).exitedNormally(), "child");
            return 0;
        }, "mm.zero_page", "false");
        assertExited(0, s);
    }

    /**
     * Invariant 3 across mprotect: making a private area writable leaves every entry whose frame fork
     * shared write-protected, with the COW bit, so the next write copies; the sharer's entry stays as it was.
     */
    @ParameterizedTest
    @MethodSource("mmsim.kernel.KernelHarness#sharingMachines")
    void mprotectMakingASharedPageWritableLeavesItWriteProtectedAndCopyOnWrite(String fork) throws Exception {
        ExitStatus s = h.run(2, "16MiB", fork, sys -> {
            long ro = sys.mmap(PAGE, Vma.READ_WRITE);
            sys.storeLong(ro, 5);
            sys.mprotect(ro, PAGE, Vma.READ);
            Mm parentMm = sys.mm();
            int pid = sys.fork(c -> {
                Mm childMm = c.mm();
                c.mprotect(ro, PAGE, Vma.READ_WRITE);
                long e = leaf(childMm, ro);
                h.check(Pte.isPresent(e) && !Pte.isWritable(e) && Pte.isCow(e), "the child's entry after mprotect: " + Pte.toString(e));
                h.checkEquals(Pte.frame(leaf(parentMm, ro)), Pte.frame(e), "still one shared frame");
                c.storeLong(ro, 6);
                h.check(Pte.frame(leaf(childMm, ro)) != Pte.frame(leaf(parentMm, ro)), "the child's write copied the frame");
                long p = leaf(parentMm, ro);
                h.check(Pte.isPresent(p) && !Pte.isWritable(p), "the parent's entry is still read-only: " + Pte.toString(p));
                return 0;
            });
            h.check(sys.waitpid(pid).exitedNormally(), "child");
            h.checkEquals(5, sys.loadLong(ro), "the parent reads its own value");
            return 0;
        });
        assertExited(0, s);
    }

    /** The leaf entry for {@code va} as the MMU sees it (W cleared under a write-protected table link). */
    private long leaf(Mm mm, long va) {
        return h.kernel.inspector.inspect(mm.space, va).entry();   // the inspection API, not a walk of our own
    }

    private void assertFlags(long expected, Mm mm, long va, String what) {
        long e = leaf(mm, va);
        h.check(Pte.flags(e) == expected, what + ": expected " + Pte.toString(Pte.make(Pte.frame(e), expected))
                + " but was " + Pte.toString(e));
    }

    /** Invariant 4's race: several CPUs write one COW page at once; exactly one copy is installed per page. */
    @ParameterizedTest
    @MethodSource("mmsim.kernel.KernelHarness#sharingMachines")
    void concurrentWriteFaultsOnOnePageMakeExactlyOneCopy(String fork) throws Exception {
        final int pages = 64;
        ExitStatus s = h.run(3, "32MiB", fork, sys -> {
            long a = sys.mmap(pages * PAGE, Vma.READ_WRITE);
            for (int i = 0; i < pages; i++) {
                sys.storeLong(a + i * PAGE, i);
            }
            int[] p = sys.pipe();
            long buf = sys.mmap(PAGE, Vma.READ_WRITE);
            int holder = sys.fork(c -> {
                c.read(p[0], buf, 1);  // keeps every page shared until the writers are done
                for (int i = 0; i < pages; i++) {
                    if (c.loadLong(a + i * PAGE) != i) {
                        return 1;
                    }
                }
                return 0;
            });
            AtomicInteger ready = new AtomicInteger();
            int[] tids = new int[2];
            for (int t = 0; t < 2; t++) {
                final int me = t;
                tids[t] = sys.spawnThread(th -> {
                    ready.incrementAndGet();
                    while (ready.get() < 2) {
                        th.yield();
                    }
                    for (int i = 0; i < pages; i++) {
                        th.storeLong(a + i * PAGE + 8 + 8 * me, 1000 + me);
                    }
                });
            }
            for (int tid : tids) {
                sys.joinThread(tid);
            }
            for (int i = 0; i < pages; i++) {
                h.checkEquals(i, sys.loadLong(a + i * PAGE), "page " + i + " kept its data");
                h.checkEquals(1000, sys.loadLong(a + i * PAGE + 8), "thread 0's write to page " + i + " landed");
                h.checkEquals(1001, sys.loadLong(a + i * PAGE + 16), "thread 1's write to page " + i + " landed");
            }
            sys.write(p[1], buf, 1);
            h.check(sys.waitpid(holder).exitedNormally(), "the sharer still sees the original pages");
            return 0;
        });
        assertExited(0, s);
        assertEquals(pages, h.counters.get(CpuCounter.FAULTS_COW_COPY), "one copy per page, however many CPUs faulted on it");
    }
}
