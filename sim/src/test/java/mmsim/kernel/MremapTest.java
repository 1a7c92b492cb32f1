package mmsim.kernel;

import static mmsim.kernel.KernelHarness.assertExited;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import mmsim.Machine;
import mmsim.TestMachines;
import mmsim.paging.Vma;
import mmsim.stats.CpuCounter;

/**
 * mremap (mremap(2)): growing in place, moving with MREMAP_MAYMOVE (entries move, nothing is copied, the
 * old addresses are unreachable when it returns), shrinking. Runs in checking mode; every run ends with
 * every frame back in the pool.
 */
class MremapTest {
    private static final long PAGE = 4096;

    private final KernelHarness h = new KernelHarness();

    /** With free pages after it, a mapping grows where it is: its data stays, the new pages read zero and take writes. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("mmsim.kernel.FailedSyscallTest#forks")
    void mremapGrowsInPlaceWhenTheNextPagesAreFree(String fork) throws Exception {
        ExitStatus s = h.run(1, "8MiB", fork, sys -> {
            long a = sys.mmap(4 * PAGE, Vma.READ_WRITE);
            for (int i = 0; i < 4; i++) {
                sys.storeLong(a + i * PAGE, 10 + i);
            }
            h.checkEquals(a, sys.mremap(a, 4 * PAGE, 8 * PAGE, 0), "grown in place");
            for (int i = 0; i < 4; i++) {
                h.checkEquals(10 + i, sys.loadLong(a + i * PAGE), "page " + i + " keeps its data");
            }
            h.checkEquals(0, sys.loadLong(a + 7 * PAGE), "a new page reads zero");
            sys.storeLong(a + 7 * PAGE, 17);
            h.checkEquals(17, sys.loadLong(a + 7 * PAGE), "a new page takes writes");
            h.checkEquals(a, sys.mremap(a, 8 * PAGE - 100, 8 * PAGE - 1, 0), "sizes round up to pages: a no-op");
            return 0;
        });
        assertExited(0, s);
    }

    /**
     * Without MREMAP_MAYMOVE a mapping whose next pages are taken cannot grow: ENOMEM, and nothing changes.
     * With it, the mapping moves: the same frames now back the new addresses (moved, not copied; a forked
     * child's copy-on-write share moves along), the grown part reads zero, and the old addresses are gone.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("mmsim.kernel.FailedSyscallTest#forks")
    void mremapGrowInPlaceFailsWithoutMayMove(String fork) throws Exception {
        ExitStatus s = h.run(1, "8MiB", fork, sys -> {
            long a = sys.mmap(4 * PAGE, Vma.READ_WRITE);
            long next = sys.mmap(PAGE, Vma.READ_WRITE);
            h.checkEquals(a + 4 * PAGE, next, "the next page is taken");
            int[] frames = new int[4];
            for (int i = 0; i < 4; i++) {
                sys.storeLong(a + i * PAGE, 10 + i);
                frames[i] = sys.frameOf(a + i * PAGE);
            }
            List<Vma> before = sys.mm().space.vmas();
            try {
                sys.mremap(a, 4 * PAGE, 8 * PAGE, 0);
                h.check(false, "growing into a taken page without MREMAP_MAYMOVE succeeded");
            } catch (SyscallException e) {
                h.check(e.errno() == Errno.ENOMEM, "expected ENOMEM, got " + e.getMessage());
            }
            h.check(before.equals(sys.mm().space.vmas()), "the failed mremap left the VMAs: " + sys.mm().space.vmas());
            int child = sys.fork(c -> {
                for (int i = 0; i < 4; i++) {
                    h.checkEquals(10 + i, c.loadLong(a + i * PAGE), "the child's copy of page " + i);
                }
                return 0;
            });
            long b = sys.mremap(a, 4 * PAGE, 8 * PAGE, Sys.MREMAP_MAYMOVE);
            h.check(b != a, "the mapping moved");
            h.check(sys.mm().space.findVma(a) == null, "the old range is unmapped: " + sys.mm().space.vmas());
            h.check(new Vma(b, b + 8 * PAGE, Vma.READ_WRITE).equals(sys.mm().space.findVma(b)), "one VMA at the new address");
            for (int i = 0; i < 4; i++) {
                h.checkEquals(frames[i], sys.frameOf(b + i * PAGE), "page " + i + " kept its frame: moved, not copied");
                h.checkEquals(10 + i, sys.loadLong(b + i * PAGE), "page " + i + " at the new address");
            }
            h.checkEquals(0, sys.loadLong(b + 5 * PAGE), "the grown part reads zero");
            sys.storeLong(b, 99);   // a shared page takes its copy-on-write fault at the new address
            h.checkEquals(99, sys.loadLong(b), "the moved page takes writes");
            h.check(sys.waitpid(child).exitedNormally(), "the child's copy is untouched");
            return 0;
        });
        assertExited(0, s);
        assertEquals(4L, h.counters.get(CpuCounter.MREMAP_PAGES_MOVED), "four pages moved");
    }

    /**
     * Shrinking unmaps the tail as munmap does: the head keeps its data, the tail's frames come back (on one
     * CPU every strategy's flush is done when the call returns), and a new mapping may take the tail's place.
     */
    @ParameterizedTest
    @MethodSource("mmsim.kernel.LazyShootdownPromisesTest#strategies")
    void mremapShrinkReleasesTheTail(String strategy) throws Exception {
        ExitStatus s = h.run(1, "8MiB", "cow/" + strategy, sys -> {
            long a = sys.mmap(8 * PAGE, Vma.READ_WRITE);
            for (int i = 0; i < 8; i++) {
                sys.storeLong(a + i * PAGE, 10 + i);
            }
            long free = sys.sysinfo().freeFrames();
            h.checkEquals(a, sys.mremap(a, 8 * PAGE, 3 * PAGE, 0), strategy + ": shrunk in place");
            h.checkEquals(free + 5, sys.sysinfo().freeFrames(), strategy + ": the tail's five frames are free");
            h.check(List.of(new Vma(a, a + 3 * PAGE, Vma.READ_WRITE)).equals(sys.mm().space.vmas()),
                    strategy + ": the head is all that is mapped: " + sys.mm().space.vmas());
            for (int i = 0; i < 3; i++) {
                h.checkEquals(10 + i, sys.loadLong(a + i * PAGE), strategy + ": page " + i + " keeps its data");
            }
            h.checkEquals(a + 3 * PAGE, sys.mmap(PAGE, Vma.READ_WRITE), strategy + ": a new page takes the tail's place");
            h.checkEquals(0, sys.loadLong(a + 3 * PAGE), strategy + ": and reads zero");
            return 0;
        });
        assertExited(0, s);
    }

    /**
     * A sibling thread on the other CPU has read every page of a mapping (its TLB holds them); the main thread
     * moves the mapping with mremap and then tells the sibling, which finds the data at the new addresses and
     * then loads an old address: that must fault (the process is killed with a segfault), under every
     * shootdown strategy, latr included: a translation still reaching the moved frames through the old
     * addresses would be a stale hit, and the harness's oracle counts none.
     */
    @ParameterizedTest
    @MethodSource("mmsim.kernel.LazyShootdownPromisesTest#strategies")
    void mremapMoveLeavesNoStaleTranslation(String strategy) throws Exception {
        ExitStatus s = h.run(2, "16MiB", "cow/" + strategy, sys -> {
            int child = sys.fork(c -> moveUnderASibling(c, strategy));
            ExitStatus cs = sys.waitpid(child);
            h.check(cs.kind() == ExitStatus.Kind.SEGFAULT && cs.message().contains("not mapped"),
                    strategy + ": the sibling's load of an old address faulted: " + cs);
            return 0;
        }, "sched.quantum.us", "1000000");
        assertExited(0, s);
        assertEquals(4L, h.counters.get(CpuCounter.MREMAP_PAGES_MOVED), "four pages moved");
        assertTrue(h.counters.get(CpuCounter.SHOOTDOWNS_REMAP) > 0, "the move shot the old range down");
    }

    /**
     * The oracle would see it: under a strategy that never interrupts another CPU, the sibling's load of an old
     * address goes through the translation its TLB kept, and fail-fast checking mode stops it there.
     */
    @Test
    void aMoveWhoseShootdownSkipsTheSiblingLeavesAStaleTranslationTheOracleCatches() throws Exception {
        ExitStatus status;
        long staleHits;
        try (Machine machine = TestMachines.boot(2, "16MiB", "checking", "true", "checking.failfast", "true",
                "sched.quantum.us", "1000000")) {
            try (Kernel kernel = Kernel.boot(machine, SharperOracleTest.FlushesOnlyLocally::new)) {
                status = kernel.run(sys -> moveUnderASibling(sys, "broken"), Duration.ofSeconds(60));
            }
            staleHits = machine.counterTotal(CpuCounter.ORACLE_STALE_HITS);
        }
        assertTrue(staleHits > 0, "the oracle flagged the load through the old address");
        assertEquals(ExitStatus.Kind.CRASHED, status.kind(), status.toString());
        assertTrue(status.message().contains("stale translation: cpu"), status.message());
    }

    /** Polls before a waiting thread gives up: far beyond any real wait, short of the run's timeout. */
    private static final long MAX_POLLS = 20_000_000;

    /**
     * The scenario: four pages with data, a blocker after them so that growing must move. A sibling thread
     * loads every page and reports its CPU, again and again (yielding, which keeps its CPU once the two threads
     * run on different CPUs), until the main thread, running on another CPU than the sibling's last report,
     * has moved the mapping. The sibling then checks the data at the new addresses and loads the first old
     * address; returning from that load is the failure (exit status 3).
     */
    private int moveUnderASibling(Sys sys, String strategy) {
        long a = sys.mmap(4 * PAGE, Vma.READ_WRITE);
        sys.mmap(PAGE, Vma.READ_WRITE);
        long control = sys.mmap(PAGE, Vma.READ_WRITE);   // words: 0 the new address; 8 the sibling's CPU + 1
        for (int i = 0; i < 4; i++) {
            sys.storeLong(a + i * PAGE, 10 + i);
        }
        // pinned apart: no chance context switch can flush the sibling's entries (the broken twin must see them used)
        sys.schedSetaffinity(0, onlyCpu(0));
        int sibling = sys.spawnThread(th -> {
            th.schedSetaffinity(0, onlyCpu(1));
            for (long polls = 0; th.loadLong(control) == 0; polls++) {
                if (polls == MAX_POLLS) {
                    h.check(false, strategy + ": the sibling never got the new address");
                    th.exit(2);
                }
                for (int i = 0; i < 4; i++) {
                    th.loadLong(a + i * PAGE);   // this CPU's TLB holds the old addresses
                }
                th.storeLong(control + 8, th.cpuId() + 1);
                th.yield();
            }
            long b = th.loadLong(control);
            for (int i = 0; i < 4; i++) {
                h.checkEquals(10 + i, th.loadLong(b + i * PAGE), strategy + ": the sibling reads page " + i + " at the new address");
            }
            th.loadLong(a);
            h.check(false, strategy + ": the sibling still loaded the old address after mremap returned");
            th.exit(3);
        });
        for (long polls = 0; ; polls++) {
            long reported = sys.loadLong(control + 8);
            if (reported != 0 && reported - 1 != sys.cpuId()) {
                break;
            }
            if (polls == MAX_POLLS) {
                h.check(false, strategy + ": the threads never ran on different CPUs");
                return 2;
            }
            sys.yield();
        }
        long b = sys.mremap(a, 4 * PAGE, 8 * PAGE, Sys.MREMAP_MAYMOVE);
        h.check(b != a, strategy + ": the mapping moved");
        sys.storeLong(control, b);
        sys.joinThread(sibling);
        return 0;
    }

    private static java.util.BitSet onlyCpu(int id) {
        java.util.BitSet set = new java.util.BitSet();
        set.set(id);
        return set;
    }
}
