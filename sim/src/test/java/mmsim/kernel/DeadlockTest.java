package mmsim.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import mmsim.Machine;
import mmsim.TestMachines;
import mmsim.paging.Vma;

/** A run that can never finish is reported as a deadlock within seconds, not left to the watchdog's timeout. */
class DeadlockTest {

    /** Two children each read a pipe whose write end the other holds open: neither read can ever return. */
    private static ProcessBody crossedPipes() {
        return sys -> {
            int[] a = sys.pipe();
            int[] b = sys.pipe();
            sys.fork(c -> {
                long buf = c.mmap(4096, Vma.READ_WRITE);
                c.read(a[0], buf, 1);   // b's write end stays open here, a's in the sibling
                return 0;
            });
            sys.fork(c -> {
                long buf = c.mmap(4096, Vma.READ_WRITE);
                c.read(b[0], buf, 1);
                return 0;
            });
            for (int fd : new int[] {a[0], a[1], b[0], b[1]}) {
                sys.close(fd);
            }
            sys.waitAny();
            sys.waitAny();
            return 0;
        };
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void crossedPipesAreADeadlockNamedWithTheThreadsNotATimeout(boolean deterministic) throws Exception {
        try (Machine m = TestMachines.boot(2, "16MiB", "sim.deterministic", Boolean.toString(deterministic));
             Kernel kernel = Kernel.boot(m)) {
            long start = System.nanoTime();
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> kernel.run(crossedPipes(), Duration.ofMinutes(2)));
            long seconds = (System.nanoTime() - start) / 1_000_000_000L;
            assertTrue(e.getMessage().startsWith("deadlock: 3 processes alive"), e.getMessage());
            assertTrue(e.getMessage().contains("PipeFiles.read"), "the dump shows where they wait: " + e.getMessage());
            assertTrue(seconds < 30, "reported in seconds, not at the timeout: " + seconds + " s");
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void aLongButLiveRunIsNoDeadlock(boolean deterministic) throws Exception {
        // a parent waits 3 host seconds' worth of modeled work on a child: CPUs keep being granted, nothing is stuck
        try (Machine m = TestMachines.boot(2, "16MiB", "sim.deterministic", Boolean.toString(deterministic));
             Kernel kernel = Kernel.boot(m)) {
            ExitStatus s = kernel.run(sys -> {
                long end = System.nanoTime() + 3_000_000_000L;
                int child = sys.fork(c -> {
                    long buf = c.mmap(4096, Vma.READ_WRITE);
                    while (System.nanoTime() < end) {
                        c.storeLong(buf, c.loadLong(buf) + 1);
                    }
                    return 0;
                });
                return sys.waitpid(child).code();
            }, Duration.ofMinutes(2));
            assertEquals(0, s.code(), s.toString());
        }
    }
}
