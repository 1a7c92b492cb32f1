package mmsim.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

import mmsim.Machine;
import mmsim.TestMachines;
import mmsim.paging.Vma;

/** The inspection API: a page's entry bits, frame, reference count and table sharing, without touching internals. */
class InspectionTest {
    private static final long PAGE = 4096;

    private static ExitStatus run(String fork, ProcessBody init) throws Exception {
        try (Machine machine = TestMachines.boot(2, "16MiB", "fork.strategy", fork);
             Kernel kernel = Kernel.boot(machine)) {
            return kernel.run(init, Duration.ofSeconds(30));
        }
    }

    @Test
    void anUntouchedPageHasNoEntryAndATouchedOneShowsItsBits() throws Exception {
        AtomicReference<PageInfo> before = new AtomicReference<>();
        AtomicReference<PageInfo> afterLoad = new AtomicReference<>();
        AtomicReference<PageInfo> afterStore = new AtomicReference<>();
        ExitStatus s = run("cow", sys -> {
            long a = sys.mmap(PAGE, Vma.READ_WRITE);
            before.set(sys.inspect(a));
            sys.loadLong(a);
            afterLoad.set(sys.inspect(a + 8));
            sys.storeLong(a, 1);
            afterStore.set(sys.inspect(a));
            return 0;
        });
        assertEquals(0, s.code(), s.toString());
        assertFalse(before.get().present());
        assertEquals(-1, before.get().frame());
        // a load maps the shared zero page, read-only (mm.zero_page is on by default); the store then allocates
        assertTrue(afterLoad.get().present() && !afterLoad.get().writable() && afterLoad.get().accessed(), afterLoad.get().toString());
        assertTrue(afterLoad.get().frameReferences() >= 2, "the zero frame: the kernel's reference and this mapping's");
        assertEquals(afterLoad.get().va(), afterStore.get().va(), "an address inside a page names that page");
        assertTrue(afterStore.get().writable() && afterStore.get().dirty(), afterStore.get().toString());
        assertTrue(afterStore.get().frame() != afterLoad.get().frame(), "the write replaced the zero frame");
        assertEquals(1, afterStore.get().frameReferences());
        assertFalse(afterStore.get().cow() || afterStore.get().leafTableShared());
    }

    @Test
    void afterACowForkBothSidesShareTheFrameWriteProtected() throws Exception {
        ExitStatus s = run("cow", sys -> {
            long a = sys.mmap(PAGE, Vma.READ_WRITE);
            sys.storeLong(a, 1);
            int pid = sys.fork(c -> {
                PageInfo child = c.inspect(a);
                return child.cow() && !child.writable() && child.frameReferences() == 2 ? 0 : 1;
            });
            PageInfo parent = sys.inspect(a);
            int code = sys.waitpid(pid).code();
            return code == 0 && parent.cow() && !parent.writable() ? 0 : 1;
        });
        assertEquals(0, s.code(), s.toString());
    }

    @Test
    void afterAnOnDemandForkTheLeafTableIsShared() throws Exception {
        ExitStatus s = run("odf", sys -> {
            long a = sys.mmap(PAGE, Vma.READ_WRITE);
            sys.storeLong(a, 1);
            int[] p = sys.pipe();
            long buf = sys.mmap(PAGE, Vma.READ_WRITE);
            int pid = sys.fork(c -> {
                c.read(p[0], buf, 1);   // wait until the parent has looked
                return 0;
            });
            boolean shared = sys.inspect(a).leafTableShared();
            sys.write(p[1], buf, 1);
            sys.waitpid(pid);
            return shared ? 0 : 1;
        });
        assertEquals(0, s.code(), s.toString());
    }

    @Test
    void aKernelInspectsAnyLiveProcessAndRefusesAMissingOne() throws Exception {
        try (Machine machine = TestMachines.boot(2, "16MiB");
             Kernel kernel = Kernel.boot(machine)) {
            AtomicReference<PageInfo> seen = new AtomicReference<>();
            ExitStatus s = kernel.run(sys -> {
                long a = sys.mmap(PAGE, Vma.READ_WRITE);
                sys.storeLong(a, 5);
                seen.set(kernel.inspect(sys.getpid(), a));
                return 0;
            }, Duration.ofSeconds(30));
            assertEquals(0, s.code(), s.toString());
            assertTrue(seen.get().present() && seen.get().frameReferences() == 1, seen.get().toString());
            assertThrows(IllegalArgumentException.class, () -> kernel.inspect(12345, 0x1000_0000L));
        }
    }
}
