package mmsim.kernel;

import static mmsim.kernel.KernelHarness.assertExited;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.BitSet;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import mmsim.paging.Vma;

/**
 * On-demand fork copies a shared leaf table when one side first changes it; a CPU that cached a translation
 * through the shared table before the copy still holds it for the space that switched to the copy. A later change
 * of that page (a munmap, a copy-on-write copy) must reach that CPU under every shootdown strategy, including those
 * that name a flush's targets from a per-entry directory of who walked which table (didi, abis): the directory must
 * follow the copy ({@code TranslationDirectory#leafTableCopied}). Found by a checked sweep: chaos on 256 CPUs under
 * didi and odf made 1 to 3 stale TLB hits a run (2026-12-02).
 *
 * <p>A runs on CPU 0, B on CPU 1 (pinned); a forked child keeps the tables shared. X and Y share one leaf table; the
 * words A and B hand each other the turn with lie in a shared mapping 4 MiB away (its page is never copied, so
 * only X can go stale). After the fork B reads X (caching it through the shared table), A stores to Y (its space
 * copies the table), unmaps X and maps a fresh page there with MAP_FIXED, storing 7; B must read 7, where a stale
 * entry would read the old page's 1 (and the oracle sees a stale hit).
 */
class TableCopyHoldersTest {
    private static final long PAGE = 4096;
    private static final long MAX_POLLS = 20_000_000;

    private final KernelHarness h = new KernelHarness();

    static java.util.stream.Stream<String> strategies() {
        return mmsim.shootdown.Shootdowns.NAMES.stream();
    }

    private static BitSet cpus(int... ids) {
        BitSet set = new BitSet();
        for (int id : ids) {
            set.set(id);
        }
        return set;
    }

    /** Polls word {@code va} with yield until it reaches {@code want}; false after {@link #MAX_POLLS}. */
    private static boolean awaitWord(Sys sys, long va, long want) {
        for (long polls = 0; polls < MAX_POLLS; polls++) {
            if (sys.loadLong(va) >= want) {
                return true;
            }
            sys.yield();
        }
        return false;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("strategies")
    void aCpuThatCachedThroughTheSharedTableIsReachedAfterTheCopy(String strategy) throws Exception {
        AtomicInteger reads = new AtomicInteger();
        ExitStatus s = h.run(3, "16MiB", "odf/" + strategy, sys -> {
            sys.schedSetaffinity(0, cpus(0));
            // the control words in a shared mapping (no copy-on-write: only X can go stale); X and Y in one leaf table
            // 4 MiB away (a leaf table spans 2 MiB)
            long control = sys.mmapShared(PAGE, Vma.READ_WRITE);   // word 0: B's step; word 8: A's
            long region = sys.mmapHint(control + (4L << 20), 2 * PAGE, Vma.READ_WRITE);
            h.checkEquals(control + (4L << 20), region, strategy + ": X's address");
            long x = region;
            long y = region + PAGE;
            h.checkEquals(x >>> 21, y >>> 21, strategy + ": X and Y in one leaf table");
            sys.storeLong(x, 1);
            sys.storeLong(y, 1);
            sys.storeLong(control, 0);
            sys.storeLong(control + 8, 0);
            int b = sys.spawnThread(th -> {
                th.schedSetaffinity(0, cpus(1));
                th.storeLong(control, 1);   // B runs on CPU 1
                if (!awaitWord(th, control + 8, 1)) {
                    h.check(false, strategy + ": B never saw the fork");
                    th.exit(2);
                }
                h.checkEquals(1, th.loadLong(x), strategy + ": B's load of X through the shared table");
                th.storeLong(control, 2);
                if (!awaitWord(th, control + 8, 2)) {
                    h.check(false, strategy + ": B never saw the munmap");
                    th.exit(2);
                }
                h.checkEquals(7, th.loadLong(x), strategy + ": B's load of the page mapped at X after the munmap");
                reads.incrementAndGet();
            });
            if (!awaitWord(sys, control, 1)) {
                h.check(false, strategy + ": B never started");
                return 2;
            }
            int[] hold = sys.pipe();
            long buffer = control + 16;
            int child = sys.fork(c -> {
                c.close(hold[1]);
                c.read(hold[0], buffer, 1);   // keeps the leaf tables shared until the parent is done
                return 0;
            });
            sys.close(hold[0]);
            sys.storeLong(control + 8, 1);   // copies the control words' table (the page stays shared): X's stays shared
            if (!awaitWord(sys, control, 2)) {
                h.check(false, strategy + ": B never read X");
                return 2;
            }
            sys.storeLong(y, 2);   // A's space copies the shared leaf table of X and Y
            sys.munmap(x, PAGE);
            sys.mmapFixed(x, PAGE, Vma.READ_WRITE);
            sys.storeLong(x, 7);
            sys.storeLong(control + 8, 2);
            sys.joinThread(b);
            sys.close(hold[1]);
            ExitStatus c = sys.waitpid(child);
            return c.exitedNormally() && c.code() == 0 ? 0 : 3;
        });
        assertExited(0, s);
        assertEquals(1, reads.get(), "B's last load ran (a wrong value is a failure above)");
    }
}
