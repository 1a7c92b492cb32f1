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
            Mm parentMm = sys.mm();
            int[] p = sys.pipe();
            long buf = sys.mmap(PAGE, Vma.READ_WRITE);
            int pid = sys.fork(c -> {
                Mm childMm = c.mm();
                for (int i = 0; i < 8; i++) {
                    long va = a + i * PAGE;
                    long pp = h.machine.pageTable().walk(parentMm.space.root(), va);
                    long cp = h.machine.pageTable().walk(childMm.space.root(), va);
                    h.check(Pte.isPresent(pp) && !Pte.isWritable(pp) && Pte.isCow(pp), "parent page " + i + ": " + Pte.toString(pp));
                    h.check(Pte.isPresent(cp) && !Pte.isWritable(cp) && Pte.isCow(cp), "child page " + i + ": " + Pte.toString(cp));
                    h.checkEquals(Pte.frame(pp), Pte.frame(cp), "page " + i + " shares one frame");
                    h.checkEquals(2, h.machine.frames().refCount(Pte.frame(pp)), "page " + i + " has one reference per mapping");
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
