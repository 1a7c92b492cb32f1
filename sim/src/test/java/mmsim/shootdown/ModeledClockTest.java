package mmsim.shootdown;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;


import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import mmsim.Machine;
import mmsim.TestMachines;
import mmsim.cpu.Cpu;
import mmsim.stats.CostModel;
import mmsim.paging.AddressSpace;
import mmsim.stats.CpuCounter;

/**
 * Modeled time across an IPI round (DESIGN.md §4): a target takes the interrupt no earlier than its send
 * time plus the delivery; a busy target acknowledges at the zero-load latency, an idle one from its own
 * clock; and the initiator's clock ends at or after the latest acknowledgement.
 */
class ModeledClockTest {
    private static final CostModel COSTS = mmsim.config.MachineConfig.defaults().costs();

    private static final long VA = 0x1000_0000L;
    private static final long IDLE_TARGET_CLOCK = 50_000;

    @ParameterizedTest
    @ValueSource(strings = {"targeted", "broadcast", "linux", "batched"})
    void theInitiatorsClockEndsAtOrAfterTheLatestAcknowledgement(String name) throws Exception {
        try (Machine machine = TestMachines.boot(3, "8MiB")) {
            Cpu initiator = machine.cpu(0);
            Cpu busy = machine.cpu(1);
            Cpu idle = machine.cpu(2);
            AddressSpace space = machine.newAddressSpace(0);
            for (Cpu c : machine.cpus()) {
                c.switchAddressSpace(space);
            }
            initiator.charge(1_000);
            // the idle target's clock is far ahead of the initiator's: its acknowledgement comes from its own clock
            idle.charge(IDLE_TARGET_CLOCK);
            idle.setIdle(true);
            ShootdownStrategy strategy = Shootdowns.create(name, machine.cpus().toArray(new Cpu[0]), new ShootdownStats(3));

            long before = initiator.clock();
            FlushRequest request = new FlushRequest().begin(space, FlushReason.MPROTECT).addRange(VA, 1);
            try (TestMachines.InterruptServicers targets = TestMachines.servicing(busy, idle)) {
                strategy.flush(initiator, request, null);
            }
            long after = initiator.clock();

            long handled = COSTS.ipiHandler + COSTS.ipiAck;
            long sentAt = before + 2 * COSTS.ipiSend;
            assertEquals(1, busy.counters().read(CpuCounter.SHOOTDOWN_IPIS_RECEIVED), "the busy target took one IPI");
            assertEquals(1, idle.counters().read(CpuCounter.SHOOTDOWN_IPIS_RECEIVED), "the idle target took one IPI");
            // the busy target's acknowledgement: send + delivery + handler (+ its flush) + ack
            assertTrue(after >= sentAt + COSTS.ipiDelivery + handled,
                    name + ": initiator clock " + after + " ends before the busy target's acknowledgement");
            // the idle target's: from its own clock, which was ahead of the arrival
            assertTrue(idle.clock() >= IDLE_TARGET_CLOCK + handled, "the idle target was charged its handler");
            assertTrue(after >= idle.clock(), name + ": initiator clock " + after
                    + " ends before the idle target's acknowledgement at " + idle.clock());
            // the busy target was not moved to the arrival: only its lost cycles were charged
            assertEquals(busy.counters().read(CpuCounter.MODELED_CYCLES_INTERRUPTED), busy.clock(),
                    "a busy target's clock moves only by the cycles the interrupt cost it");
            assertTrue(initiator.counters().read(CpuCounter.MODELED_WAIT_CYCLES) > 0, "the initiator waited in modeled time");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"targeted", "linux"})
    void anIdleTargetBehindTheSenderTakesTheInterruptOnlyAfterItsDelivery(String name) throws Exception {
        try (Machine machine = TestMachines.boot(2, "8MiB")) {
            Cpu initiator = machine.cpu(0);
            Cpu idle = machine.cpu(1);
            AddressSpace space = machine.newAddressSpace(0);
            initiator.switchAddressSpace(space);
            idle.switchAddressSpace(space);
            initiator.charge(100_000);
            idle.setIdle(true);
            ShootdownStrategy strategy = Shootdowns.create(name, machine.cpus().toArray(new Cpu[0]), new ShootdownStats(2));
            try (TestMachines.InterruptServicers target = TestMachines.servicing(idle)) {
                strategy.flush(initiator, new FlushRequest().begin(space, FlushReason.MUNMAP).addRange(VA, 1), null);
            }
            long arrival = 100_000 + COSTS.ipiSend + COSTS.ipiDelivery;
            assertTrue(idle.clock() >= arrival + COSTS.ipiHandler + COSTS.ipiAck,
                    "the idle target's clock " + idle.clock() + " did not move to the interrupt's arrival " + arrival);
            assertTrue(idle.counters().read(CpuCounter.MODELED_IDLE_CYCLES) >= arrival, "the skip counts as idle time");
            assertTrue(initiator.clock() >= idle.clock(), "the initiator ends at or after the acknowledgement");
        }
    }
}
