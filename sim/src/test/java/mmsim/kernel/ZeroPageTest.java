package mmsim.kernel;

import static mmsim.kernel.KernelHarness.assertExited;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import mmsim.Machine;
import mmsim.TestMachines;
import mmsim.cpu.Cpu;
import mmsim.mem.PhysicalMemory;
import mmsim.paging.Pte;
import mmsim.paging.Vma;
import mmsim.stats.CpuCounter;

/**
 * The zero page ({@code mm.zero_page}, on by default as in Linux): a read of an untouched private page maps one
 * shared, read-only frame of zeros; the first write replaces it with a fresh zeroed frame; no path (mprotect,
 * fork under every strategy, the sole-owner reuse) ever makes it writable, writes it or frees it.
 */
class ZeroPageTest {
    private static final long PAGE = 4096;
    private static final int MAX_POLLS = 1_000_000;
    private final KernelHarness h = new KernelHarness();

    @ParameterizedTest
    @MethodSource("mmsim.kernel.KernelHarness#machines")
    void readFaultMapsTheZeroPageAndWriteFaultAllocates(String machine) throws Exception {
        ExitStatus s = h.run(2, "16MiB", machine, sys -> {
            long control = sys.mmap(PAGE, Vma.READ_WRITE);
            sys.storeLong(control, 0);                        // a write fault: a frame of its own
            long rw = sys.mmap(PAGE, Vma.READ_WRITE);
            long ro = sys.mmap(PAGE, Vma.READ);
            h.checkEquals(0, sys.loadLong(rw + 64), "an untouched writable page reads zeros");
            h.checkEquals(0, sys.loadLong(ro + 64), "an untouched read-only page reads zeros");
            int zero = sys.frameOf(rw);
            h.checkEquals(zero, sys.frameOf(ro), "both reads map the one zero frame");
            h.check(zero != sys.frameOf(control), "the written page has a frame of its own");
            h.checkEquals(3, h.machine.frames().refCount(zero), "the zero frame: the kernel's reference and one per entry");
            h.check(!Pte.isWritable(leaf(sys.mm(), rw)), "the zero frame is mapped read-only in a writable area: "
                    + Pte.toString(leaf(sys.mm(), rw)));
            // a sibling on the other CPU caches the read-only zero translation, then must see the first write
            int reader = sys.spawnThread(th -> {
                long polls = 0;
                h.checkEquals(0, th.loadLong(rw + 64), "the sibling reads the zero page");
                th.storeLong(control, 1);
                while (th.loadLong(rw + 64) != 42) {
                    if (++polls > MAX_POLLS) {
                        h.check(false, machine + ": the sibling never saw the write that replaced the zero page");
                        return;
                    }
                    th.yield();
                }
            });
            for (long polls = 0; sys.loadLong(control) == 0; polls++) {
                if (polls > MAX_POLLS) {
                    h.check(false, machine + ": the sibling never started");
                    return 2;
                }
                sys.yield();
            }
            sys.storeLong(rw + 64, 42);
            int own = sys.frameOf(rw);
            h.check(own != zero, "the first write allocated a frame");
            h.checkEquals(42, sys.loadLong(rw + 64), "the write landed in it");
            h.checkEquals(0, sys.loadLong(rw + 72), "the rest of the new frame reads zeros");
            h.checkEquals(zero, sys.frameOf(ro), "the other page still maps the zero frame");
            h.checkEquals(2, h.machine.frames().refCount(zero), "the replaced entry's reference was dropped");
            sys.joinThread(reader);
            checkAllZeros(zero);
            return 0;
        });
        assertExited(0, s);
        assertEquals(2, h.counters.get(CpuCounter.FAULTS_ZERO_PAGE), "two untouched pages were read");
        assertEquals(1, h.counters.get(CpuCounter.FAULTS_ZERO_PAGE_WRITE), "one page mapped to the zero frame was written");
        assertEquals(1, h.counters.get(CpuCounter.FAULTS_DEMAND_ZERO), "only the first write to an untouched page allocated");
        assertEquals(0, h.counters.get(CpuCounter.FAULTS_COW_COPY) + h.counters.get(CpuCounter.FAULTS_COW_REUSE),
                "replacing the zero frame is its own kind of fault");
    }

    @Test
    void zeroPageOffMakesReadFaultsAllocate() throws Exception {
        ExitStatus s = h.run(2, "16MiB", "cow", sys -> {
            long a = sys.mmap(2 * PAGE, Vma.READ_WRITE);
            h.checkEquals(0, sys.loadLong(a), "an untouched page reads zeros");
            h.checkEquals(0, sys.loadLong(a + PAGE), "so does the next");
            h.check(sys.frameOf(a) != sys.frameOf(a + PAGE), "each read allocated a frame of its own");
            h.check(Pte.isWritable(leaf(sys.mm(), a)), "a read fault in a writable area maps it writable");
            h.checkEquals(1, h.machine.frames().refCount(sys.frameOf(a)), "one reference: this entry's");
            sys.storeLong(a, 5);
            h.checkEquals(5, sys.loadLong(a), "the write goes to the frame the read allocated");
            return 0;
        }, "mm.zero_page", "false");
        assertExited(0, s);
        assertEquals(0, h.counters.get(CpuCounter.FAULTS_ZERO_PAGE), "no zero page");
        assertEquals(0, h.counters.get(CpuCounter.FAULTS_ZERO_PAGE_WRITE), "no zero page to replace");
        assertEquals(2, h.counters.get(CpuCounter.FAULTS_DEMAND_ZERO), "both reads allocated");
    }

    /**
     * mprotect to writable leaves an entry of the zero frame write-protected (the next write replaces it); every
     * fork strategy shares it read-only (eager does not copy it); a write by either side after fork allocates
     * its own frame; the zero frame is never writable in any entry or TLB and stays all zeros.
     */
    @ParameterizedTest
    @MethodSource("mmsim.kernel.KernelHarness#machines")
    void zeroPageIsNeverWritable(String machine) throws Exception {
        ExitStatus s = h.run(2, "16MiB", machine, sys -> {
            long a = sys.mmap(3 * PAGE, Vma.READ_WRITE);
            sys.storeLong(a + 2 * PAGE, 9);                   // a page with data, to tell copies from zero pages
            h.checkEquals(0, sys.loadLong(a), "page 0 reads zeros");
            h.checkEquals(0, sys.loadLong(a + PAGE), "page 1 reads zeros");
            int zero = sys.frameOf(a);
            Mm parentMm = sys.mm();
            sys.mprotect(a, 3 * PAGE, Vma.READ);
            sys.mprotect(a, 3 * PAGE, Vma.READ_WRITE);
            long e = leaf(parentMm, a + PAGE);
            h.check(Pte.isPresent(e) && !Pte.isWritable(e) && Pte.frame(e) == zero,
                    "after mprotect to writable the zero frame's entry stays read-only: " + Pte.toString(e));
            sys.storeLong(a + PAGE, 11);
            h.check(sys.frameOf(a + PAGE) != zero, "a write after mprotect replaced the zero frame");
            long forksCopied = h.machine.counterTotal(CpuCounter.FORK_PAGES_COPIED);
            int[] done = sys.pipe();
            long buf = sys.mmap(PAGE, Vma.READ_WRITE);
            int pid = sys.fork(c -> {
                Mm childMm = c.mm();
                long ce = leaf(childMm, a);
                h.check(!Pte.isPresent(ce) || (Pte.frame(ce) == zero && !Pte.isWritable(ce)),
                        "the child's entry of page 0 shares the zero frame read-only: " + Pte.toString(ce));
                h.checkEquals(0, c.loadLong(a), "the child reads zeros on page 0");
                h.checkEquals(zero, c.frameOf(a), "the child maps the zero frame, not a copy of it");
                checkNoWritableZero(childMm, a, zero);
                c.storeLong(a, 7);
                h.check(c.frameOf(a) != zero, "the child's write allocated");
                h.checkEquals(7, c.loadLong(a), "the child reads its write");
                checkAllZeros(zero);
                c.write(done[1], buf, 1);
                return 0;
            });
            sys.read(done[0], buf, 1);
            h.checkEquals(zero, sys.frameOf(a), "the child's write did not touch the parent's zero page");
            h.checkEquals(0, sys.loadLong(a), "the parent still reads zeros");
            checkNoWritableZero(parentMm, a, zero);
            h.check(sys.waitpid(pid).exitedNormally(), "child");
            if (machine.startsWith("eager")) {
                h.checkEquals(2, h.machine.counterTotal(CpuCounter.FORK_PAGES_COPIED) - forksCopied,
                        "eager fork copied the two pages with data, not the zero page");
            }
            sys.storeLong(a, 8);
            h.check(sys.frameOf(a) != zero, "the parent's write allocated");
            h.checkEquals(11, sys.loadLong(a + PAGE), "page 1 kept its data");
            h.checkEquals(9, sys.loadLong(a + 2 * PAGE), "page 2 kept its data");
            checkAllZeros(zero);
            return 0;
        });
        assertExited(0, s);
        assertEquals(3, h.counters.get(CpuCounter.FAULTS_ZERO_PAGE_WRITE), "after mprotect, in the child, in the parent");
    }

    /** The shutdown check catches a planted write into the zero frame (a kernel path that wrote through it). */
    @Test
    void aWriteIntoTheZeroFrameIsReportedAtShutdown() throws Exception {
        try (Machine machine = TestMachines.boot(2, "16MiB")) {
            Kernel kernel = Kernel.boot(machine);
            ExitStatus status;
            try {
                status = kernel.run(sys -> {
                    long a = sys.mmap(PAGE, Vma.READ);
                    sys.loadLong(a);
                    machine.memory().putLong(sys.frameOf(a), 128, 0x5eedL);   // the planted bug
                    return 0;
                }, Duration.ofSeconds(30));
            } finally {
                kernel.close();
            }
            assertExited(0, status);
            List<String> panics = kernel.panics();
            assertEquals(1, panics.size(), "one panic: " + panics);
            assertTrue(panics.get(0).contains("zero frame") && panics.get(0).contains("5eed"), panics.get(0));
            assertEquals(machine.config().frames(), machine.framePool().freeFramesQuiescent(), "the zero frame came back all the same");
        }
    }

    /** A planted extra release of the zero frame is refused: the kernel's own reference is never dropped by a mapping path. */
    @Test
    void droppingTheZeroFramesLastReferenceIsRefused() {
        try (Machine machine = TestMachines.boot(1, "1MiB")) {
            KernelFrames frames = new KernelFrames(machine, Kernel.configuredShootdown(machine)
                    .create(machine.cpus().toArray(new Cpu[0]), new mmsim.shootdown.ShootdownStats(1)), true);
            int zero = frames.zeroFrame();
            assertEquals(1, machine.frames().refCount(zero), "the kernel holds the zero frame");
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> frames.putFrame(machine.cpu(0), zero));
            assertTrue(e.getMessage().contains("zero frame"), e.getMessage());
            assertEquals(1, machine.frames().refCount(zero), "the kernel's reference was restored");
            assertEquals(machine.config().frames() - 1, machine.framePool().freeFramesQuiescent(), "the zero frame was not freed");
            assertEquals(null, frames.releaseZeroFrame(), "still all zeros");
            assertEquals(machine.config().frames(), machine.framePool().freeFramesQuiescent(), "given back at shutdown");
        }
    }

    private void checkNoWritableZero(Mm mm, long va, int zero) {
        long e = leaf(mm, va);
        h.check(!(Pte.frame(e) == zero && Pte.isWritable(e)), "a writable entry of the zero frame: " + Pte.toString(e));
        for (Cpu cpu : h.machine.cpus()) {
            long vpn = va >>> PhysicalMemory.PAGE_SHIFT;
            int asid = mm.space.asid();
            h.check(!(cpu.tlb().cachedFrame(asid, vpn) == zero && cpu.tlb().isWritable(asid, vpn)),
                    "cpu " + cpu.id() + " may write the zero frame at 0x" + Long.toHexString(va));
        }
    }

    private void checkAllZeros(int zero) {
        for (int offset = 0; offset < PAGE; offset += 8) {
            long v = h.machine.memory().getLong(zero, offset);
            if (v != 0) {
                h.check(false, "the zero frame holds 0x" + Long.toHexString(v) + " at offset " + offset);
                return;
            }
        }
    }

    private long leaf(Mm mm, long va) {
        return h.kernel.inspector.inspect(mm.space, va).entry();   // the inspection API, not a walk of our own
    }
}
