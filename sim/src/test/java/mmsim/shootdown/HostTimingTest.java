package mmsim.shootdown;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import mmsim.Machine;
import mmsim.TestMachines;
import mmsim.cpu.Cpu;
import mmsim.paging.AddressSpace;
import mmsim.stats.CpuCounter;

/**
 * {@code shootdown.initiator_ns} times only the shootdowns that may reach another CPU
 * ({@link AbstractShootdown#mayReachOthers}): every strategy's shootdowns that did reach one were timed, and a flush
 * of a space loaded on the initiator alone is not timed where the strategy's targets come from the cpumask. A
 * strategy that reaches CPUs outside the cpumask without saying so (broadcast, didi) fails here.
 */
class HostTimingTest {
    private static final long VA = 0x1000_0000L;
    /** Strategies whose targets are not drawn from the space's cpumask: every flush on a multi-CPU machine is timed. */
    private static final Set<String> BEYOND_THE_MASK = Set.of("broadcast", "didi");
    private static final List<FlushReason> REASONS = List.of(FlushReason.COW_REPLACE, FlushReason.MPROTECT, FlushReason.MUNMAP);

    static List<String> strategies() {
        return Shootdowns.NAMES;
    }

    @ParameterizedTest
    @MethodSource("strategies")
    void everyShootdownThatReachedAnotherCpuWasTimed(String name) throws Exception {
        try (Machine machine = TestMachines.boot(2, "8MiB")) {
            Cpu initiator = machine.cpu(0);
            Cpu other = machine.cpu(1);
            AddressSpace space = machine.newAddressSpace(0);
            initiator.switchAddressSpace(space);
            ShootdownStats stats = new ShootdownStats(2);
            ShootdownStrategy strategy = Shootdowns.create(name, machine.cpus().toArray(new Cpu[0]), stats);
            try (TestMachines.InterruptServicers targets = TestMachines.servicing(other)) {
                // the space on the initiator alone
                for (FlushReason reason : REASONS) {
                    strategy.flush(initiator, new FlushRequest().begin(space, reason).addRange(VA, 1), null);
                }
                long remoteAlone = initiator.counters().read(CpuCounter.SHOOTDOWNS_REMOTE);
                long timedAlone = stats.hostNanos(0).getTotalCount();
                assertEquals(REASONS.size(), stats.modeledCycles().getTotalCount(), name + ": every shootdown's modeled cycles");
                assertTrue(remoteAlone <= timedAlone, name + ": " + remoteAlone + " shootdowns reached another CPU, "
                        + timedAlone + " were timed");
                assertEquals(BEYOND_THE_MASK.contains(name) ? REASONS.size() : 0, timedAlone,
                        name + ": shootdowns timed with the space loaded on the initiator alone");
            }
            // the space loaded on both (switched while no thread runs CPU 1): each flush may reach it, and is timed
            other.switchAddressSpace(space);
            try (TestMachines.InterruptServicers targets = TestMachines.servicing(other)) {
                long timedBefore = stats.hostNanos(0).getTotalCount();
                for (FlushReason reason : REASONS) {
                    strategy.flush(initiator, new FlushRequest().begin(space, reason).addRange(VA, 1), null);
                }
                long remote = initiator.counters().read(CpuCounter.SHOOTDOWNS_REMOTE);
                assertEquals(timedBefore + REASONS.size(), stats.hostNanos(0).getTotalCount(), name + ": every shootdown timed");
                assertTrue(remote <= stats.hostNanos(0).getTotalCount(), name + ": " + remote + " reached another CPU");
            }
        }
    }
}
