package mmsim.kernel;

import static mmsim.kernel.KernelHarness.assertExited;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import mmsim.paging.PageTable;
import mmsim.paging.Vma;
import mmsim.stats.CpuCounter;

/**
 * mmap at a given address: MAP_FIXED replaces what is mapped there as one operation, and a hint is used when
 * its range is free (mmap(2)). Runs in checking mode; every run ends with every frame back in the pool.
 */
class MapFixedTest {
    private static final long PAGE = 4096;
    /** Polls of a word before a waiting thread gives up: far beyond any real wait, short of the run's timeout. */
    private static final long MAX_POLLS = 20_000_000;

    private final KernelHarness h = new KernelHarness();

    /**
     * A forked child holds a copy of a four-page mapping; in the parent, a sibling thread on the other CPU
     * keeps loading the middle two pages while the main thread maps fresh pages over them with MAP_FIXED.
     * Every load returns the old value or zero and none faults (no thread sees a gap); once the call returned
     * every load returns zero (no translation reaches a replaced frame), no frame waits for a flush, the edge
     * pages keep their data, and the child's copy is untouched.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("mmsim.kernel.KernelHarness#machines")
    void mapFixedReplacesAnExistingMappingAtomically(String machine) throws Exception {
        ExitStatus s = h.run(2, "16MiB", machine, sys -> {
            long a = sys.mmap(4 * PAGE, Vma.READ_WRITE);
            long control = sys.mmap(PAGE, Vma.READ_WRITE);   // word 0: the sibling's rounds; word 8: replaced
            for (int i = 0; i < 4; i++) {
                sys.storeLong(a + i * PAGE, 100 + i);
            }
            int[] pipe = sys.pipe();
            int child = sys.fork(c -> {
                c.read(pipe[0], control, 1);
                for (int i = 0; i < 4; i++) {
                    h.checkEquals(100 + i, c.loadLong(a + i * PAGE), machine + ": the child's copy of page " + i);
                }
                return 0;
            });
            int sibling = sys.spawnThread(th -> {
                for (long round = 1; ; round++) {
                    boolean replaced = th.loadLong(control + 8) != 0;   // first: every load after it must see the new pages
                    for (int i = 1; i <= 2; i++) {
                        long v = th.loadLong(a + i * PAGE);
                        if (replaced) {
                            h.checkEquals(0, v, machine + ": the sibling's load of page " + i + " after MAP_FIXED returned");
                        } else {
                            h.check(v == 100 + i || v == 0, machine + ": the sibling loaded " + v + " from page " + i);
                        }
                    }
                    th.storeLong(control, round);
                    if (replaced) {
                        return;
                    }
                }
            });
            awaitWord(sys, control, 100, machine + ": the sibling's first loads");
            h.checkEquals(a + PAGE, sys.mmapFixed(a + PAGE, 2 * PAGE, Vma.READ_WRITE), machine + ": MAP_FIXED's address");
            h.checkEquals(0, sys.sysinfo().pendingFrames(), machine + ": no replaced frame waits for a flush after the call");
            sys.storeLong(control + 8, 1);
            sys.joinThread(sibling);
            h.checkEquals(100, sys.loadLong(a), machine + ": the first page keeps its data");
            h.checkEquals(103, sys.loadLong(a + 3 * PAGE), machine + ": the last page keeps its data");
            h.checkEquals(0, sys.loadLong(a + 2 * PAGE), machine + ": a replaced page reads zero");
            h.check(new Vma(a + PAGE, a + 3 * PAGE, Vma.READ_WRITE).equals(sys.mm().space.findVma(a + PAGE)),
                    machine + ": one new VMA: " + sys.mm().space.vmas());
            sys.write(pipe[1], control, 1);
            h.check(sys.waitpid(child).exitedNormally(), machine + ": the child checked its copy");
            return 0;
        });
        assertExited(0, s);
    }

    /** Rounds of the quarantine scenario: the two threads may share a CPU at first (until an idle CPU takes one). */
    private static final int ROUNDS = 10;

    /**
     * Round after round, a sibling thread caches a writable translation of a fresh page X; the main thread
     * unmaps X (latr defers the sibling's flush and quarantines X: with a one-second tick the sibling's CPU,
     * which polls without switching, applies nothing) and at once maps X again with MAP_FIXED. Linux promises
     * the mapping at X; the lazy strategy must not keep the sibling's stale entry alive over it: both threads
     * read zero there, and the sibling's store is what the main thread reads. Under latr the call found X
     * quarantined (in the rounds where the threads ran on different CPUs) and had every CPU apply its queue.
     */
    @ParameterizedTest
    @MethodSource("mmsim.kernel.LazyShootdownPromisesTest#strategies")
    void mapFixedOverARangeALazyStrategyStillHoldsFlushesItFirst(String strategy) throws Exception {
        AtomicInteger quarantinedRounds = new AtomicInteger();
        ExitStatus s = h.run(2, "16MiB", "cow/" + strategy, sys -> {
            // words: 0 the round X was posted in, 8 X, 16 the round the sibling cached X, 24 the round X was
            // mapped again, 32 the round the sibling stored to the new page
            long control = sys.mmap(PAGE, Vma.READ_WRITE);
            int sibling = sys.spawnThread(th -> {
                for (int round = 1; round <= ROUNDS; round++) {
                    String when = strategy + " round " + round;
                    awaitWord(th, control, round, when + ": the sibling's turn to cache X");
                    long x = th.loadLong(control + 8);
                    th.storeLong(x, 1);
                    th.storeLong(control + 16, round);
                    awaitWord(th, control + 24, round, when + ": the sibling's turn after MAP_FIXED");
                    h.checkEquals(0, th.loadLong(x), when + ": the sibling's load of the new page at X");
                    th.storeLong(x, 2);
                    th.storeLong(control + 32, round);
                }
            });
            for (int round = 1; round <= ROUNDS; round++) {
                String when = strategy + " round " + round;
                long x = sys.mmap(PAGE, Vma.READ_WRITE);
                sys.storeLong(control + 8, x);
                sys.storeLong(control, round);
                awaitWord(sys, control + 16, round, when + ": the sibling's store to X");
                sys.munmap(x, PAGE);
                if (sys.mm().space.quarantineOverlaps(x, x + PAGE)) {
                    quarantinedRounds.incrementAndGet();
                }
                h.checkEquals(x, sys.mmapFixed(x, PAGE, Vma.READ_WRITE), when + ": MAP_FIXED at X");
                h.check(!sys.mm().space.quarantineOverlaps(x, x + PAGE), when + ": X is no longer quarantined");
                h.checkEquals(0, sys.loadLong(x), when + ": the main thread's load of the new page at X");
                sys.storeLong(control + 24, round);
                awaitWord(sys, control + 32, round, when + ": the sibling's store to the new page");
                h.checkEquals(2, sys.loadLong(x), when + ": the sibling's store, seen by the main thread");
            }
            sys.joinThread(sibling);
            return 0;
        }, "sched.quantum.us", "1000000");
        assertExited(0, s);
        if (strategy.equals("latr")) {
            assertTrue(quarantinedRounds.get() > 0, "in no round did latr still hold X when MAP_FIXED came");
            assertEquals((long) quarantinedRounds.get(), h.counters.get(CpuCounter.SHOOTDOWN_LAZY_FORCED),
                    "MAP_FIXED had every CPU apply its queue exactly when X was quarantined");
        } else {
            assertEquals(0, quarantinedRounds.get(), strategy + " quarantines nothing past munmap's return");
            assertEquals(0L, h.counters.get(CpuCounter.SHOOTDOWN_LAZY_FORCED), strategy + " defers nothing");
        }
    }

    /** A free hint is where the mapping goes; a taken, unaligned or out-of-range hint is no error. */
    @Test
    void mapHintIsUsedWhenFree() throws Exception {
        ExitStatus s = h.run(1, "8MiB", "cow", sys -> {
            long a = sys.mmap(PAGE, Vma.READ_WRITE);
            long free = a + 64 * PAGE;
            h.checkEquals(free, sys.mmapHint(free, 2 * PAGE, Vma.READ_WRITE), "a free hint");
            sys.storeLong(free + PAGE, 7);
            h.checkEquals(7, sys.loadLong(free + PAGE), "the hinted mapping is usable");
            h.checkEquals(free + 8 * PAGE, sys.mmapHint(free + 7 * PAGE + 1, PAGE, Vma.READ), "a hint is rounded up to a page");
            h.checkEquals(a + PAGE, sys.mmapHint(free + PAGE, PAGE, Vma.READ), "a taken hint: the lowest free address");
            h.checkEquals(a + 2 * PAGE, sys.mmapHint(0, PAGE, Vma.READ), "0 is no hint");
            h.checkEquals(a + 3 * PAGE, sys.mmapHint(PageTable.USER_VA_LIMIT - PAGE, 2 * PAGE, Vma.READ),
                    "a hint whose range leaves user space");
            h.checkEquals(a + 5 * PAGE, sys.mmapHint(-PAGE, PAGE, Vma.READ), "a negative hint");
            checkErrno(Errno.EINVAL, () -> sys.mmapHint(free, 0, Vma.READ), "an empty hinted mapping");
            return 0;
        });
        assertExited(0, s);
    }

    /**
     * MAP_FIXED's errors, in Linux's order (mm/mmap.c): EINVAL for an empty length, ENOMEM for a range that
     * leaves user space, EINVAL for an unaligned address or an unknown protection. Each leaves the mappings
     * and their contents as they were.
     */
    @Test
    void mapFixedRejectsUnalignedAndOutOfRangeAddressesAndChangesNothing() throws Exception {
        ExitStatus s = h.run(1, "8MiB", "cow", sys -> {
            long a = sys.mmap(2 * PAGE, Vma.READ_WRITE);
            sys.storeLong(a, 5);
            List<Vma> before = sys.mm().space.vmas();
            checkErrno(Errno.EINVAL, () -> sys.mmapFixed(a, 0, Vma.READ), "an empty length");
            checkErrno(Errno.EINVAL, () -> sys.mmapFixed(a + 1, PAGE, Vma.READ), "an unaligned address");
            checkErrno(Errno.EINVAL, () -> sys.mmapFixed(a, PAGE, Vma.WRITE), "a write-only protection");
            checkErrno(Errno.ENOMEM, () -> sys.mmapFixed(PageTable.USER_VA_LIMIT - PAGE, 2 * PAGE, Vma.READ), "a range past user space");
            checkErrno(Errno.ENOMEM, () -> sys.mmapFixed(-PAGE, PAGE, Vma.READ), "a negative address");
            checkErrno(Errno.ENOMEM, () -> sys.mmapFixed(a, Long.MAX_VALUE, Vma.READ), "2^63 bytes");
            h.check(before.equals(sys.mm().space.vmas()), "the failed calls left the VMAs: " + sys.mm().space.vmas());
            h.checkEquals(5, sys.loadLong(a), "the data");
            return 0;
        });
        assertExited(0, s);
    }

    /** Waits (yielding, bounded) until the word at {@code va} is at least {@code target}; a failure names {@code what}. */
    static void awaitWord(Sys sys, long va, long target, String what) {
        for (long polls = 0; polls < MAX_POLLS; polls++) {
            if (sys.loadLong(va) >= target) {
                return;
            }
            sys.yield();
        }
        throw new AssertionError(what + ": the word at 0x" + Long.toHexString(va) + " never reached " + target);
    }

    private void checkErrno(Errno expected, Runnable call, String what) {
        try {
            call.run();
            h.check(false, what + ": expected " + expected + " but the call succeeded");
        } catch (SyscallException e) {
            h.check(e.errno() == expected, what + ": expected " + expected + " but got " + e.getMessage());
        }
    }
}
