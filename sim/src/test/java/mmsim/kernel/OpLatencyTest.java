package mmsim.kernel;

import static mmsim.kernel.KernelHarness.assertExited;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.BitSet;

import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import mmsim.paging.PageTable;
import mmsim.paging.Vma;
import mmsim.stats.CostModel;
import mmsim.stats.CpuCounter;
import mmsim.stats.OpLatencies;
import mmsim.stats.OpLatencies.Op;

/** The modeled latency of each system call, fault and shootdown round ({@link OpLatencies}). */
class OpLatencyTest {
    private static final CostModel COSTS = mmsim.config.MachineConfig.defaults().costs();

    private static final long PAGE = 4096;
    /** Iterations a wait loop may take before the test calls the awaited event lost. */
    private static final long SPIN_LIMIT = 100_000_000L;
    private final KernelHarness h = new KernelHarness();

    private Histogram of(Op op) {
        return h.machine.opLatencies().merged(op);
    }

    private ExitStatus run(int cpus, String machine, ProcessBody init, String... settings) throws Exception {
        String[] all = new String[settings.length + 2];
        all[0] = "sim.deterministic";
        all[1] = "true";
        System.arraycopy(settings, 0, all, 2, settings.length);
        ExitStatus s = h.run(cpus, "16MiB", machine, init, all);
        assertEquals(0, h.machine.opLatencies().negatives(), "no latency came out negative");
        return s;
    }

    private long counter(CpuCounter c) {
        return h.counters.get(c);
    }

    private static BitSet cpu(int id) {
        BitSet set = new BitSet();
        set.set(id);
        return set;
    }

    @Test
    void demandZeroFaultLatencyIsEntryZeroingAndPteUpdate() throws Exception {
        long[] access = new long[1];
        ExitStatus s = run(1, "cow", sys -> {
            long region = sys.mmap(2 * PAGE, Vma.READ_WRITE);
            sys.storeLong(region, 1);   // builds the page-table levels: the next page's walk reaches the leaf
            long before = sys.nowCycles();
            sys.storeLong(region + PAGE, 2);
            access[0] = sys.nowCycles() - before;
            return 0;
        });
        assertExited(0, s);
        Histogram zero = of(Op.FAULT_DEMAND_ZERO);
        assertEquals(2, zero.getTotalCount(), "two first writes");
        // the handler charges no walk of its own: the walk that found the entry missing precedes the fault's entry,
        // and the retried walk is the faulting instruction's own
        long expected = COSTS.faultEntryExit + COSTS.pageAlloc + COSTS.pageZero + COSTS.pteUpdate;
        assertEquals(expected, zero.getMaxValue(), "the second fault's latency (a page in a present leaf table)");
        assertEquals(COSTS.tlbL1Hit + 2 * PageTable.LEVELS * COSTS.walkLevel + expected, access[0],
                "the access: its lookup, the walk to the missing entry, the fault, the retried walk");
    }

    @ParameterizedTest
    @MethodSource("mmsim.kernel.KernelHarness#forks")
    void everySystemCallKindRecordsOncePerSuccessfulCall(String fork) throws Exception {
        ExitStatus s = run(2, fork, sys -> {
            long a = sys.mmap(8 * PAGE, Vma.READ_WRITE);
            long shared = sys.mmapShared(PAGE, Vma.READ_WRITE);
            sys.mmapFixed(a, 8 * PAGE, Vma.READ_WRITE);
            long hinted = sys.mmapHint(0, PAGE, Vma.READ_WRITE);
            for (int p = 0; p < 8; p++) {
                sys.storeLong(a + p * PAGE, p);
            }
            sys.storeLong(shared, 1);
            sys.mprotect(a, PAGE, Vma.READ);
            sys.madvise(a + PAGE, PAGE, Sys.MADV_DONTNEED);
            long moved = sys.mremap(hinted, PAGE, 64 * PAGE, Sys.MREMAP_MAYMOVE);
            sys.munmap(moved, 64 * PAGE);
            h.check(failsWith(Errno.EINVAL, () -> sys.munmap(a + 1, PAGE)), "a misaligned munmap fails");
            int[] fds = sys.pipe();
            int child = sys.fork(c -> {
                c.read(fds[0], a + 2 * PAGE, 8);
                return 0;
            });
            sys.write(fds[1], a + 3 * PAGE, 8);
            assertExited(0, sys.waitpid(child));
            sys.fork(c -> {
                c.exec(img -> {
                    img.exit(3);
                    return 1;
                }, new Segment(PAGE, Vma.READ_WRITE));
                return 2;
            });
            Sys.Waited w = sys.waitAny();
            h.checkEquals(3, w.status().code(), "the exec'd image's exit code");
            return 0;
        });
        assertExited(0, s);
        assertEquals(4, of(Op.MMAP).getTotalCount(), "mmap, shared, fixed, hint");
        assertEquals(1, of(Op.MUNMAP).getTotalCount(), "munmap; the failed one records nothing");
        assertEquals(1, of(Op.MPROTECT).getTotalCount(), "mprotect");
        assertEquals(1, of(Op.MADVISE).getTotalCount(), "madvise");
        assertEquals(1, of(Op.MREMAP).getTotalCount(), "mremap");
        assertEquals(1, of(Op.PIPE_READ).getTotalCount(), "pipe read");
        assertEquals(1, of(Op.PIPE_WRITE).getTotalCount(), "pipe write");
        assertEquals(2, of(Op.WAITPID).getTotalCount(), "waitpid and waitAny");
        assertEquals(1, of(Op.EXEC).getTotalCount(), "exec");
        assertEquals(3, of(Op.EXIT).getTotalCount(), "the child's return, the exec'd image's exit, init's return");
        for (Op forkOp : new Op[] {Op.FORK_COW, Op.FORK_EAGER, Op.FORK_ODF}) {
            assertEquals(forkOp == Op.fork(fork) ? 2 : 0, of(forkOp).getTotalCount(), forkOp.metric());
        }
        for (Op op : Op.values()) {
            Histogram hist = of(op);
            if (hist.getTotalCount() > 0 && op != Op.SHOOTDOWN_INTERRUPTED && !op.name().startsWith("FAULT_")
                    && op != Op.EXEC && op != Op.EXIT) {
                assertTrue(hist.getMinValue() >= COSTS.syscall, op + ": at least the call's entry and exit, was " + hist.getMinValue());
            }
            assertTrue(hist.getMaxValue() < 100_000_000L, op + ": plausible, was " + hist.getMaxValue());
        }
        assertTrue(of(Op.EXIT).getMinValue() > 0, "an exit's teardown takes time");
    }

    private static boolean failsWith(Errno errno, Runnable call) {
        try {
            call.run();
        } catch (SyscallException e) {
            return e.errno() == errno;
        }
        return false;
    }

    @Test
    void faultKindsMatchTheFaultCounters() throws Exception {
        ExitStatus s = run(2, "cow", sys -> {
            long a = sys.mmap(4 * PAGE, Vma.READ_WRITE);
            sys.loadLong(a);                 // zero page
            sys.storeLong(a, 1);             // the zero page's first write: demand-zero
            sys.storeLong(a + PAGE, 2);      // demand-zero
            int child = sys.fork(c -> {
                c.storeLong(a + PAGE, 3);    // a copy
                return 0;
            });
            assertExited(0, sys.waitpid(child));
            sys.storeLong(a + PAGE, 4);      // the child's copy is gone: reuse
            int doomed = sys.fork(c -> {
                c.storeLong(0x10_0000_0000L, 5);   // unmapped: a segfault
                return 0;
            });
            h.check(sys.waitpid(doomed).kind() == ExitStatus.Kind.SEGFAULT, "the child segfaulted");
            return 0;
        });
        assertExited(0, s);
        assertEquals(1, of(Op.FAULT_ZERO_PAGE).getTotalCount(), "zero page");
        assertEquals(counter(CpuCounter.FAULTS_ZERO_PAGE), of(Op.FAULT_ZERO_PAGE).getTotalCount(), "zero page as counted");
        assertEquals(counter(CpuCounter.FAULTS_DEMAND_ZERO) + counter(CpuCounter.FAULTS_ZERO_PAGE_WRITE),
                of(Op.FAULT_DEMAND_ZERO).getTotalCount(), "demand-zero as counted");
        assertEquals(2, of(Op.FAULT_DEMAND_ZERO).getTotalCount(), "two first writes");
        assertEquals(1, of(Op.FAULT_COW_COPY).getTotalCount(), "the child's copy");
        assertEquals(1, of(Op.FAULT_COW_REUSE).getTotalCount(), "the parent's reuse");
        assertEquals(1, of(Op.FAULT_SEGFAULT).getTotalCount(), "the segfault");
        assertEquals(0, of(Op.FAULT_TABLE_COPY).getTotalCount(), "cow shares no tables");
        assertEquals(COSTS.faultEntryExit + COSTS.pteUpdate, of(Op.FAULT_ZERO_PAGE).getMaxValue(), "zero page: entry and one entry update");
        assertEquals(COSTS.faultEntryExit + COSTS.pteUpdate, of(Op.FAULT_COW_REUSE).getMaxValue(), "reuse: entry and one entry update");
        assertTrue(of(Op.FAULT_COW_COPY).getMinValue() >= COSTS.faultEntryExit + COSTS.pageAlloc + COSTS.pageCopy + COSTS.pteUpdate,
                "a copy: entry, the copy, the entry update and its flush, was " + of(Op.FAULT_COW_COPY).getMinValue());
        assertTrue(of(Op.FAULT_SEGFAULT).getMinValue() >= COSTS.faultEntryExit, "a segfault: at least its entry");
    }

    @Test
    void onDemandForkRecordsTheTableCopyingFault() throws Exception {
        ExitStatus s = run(2, "odf", sys -> {
            long a = sys.mmap(4 * PAGE, Vma.READ_WRITE);
            sys.storeLong(a, 1);
            int child = sys.fork(c -> {
                c.storeLong(a, 2);   // copies the shared leaf table, then the page
                return 0;
            });
            assertExited(0, sys.waitpid(child));
            return 0;
        });
        assertExited(0, s);
        assertEquals(1, of(Op.FAULT_TABLE_COPY).getTotalCount(), "the child's first write");
        assertEquals(counter(CpuCounter.FAULTS_TABLE_COPY), of(Op.FAULT_TABLE_COPY).getTotalCount(), "as counted");
        assertTrue(of(Op.FAULT_TABLE_COPY).getMinValue() >= COSTS.faultEntryExit + 2 * COSTS.pageCopy,
                "the table's copy and the page's, was " + of(Op.FAULT_TABLE_COPY).getMinValue());
    }

    @Test
    void waitpidThatBlockedRecordsTheBlockedTime() throws Exception {
        int loads = 200_000;
        long[] measured = new long[1];
        ExitStatus s = run(1, "cow", sys -> {
            long a = sys.mmap(PAGE, Vma.READ_WRITE);
            int child = sys.fork(c -> {
                for (int i = 0; i < loads; i++) {
                    c.loadLong(a);
                }
                return 0;
            });
            long before = sys.nowCycles();
            assertExited(0, sys.waitpid(child));   // one CPU: the child runs while the parent is blocked
            measured[0] = sys.nowCycles() - before;
            return 0;
        });
        assertExited(0, s);
        Histogram waits = of(Op.WAITPID);
        assertEquals(1, waits.getTotalCount());
        assertTrue(waits.getMaxValue() >= loads * COSTS.tlbL1Hit, "the child's run is in the wait: " + waits.getMaxValue());
        // the histogram keeps 3 significant digits: its min is the recorded value rounded down, its max rounded up
        assertTrue(waits.getMinValue() <= measured[0], "no more than the caller saw: " + waits.getMinValue() + " vs " + measured[0]);
    }

    /**
     * munmap of a page of a process whose second thread runs on the other CPU (or, with {@code busyRemote} false,
     * of a single-threaded process); returns the munmap's latency.
     */
    private long munmapLatency(String shootdown, boolean busyRemote) throws Exception {
        ExitStatus s = run(2, "cow/" + shootdown, sys -> {
            sys.schedSetaffinity(0, cpu(0));
            long a = sys.mmap(2 * PAGE, Vma.READ_WRITE);
            long flags = sys.mmap(PAGE, Vma.READ_WRITE);
            sys.storeLong(a, 1);
            int spinner = -1;
            if (busyRemote) {
                spinner = sys.spawnThread(th -> {
                    th.schedSetaffinity(0, cpu(1));
                    th.storeLong(flags, 1);
                    for (long i = 0; i < SPIN_LIMIT && th.loadLong(flags + 8) == 0; i++) {
                        th.loadLong(flags + 16);
                    }
                });
                for (long i = 0; i < SPIN_LIMIT && sys.loadLong(flags) == 0; i++) {
                    Thread.onSpinWait();
                }
            }
            sys.munmap(a, PAGE);
            sys.storeLong(flags + 8, 1);
            if (busyRemote) {
                sys.joinThread(spinner);
            }
            return 0;
        });
        assertExited(0, s);
        Histogram unmaps = of(Op.MUNMAP);
        assertEquals(1, unmaps.getTotalCount());
        return unmaps.getMaxValue();
    }

    @Test
    void munmapWithTheProcessRunningOnAnotherCpuTakesLonger() throws Exception {
        long alone = munmapLatency("linux", false);
        long withRemote = munmapLatency("linux", true);
        assertTrue(withRemote > alone, "the shootdown's round trip: " + withRemote + " vs " + alone);
        assertTrue(withRemote - alone >= COSTS.ipiDelivery, "at least an IPI's delivery more: " + withRemote + " vs " + alone);
    }

    @ParameterizedTest
    @ValueSource(strings = {"linux", "hw-broadcast"})
    void interruptedCyclesAreZeroOnlyWithoutInterrupts(String shootdown) throws Exception {
        munmapLatency(shootdown, true);
        Histogram interrupted = of(Op.SHOOTDOWN_INTERRUPTED);
        assertEquals(counter(CpuCounter.SHOOTDOWNS), interrupted.getTotalCount(), "one per shootdown, zeros included");
        assertTrue(interrupted.getTotalCount() > 0, "the munmap shot down");
        if (shootdown.equals("hw-broadcast")) {
            assertEquals(0, interrupted.getMaxValue(), "INVLPGB interrupts nobody");
        } else {
            assertTrue(interrupted.getMaxValue() >= COSTS.ipiHandler + COSTS.invlpg,
                    "the busy target's handler and flush: " + interrupted.getMaxValue());
        }
    }
}
