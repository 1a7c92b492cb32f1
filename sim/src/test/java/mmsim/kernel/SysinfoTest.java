package mmsim.kernel;

import static mmsim.kernel.KernelHarness.assertExited;

import org.junit.jupiter.api.Test;

import mmsim.paging.Vma;

/** sysinfo's memory figures, which workloads and tests read instead of the machine's internals. */
class SysinfoTest {
    private static final long PAGE = 4096;

    private final KernelHarness h = new KernelHarness();

    /**
     * On one CPU (no other CPU allocates, so the figures are exact) sysinfo reports every frame of the machine,
     * the free ones exactly as a walk of the pool counts them, one fewer per page touched and per page table
     * built, and every one back after munmap.
     */
    @Test
    void sysinfoCountsFreeFrames() throws Exception {
        ExitStatus s = h.run(1, "8MiB", "cow", sys -> {
            SysInfo before = sys.sysinfo();
            h.checkEquals(h.machine.config().frames(), before.totalFrames(), "total frames");
            h.checkEquals(8L << 20, before.totalBytes(), "total bytes");
            h.checkEquals(h.machine.framePool().freeFramesQuiescent(), before.freeFrames(), "free frames, as a walk of the pool counts them");
            h.checkEquals(h.machine.frames().framesReferenced(), before.usedFrames(), "used frames, as the reference counts say");
            h.checkEquals(before.freeFrames() * PAGE, before.freeBytes(), "free bytes");
            h.checkEquals(0, before.pendingFrames(), "nothing waits for a flush");
            long tables = h.machine.pageTable().countTables(sys.mm().space.root());

            long a = sys.mmap(16 * PAGE, Vma.READ_WRITE);
            for (int i = 0; i < 16; i++) {
                sys.storeLong(a + i * PAGE, i);
            }
            long built = h.machine.pageTable().countTables(sys.mm().space.root()) - tables;
            SysInfo touched = sys.sysinfo();
            h.checkEquals(before.freeFrames() - 16 - built, touched.freeFrames(), "sixteen pages and " + built + " tables taken");
            h.check(touched.cachedFrames() <= touched.freeFrames(), "the cached frames are part of the free ones: " + touched);

            sys.munmap(a, 16 * PAGE);
            SysInfo after = sys.sysinfo();
            h.checkEquals(before.freeFrames(), after.freeFrames(), "every page and table back after munmap");
            h.checkEquals(0, after.pendingFrames(), "nothing waits for a flush on one CPU");
            return 0;
        });
        assertExited(0, s);
    }
}
