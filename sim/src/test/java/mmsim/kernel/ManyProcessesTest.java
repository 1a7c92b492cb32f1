package mmsim.kernel;

import static mmsim.kernel.KernelHarness.assertExited;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import mmsim.cpu.Tlb;
import mmsim.paging.Vma;

/**
 * Thousands of live processes, each blocked in a pipe read: a blocked task costs no host CPU (it gives its
 * CPU to the idle loop, which gives its host slot up), so they can all be created quickly, and fork's ASID
 * exhaustion path can be reached: with {@code tlb.asid=true}, once every ASID is held by a live space,
 * fork fails with EAGAIN and changes nothing; the processes then all exit and every frame comes back.
 */
class ManyProcessesTest {
    private final KernelHarness h = new KernelHarness();

    @Test
    void forkRunsOutOfAsidsWithEagainOnceEveryAsidIsLiveAndTheMachineCarriesOn() throws Exception {
        long[] created = new long[1];
        long[] hostNanos = new long[1];
        ExitStatus s = h.run(4, "128MiB", "cow", sys -> {
            long buf = sys.mmap(4096, Vma.READ_WRITE);
            int[] p = sys.pipe();
            List<Integer> children = new ArrayList<>();
            long t0 = System.nanoTime();
            while (true) {
                try {
                    children.add(sys.fork(c -> {
                        c.close(p[1]);
                        // blocks until the parent closes the write end: end of file
                        return c.read(p[0], buf, 1) == 0 ? 0 : 1;
                    }));
                } catch (SyscallException e) {
                    h.check(e.errno() == Errno.EAGAIN, "the fork that found no ASID failed with " + e.errno());
                    break;
                }
                if (children.size() > Tlb.MAX_ASID) {
                    h.check(false, "more live processes than ASIDs: " + children.size());
                    break;
                }
            }
            hostNanos[0] = System.nanoTime() - t0;
            created[0] = children.size();
            sys.close(p[1]);
            for (int pid : children) {
                ExitStatus cs = sys.waitpid(pid);
                h.check(cs.exitedNormally() && cs.code() == 0, "child " + pid + ": " + cs);
            }
            return 0;
        }, "tlb.asid", "true");
        assertExited(0, s);
        // init holds one ASID; every other one went to a live child
        assertEquals(Tlb.MAX_ASID - 1, created[0], "live children when fork ran out of ASIDs");
        System.out.printf("%d live blocked processes created in %.2f s of host time (%d host cores)%n",
                created[0] + 1, hostNanos[0] / 1e9, Runtime.getRuntime().availableProcessors());
    }
}
