package mmsim.shootdown;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.Test;

import mmsim.Machine;
import mmsim.TestMachines;
import mmsim.cpu.Cpu;
import mmsim.mem.FramePool;
import mmsim.mem.PhysicalMemory;
import mmsim.paging.AddressSpace;
import mmsim.paging.Pte;
import mmsim.stats.CostModel;
import mmsim.stats.CpuCounter;

/**
 * The topology's costs and what each research strategy does differently, in exact modeled cycles and exact
 * counts: a cross-socket target pays the remote delivery and acknowledgement; multicast forwards once per
 * remote socket and aggregates; early-ack times acknowledgements at receipt except where page tables are freed;
 * abis interrupts only the CPUs that walked the entry (or falls back when it is shared or unsure); didi
 * invalidates only the CPUs the directory names, interrupting none.
 *
 * <p>No kernel: CPU 0 initiates from the test thread, the other CPUs are busy threads that service their
 * inboxes (each flush's targets are busy, so every acknowledgement comes at its zero-load latency).
 */
class ResearchStrategiesTest {
    private static final CostModel COSTS = mmsim.config.MachineConfig.defaults().costs();
    private static final long VA = 0x1000_0000L;
    private static final long VPN = VA >>> PhysicalMemory.PAGE_SHIFT;

    /** A machine whose CPUs all have one space loaded, with VA mapped, and a strategy built before any walk. */
    private static final class Rig implements AutoCloseable {
        final Machine machine;
        final AddressSpace space;
        final ShootdownStrategy strategy;
        final List<Cpu> cpus;

        Rig(String strategyName, int cpuCount, int sockets) {
            machine = TestMachines.boot(cpuCount, "8MiB", "topology.sockets", Integer.toString(sockets));
            cpus = machine.cpus();
            space = machine.newAddressSpace(FramePool.NO_CPU);
            for (Cpu c : cpus) {
                c.switchAddressSpace(space);
            }
            TestMachines.mapZeroPage(machine, null, space, VA, Pte.WRITABLE);
            strategy = Shootdowns.create(strategyName, cpus.toArray(new Cpu[0]), new ShootdownStats(cpuCount));
        }

        /** CPU {@code id} reads VA through its MMU: a walk, which caches the translation. */
        Rig walk(int id) {
            cpus.get(id).mmu().loadLong(VA);
            return this;
        }

        /** Flushes {@code request} from CPU 0 while every other CPU services interrupts; returns CPU 0's modeled latency. */
        long flush(FlushRequest request) throws InterruptedException {
            AtomicBoolean done = new AtomicBoolean();
            List<Thread> targets = new ArrayList<>();
            for (Cpu target : cpus.subList(1, cpus.size())) {
                Thread t = new Thread(() -> {
                    while (!done.get()) {
                        target.serviceInterrupts();
                        Thread.onSpinWait();
                    }
                });
                t.start();
                targets.add(t);
            }
            Cpu initiator = cpus.get(0);
            long before = initiator.clock();
            strategy.flush(initiator, request, null);
            long latency = initiator.clock() - before;
            done.set(true);
            for (Thread t : targets) {
                t.join(TimeUnit.SECONDS.toMillis(10));
                assertFalse(t.isAlive(), "a target thread did not stop");
            }
            return latency;
        }

        FlushRequest mprotect() {
            return new FlushRequest().begin(space, FlushReason.MPROTECT).addRange(VA, 1);
        }

        long count(int cpu, CpuCounter counter) {
            return cpus.get(cpu).counters().read(counter);
        }

        boolean cached(int cpu) {
            return cpus.get(cpu).tlb().contains(cpus.get(cpu).mmu().asid(), VPN);
        }

        @Override
        public void close() {
            machine.close();
        }
    }

    /** CPU 0's modeled latency of a one-page mprotect flush under {@code strategy}, every other CPU busy. */
    private static long mprotectLatency(String strategy, int cpus, int sockets) throws InterruptedException {
        try (Rig rig = new Rig(strategy, cpus, sockets)) {
            return rig.flush(rig.mprotect());
        }
    }

    @Test
    void theTopologyPutsConsecutiveCoresOnOneSocket() {
        try (Rig rig = new Rig("linux", 8, 2)) {
            assertEquals(List.of(0, 0, 0, 0, 1, 1, 1, 1), rig.cpus.stream().map(Cpu::socket).toList());
            assertTrue(rig.cpus.get(0).sameSocket(rig.cpus.get(3)));
            assertFalse(rig.cpus.get(3).sameSocket(rig.cpus.get(4)));
        }
    }

    /** One busy target: on another socket it costs the remote delivery and the remote acknowledgement, nothing else. */
    @Test
    void aTargetOnAnotherSocketPaysTheRemoteDeliveryAndAcknowledgement() throws Exception {
        long local = mprotectLatency("linux", 2, 1);
        long remote = mprotectLatency("linux", 2, 2);
        // send, delivery, handler, the target's full flush (its generation is unknown), acknowledgement
        assertEquals(COSTS.ipiSend + COSTS.ipiDelivery + COSTS.ipiHandler + COSTS.fullFlush + COSTS.ipiAck, local);
        assertEquals(local + (COSTS.ipiDeliveryRemote - COSTS.ipiDelivery) + (COSTS.ipiAckRemote - COSTS.ipiAck), remote);
    }

    /**
     * 4 CPUs on 2 sockets, targets 1 (local), 2 and 3 (remote). linux: three sends, the remote acknowledgement last,
     * then the other two read one by one. multicast: one send to CPU 1's group and one to CPU 2, which flushes,
     * sends to CPU 3 and acknowledges once for both.
     */
    @Test
    void multicastSendsOnePerSocketAndTheForwarderAcknowledgesForItsSocket() throws Exception {
        long linux = mprotectLatency("linux", 4, 2);
        assertEquals(3 * COSTS.ipiSend + COSTS.ipiDeliveryRemote + COSTS.ipiHandler + COSTS.fullFlush + COSTS.ipiAckRemote
                + COSTS.ipiAck + COSTS.ipiAckRemote, linux, "linux: the latest acknowledgement, then the other two lines");
        try (Rig rig = new Rig("multicast", 4, 2)) {
            long multicast = rig.flush(rig.mprotect());
            long forwarderSends = 2 * COSTS.ipiSend + COSTS.ipiDeliveryRemote + COSTS.ipiHandler + COSTS.fullFlush + COSTS.ipiSend;
            long childAcks = forwarderSends + COSTS.ipiDelivery + COSTS.ipiHandler + COSTS.fullFlush + COSTS.ipiAck;
            assertEquals(childAcks + COSTS.ipiAckRemote, multicast, "multicast: CPU 3's acknowledgement, forwarded across");
            assertEquals(3, rig.count(0, CpuCounter.SHOOTDOWN_IPIS_SENT), "three CPUs interrupted");
            assertEquals(1, rig.count(2, CpuCounter.SHOOTDOWN_FORWARDED), "CPU 2 forwards for socket 1");
            assertEquals(0, rig.count(1, CpuCounter.SHOOTDOWN_FORWARDED), "CPU 1 is on the initiator's socket");
            for (int cpu = 1; cpu < 4; cpu++) {
                assertEquals(1, rig.count(cpu, CpuCounter.SHOOTDOWN_IPIS_RECEIVED), "cpu " + cpu + " took one IPI");
            }
        }
    }

    /** The same flush: early-ack's initiator does not wait for the target's flush, unless the request frees page tables. */
    @Test
    void earlyAckTimesTheAcknowledgementAtReceiptExceptWhenTablesAreFreed() throws Exception {
        long linuxFreeing;
        long linux = mprotectLatency("linux", 2, 1);
        try (Rig rig = new Rig("linux", 2, 1)) {
            linuxFreeing = rig.flush(new FlushRequest().begin(rig.space, FlushReason.MUNMAP).addRange(VA, 1).freesTables());
        }
        try (Rig rig = new Rig("early-ack", 2, 1)) {
            assertEquals(linux - COSTS.fullFlush, rig.flush(rig.mprotect()), "the target's flush is off the initiator's path");
            assertEquals(1, rig.count(1, CpuCounter.SHOOTDOWN_EARLY_ACKS));
            assertEquals(COSTS.ipiHandler + COSTS.fullFlush + COSTS.ipiAck, rig.count(1, CpuCounter.MODELED_CYCLES_INTERRUPTED),
                    "the target still pays its flush");
        }
        try (Rig rig = new Rig("early-ack", 2, 1)) {
            assertEquals(linuxFreeing, rig.flush(new FlushRequest().begin(rig.space, FlushReason.MUNMAP).addRange(VA, 1).freesTables()),
                    "freed page tables: acknowledged after the flush, as linux");
            assertEquals(0, rig.count(1, CpuCounter.SHOOTDOWN_EARLY_ACKS));
        }
    }

    @Test
    void abisInterruptsOnlyTheOneCpuThatCachedAPrivateEntry() throws Exception {
        try (Rig rig = new Rig("abis", 4, 1).walk(1)) {
            assertTrue(rig.cached(1));
            rig.flush(rig.mprotect());
            assertEquals(1, rig.count(1, CpuCounter.SHOOTDOWN_IPIS_RECEIVED));
            assertEquals(0, rig.count(2, CpuCounter.SHOOTDOWN_IPIS_RECEIVED) + rig.count(3, CpuCounter.SHOOTDOWN_IPIS_RECEIVED));
            assertEquals(2, rig.count(0, CpuCounter.SHOOTDOWN_TRACKING_SKIPPED));
            assertEquals(1, rig.count(0, CpuCounter.SHOOTDOWNS_REMOTE));
            assertFalse(rig.cached(1), "the one holder flushed it");
        }
    }

    @Test
    void abisSendsNothingForAnEntryNoOtherCpuCachedAndFallsBackWhenShared() throws Exception {
        try (Rig rig = new Rig("abis", 4, 1).walk(0)) {
            rig.flush(rig.mprotect());
            assertEquals(0, rig.count(0, CpuCounter.SHOOTDOWN_IPIS_SENT), "private to the initiator: a local flush");
            assertEquals(0, rig.count(0, CpuCounter.SHOOTDOWNS_REMOTE));
            assertEquals(1, rig.count(0, CpuCounter.SHOOTDOWNS));
        }
        try (Rig rig = new Rig("abis", 4, 1).walk(1).walk(2)) {
            rig.flush(rig.mprotect());
            assertEquals(3, rig.count(0, CpuCounter.SHOOTDOWN_IPIS_SENT), "shared: the cpumask, as linux");
        }
        try (Rig rig = new Rig("abis", 4, 1).walk(1)) {
            rig.flush(new FlushRequest().begin(rig.space, FlushReason.MUNMAP).addRange(VA, 1).freesTables());
            assertEquals(3, rig.count(0, CpuCounter.SHOOTDOWN_IPIS_SENT), "freed tables: every CPU that may walk them");
        }
    }

    @Test
    void didiInvalidatesOnlyTheDirectorysSharersAndInterruptsNobody() throws Exception {
        try (Rig rig = new Rig("didi", 4, 2).walk(1).walk(3)) {
            long latency = rig.flush(rig.mprotect());
            assertEquals(2, rig.count(0, CpuCounter.SHOOTDOWN_REMOTE_INVALIDATIONS), "CPUs 1 and 3 cached it");
            assertFalse(rig.cached(1));
            assertFalse(rig.cached(3));
            for (int cpu = 1; cpu < 4; cpu++) {
                assertEquals(0, rig.count(cpu, CpuCounter.SHOOTDOWN_IPIS_RECEIVED), "cpu " + cpu + " interrupted");
                assertEquals(0, rig.count(cpu, CpuCounter.MODELED_CYCLES_INTERRUPTED));
            }
            // own INVLPG, one lookup, and the slowest sharer's round trip: CPU 3, on the other socket
            assertEquals(COSTS.invlpg + COSTS.directoryLookup + 2 * COSTS.ipiAckRemote, latency);
        }
    }

    /** hw-broadcast's completion crosses the interconnect when a target is on another socket: one remote line transfer more. */
    @Test
    void hardwareBroadcastPaysTheCrossSocketCompletion() throws Exception {
        long local = mprotectLatency("hw-broadcast", 2, 1);
        long remote = mprotectLatency("hw-broadcast", 2, 2);
        assertEquals(COSTS.invlpg + COSTS.invlpgb + COSTS.tlbsync, local);
        assertEquals(local + COSTS.ipiAckRemote - COSTS.ipiAck, remote);
    }

    /** The directory is told of walks, not of evictions: a sharer that dropped the entry still gets the message. */
    @Test
    void didisDirectoryIsASupersetOfTheHolders() throws Exception {
        try (Rig rig = new Rig("didi", 4, 1).walk(2)) {
            rig.cpus.get(2).flushTlb();
            assertFalse(rig.cached(2));
            rig.flush(rig.mprotect());
            assertEquals(1, rig.count(0, CpuCounter.SHOOTDOWN_REMOTE_INVALIDATIONS));
        }
    }
}
