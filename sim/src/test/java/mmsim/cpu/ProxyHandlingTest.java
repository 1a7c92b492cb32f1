package mmsim.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import mmsim.Machine;
import mmsim.config.MachineConfig;
import mmsim.mem.FramePool;
import mmsim.paging.AddressSpace;
import mmsim.shootdown.FlushReason;
import mmsim.shootdown.FlushRequest;
import mmsim.shootdown.ShootdownStats;
import mmsim.shootdown.ShootdownStrategy;
import mmsim.shootdown.Shootdowns;
import mmsim.stats.CpuCounter;

/**
 * A shootdown round to a CPU that gave its host slot up is handled on the initiator's thread ({@link Cpu#handleByProxy})
 * when there are two slots, and posted to the CPU's own thread when there is one (the deterministic mode). The two
 * must model the same thing: every strategy's flush to a sleeping CPU ends with the same clocks on both CPUs and the
 * same counters, and with two slots the sleeping CPU's thread is never granted a slot for it.
 */
class ProxyHandlingTest {
    private static final long BOUND_MS = 20_000;
    private static final long VA = 0x7000_0000L;

    /** What one flush left behind: both CPUs' clocks and counters, and the slot grants it took. */
    private record Outcome(long initiatorClock, long targetClock, Map<CpuCounter, Long> initiator, Map<CpuCounter, Long> target,
                           long grants, boolean targetWokeUp) {
    }

    static Iterable<String> strategies() {
        return Shootdowns.NAMES;
    }

    @ParameterizedTest
    @MethodSource("strategies")
    void aRoundToASleepingCpuModelsTheSameWhetherItsThreadOrTheInitiatorHandlesIt(String strategy) throws Exception {
        Outcome posted = flushToSleepingCpu(strategy, 1);
        Outcome proxied = flushToSleepingCpu(strategy, 2);
        assertEquals(posted.initiatorClock(), proxied.initiatorClock(), strategy + ": the initiator's clock");
        assertEquals(posted.targetClock(), proxied.targetClock(), strategy + ": the target's clock");
        assertEquals(posted.initiator(), proxied.initiator(), strategy + ": the initiator's counters");
        assertEquals(posted.target(), proxied.target(), strategy + ": the target's counters");
        assertTrue(posted.targetWokeUp(), strategy + ": with one slot the target's own thread handles the round");
        if (proxied.target().get(CpuCounter.SHOOTDOWN_IPIS_RECEIVED) > 0) {
            assertEquals(0, proxied.grants(), strategy + ": with two slots the round to the sleeping CPU took no slot grant");
        }
    }

    /** Strategies that must interrupt a CPU with the space loaded: the comparison above is not void for them. */
    @ParameterizedTest
    @ValueSource(strings = {"targeted", "broadcast"})
    void theSleepingCpuIsInterruptedOnceAndHandlesItOnTheInitiatorsThread(String strategy) throws Exception {
        Outcome proxied = flushToSleepingCpu(strategy, 2);
        assertEquals(1, proxied.target().get(CpuCounter.SHOOTDOWN_IPIS_RECEIVED), strategy + ": IPIs the target received");
        assertEquals(1, proxied.target().get(CpuCounter.INTERRUPTS_HANDLED), strategy + ": interrupts the target handled");
        assertEquals(0, proxied.grants(), strategy + ": slot grants the round took");
    }

    /**
     * CPU 0 loads a space and sleeps in a wait; CPU 1, with the space loaded too, flushes one page of it under
     * {@code strategy} with {@code parallelism} slots.
     */
    private static Outcome flushToSleepingCpu(String strategy, int parallelism) throws Exception {
        try (Machine machine = Machine.boot(MachineConfig.parse(Map.of("cpus", "2", "memory", "1MiB",
                "sim.parallelism", Integer.toString(parallelism))))) {
            return flushToSleepingCpu(machine, strategy);
        }
    }

    private static Outcome flushToSleepingCpu(Machine machine, String strategy) throws Exception {
        Slots slots = machine.slots();
        slots.activate();
        Cpu[] cpus = machine.cpus().toArray(new Cpu[0]);
        ShootdownStrategy shootdown = Shootdowns.create(strategy, cpus, new ShootdownStats(2));
        AddressSpace space = machine.newAddressSpace(FramePool.NO_CPU);
        for (Cpu cpu : cpus) {
            cpu.switchAddressSpace(space);
            shootdown.onSwitch(cpu, space);
        }
        AtomicBoolean stop = new AtomicBoolean();
        AtomicBoolean woke = new AtomicBoolean();
        CountDownLatch running = new CountDownLatch(1);
        Thread target = new Thread(() -> {
            slots.start(cpus[0]);
            running.countDown();
            cpus[0].await(() -> {
                if (slots.state(0) == Slots.RUNNING) {
                    woke.set(true);  // the condition is read by the CPU's own thread only once it holds a slot again
                }
                return stop.get();
            });
            slots.leave(cpus[0]);
        });
        target.start();
        if (!running.await(BOUND_MS, TimeUnit.MILLISECONDS)) {
            fail("cpu0 did not start");
        }
        long deadline = System.currentTimeMillis() + BOUND_MS;
        while (slots.state(0) != Slots.WAITING) {
            if (System.currentTimeMillis() > deadline) {
                fail("cpu0 did not give its slot up");
            }
            Thread.sleep(1);
        }
        woke.set(false);
        Outcome[] outcome = new Outcome[1];
        Thread initiator = new Thread(() -> {
            slots.start(cpus[1]);
            long grantsBefore = slots.grants();
            shootdown.flush(cpus[1], new FlushRequest().begin(space, FlushReason.MPROTECT).addRange(VA, 1), null);
            long grants = slots.grants() - grantsBefore;
            outcome[0] = new Outcome(cpus[1].clock(), cpus[0].clock(), counters(cpus[1]), counters(cpus[0]), grants, woke.get());
            stop.set(true);
            slots.wake(cpus[0]);
            slots.leave(cpus[1]);
        });
        initiator.start();
        initiator.join(BOUND_MS);
        target.join(BOUND_MS);
        if (initiator.isAlive() || target.isAlive()) {
            fail(strategy + " with " + slots.parallelism() + " slots: the flush to a sleeping CPU did not finish within " + BOUND_MS + " ms");
        }
        return outcome[0];
    }

    private static Map<CpuCounter, Long> counters(Cpu cpu) {
        Map<CpuCounter, Long> values = new EnumMap<>(CpuCounter.class);
        for (CpuCounter c : CpuCounter.values()) {
            values.put(c, cpu.counters().read(c));
        }
        return values;
    }
}
