package mmsim.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import mmsim.Machine;
import mmsim.TestMachines;
import mmsim.cpu.Cpu;
import mmsim.paging.AddressSpace;
import mmsim.paging.Vma;

/** A researcher's fork strategy plugs in through {@code Kernel.boot}, as a shootdown strategy does. */
class PluggableForkStrategyTest {
    private static final long PAGE = 4096;

    /** A strategy of "a researcher's": copy-on-write, counting its forks and the leaf-table hook's calls. */
    static final class CountingCowFork implements ForkStrategy {
        final ForkStrategy cow;
        final AtomicInteger copies = new AtomicInteger();
        final AtomicInteger hooks = new AtomicInteger();

        CountingCowFork(KernelFrames frames, TlbFlusher flusher) {
            this.cow = ForkStrategies.create("cow", frames, flusher);
        }

        @Override
        public String name() {
            return "counting-cow";
        }

        @Override
        public void copy(Cpu cpu, AddressSpace parent, AddressSpace child) {
            copies.incrementAndGet();
            cow.copy(cpu, parent, child);
        }

        @Override
        public boolean sharesLeafTables() {
            return true;   // so that range operations call the hook too
        }

        @Override
        public void beforeLeafTableChange(Cpu cpu, AddressSpace space, long va) {
            hooks.incrementAndGet();
        }
    }

    @Test
    void aResearchersForkStrategyRunsEveryForkAndSeesEveryLeafTableChange() throws Exception {
        CountingCowFork[] made = new CountingCowFork[1];
        try (Machine machine = TestMachines.boot(2, "16MiB")) {
            ExitStatus status;
            try (Kernel kernel = Kernel.boot(machine, Kernel.configuredShootdown(machine), (frames, flusher) -> {
                made[0] = new CountingCowFork(frames, flusher);
                return made[0];
            })) {
                assertEquals("counting-cow", kernel.forkStrategy());
                status = kernel.run(sys -> {
                    long a = sys.mmap(PAGE, Vma.READ_WRITE);
                    sys.storeLong(a, 7);                                   // a fault: one hook call
                    for (int i = 0; i < 3; i++) {
                        int pid = sys.fork(c -> c.loadLong(a) == 7 ? 0 : 1);
                        if (sys.waitpid(pid).code() != 0) {
                            return 1;
                        }
                    }
                    sys.munmap(a, PAGE);                                   // a range operation: one hook call
                    return 0;
                }, Duration.ofSeconds(30));
            }
            assertEquals(0, status.code(), status.toString());
            assertEquals(machine.config().frames(), machine.framePool().freeFramesQuiescent(), "every frame came back");
        }
        assertEquals(3, made[0].copies.get(), "every fork went through the plugged-in strategy");
        assertEquals(2, made[0].hooks.get(), "the fault and the munmap each called the leaf-table hook once");
    }
}
