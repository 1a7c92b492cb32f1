package mmsim.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;

import org.junit.jupiter.api.Test;

import mmsim.config.MachineConfig;

/**
 * The host-slot arbiter: a waiting CPU never keeps the only slot from the CPU that can end its wait, no
 * CPU runs more than a phase ahead of the slowest runnable one, and never more CPUs execute than there
 * are slots. CPUs are driven by test threads (no kernel), each entering through {@link Slots#start}.
 */
class SlotsTest {
    private static final long BOUND_MS = 20_000;

    private static Cpu[] cpus(Slots slots, int n) {
        MachineConfig config = MachineConfig.parse(Map.of("cpus", Integer.toString(n)));
        Cpu[] cpus = new Cpu[n];
        for (int i = 0; i < n; i++) {
            cpus[i] = new Cpu(i, config, null, null, slots);
        }
        slots.attach(cpus);
        slots.activate();
        return cpus;
    }

    private static void awaitState(Slots slots, int cpu, int state, String what) throws InterruptedException {
        long deadline = System.currentTimeMillis() + BOUND_MS;
        while (slots.state(cpu) != state) {
            if (System.currentTimeMillis() > deadline) {
                fail(what + ": cpu" + cpu + " still in state " + slots.state(cpu) + " after " + BOUND_MS + " ms");
            }
            Thread.sleep(1);
        }
    }

    /**
     * A thread that enters {@code slots} on {@code cpu}, waits in {@link Cpu#await} until {@code until} holds, runs
     * {@code afterWait} and leaves; returned once the CPU has given its slot up (every CPU is WAITING before its start,
     * so it is first seen running).
     */
    private static Thread startWaiter(Slots slots, Cpu cpu, WaitCondition until, Runnable afterWait) throws InterruptedException {
        CountDownLatch running = new CountDownLatch(1);
        Thread waiter = new Thread(() -> {
            slots.start(cpu);
            running.countDown();
            cpu.await(until);
            afterWait.run();
            slots.leave(cpu);
        });
        waiter.start();
        assertTrue(running.await(BOUND_MS, TimeUnit.MILLISECONDS), "cpu" + cpu.id() + " did not start");
        awaitState(slots, cpu.id(), Slots.WAITING, "cpu" + cpu.id() + " gave its slot up");
        return waiter;
    }

    /**
     * {@code cpu} charges {@code steps} steps of {@code cycles}, reaching its deadline after each: it must keep its slot
     * throughout, and after each step the phase end must be the next multiple of {@code phase} past its clock.
     */
    private static void stepAlone(Slots slots, Cpu cpu, int steps, long cycles, long phase) {
        for (int s = 0; s < steps; s++) {
            cpu.charge(cycles);
            cpu.checkDeadline();
            assertEquals(Slots.RUNNING, slots.state(cpu.id()), "cpu" + cpu.id() + " at step " + s);
            long end = slots.phaseEnd();
            assertTrue(end > cpu.clock() && end - cpu.clock() <= phase && end % phase == 0, "step " + s + ": the phase end "
                    + end + " is the next multiple of the phase after cpu" + cpu.id() + "'s clock " + cpu.clock());
        }
    }

    private static void join(Thread t, String what) throws InterruptedException {
        t.join(BOUND_MS);
        if (t.isAlive()) {
            fail(what + " did not finish within " + BOUND_MS + " ms: " + java.util.Arrays.toString(t.getStackTrace()));
        }
    }

    @Test
    void aWaitingCpuGivesTheOnlySlotToTheCpuThatCanEndItsWait() throws Exception {
        Slots slots = new Slots(2, 1, 1_000_000);
        Cpu[] cpus = cpus(slots, 2);
        AtomicBoolean flag = new AtomicBoolean();
        ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
        WaitCondition raised = flag::get;
        Thread waiter = new Thread(() -> {
            slots.start(cpus[0]);
            cpus[0].await(raised);
            if (!flag.get()) {
                problems.add("cpu0 came back from its wait before the flag was raised");
            }
            slots.leave(cpus[0]);
        });
        waiter.start();
        // cpu0 holds the only slot and waits for a flag only cpu1 can raise: it must give the slot up
        awaitState(slots, 0, Slots.WAITING, "the waiter gave its slot up");
        Thread raiser = new Thread(() -> {
            slots.start(cpus[1]);
            if (slots.state(0) == Slots.RUNNING) {
                problems.add("cpu1 runs while cpu0 still holds a slot, with one slot");
            }
            flag.set(true);
            slots.wake(cpus[0]);
            slots.leave(cpus[1]);
        });
        raiser.start();
        join(raiser, "the CPU that raises the flag (it needs the only slot)");
        join(waiter, "the waiting CPU");
        assertTrue(problems.isEmpty(), problems.toString());
    }

    @Test
    void anInterruptWakesASleepingWaiterToServiceIt() throws Exception {
        Slots slots = new Slots(2, 1, 1_000_000);
        Cpu[] cpus = cpus(slots, 2);
        AtomicInteger handled = new AtomicInteger();
        AtomicBoolean stop = new AtomicBoolean();
        Thread waiter = new Thread(() -> {
            slots.start(cpus[0]);
            cpus[0].await(stop::get);
            slots.leave(cpus[0]);
        });
        waiter.start();
        awaitState(slots, 0, Slots.WAITING, "the waiter gave its slot up");
        Thread poster = new Thread(() -> {
            slots.start(cpus[1]);
            cpus[1].post(c -> handled.incrementAndGet(), cpus[1].interruptServicer());
            // the interrupt made cpu0 READY: waiting for the handler gives the slot to it
            cpus[1].await(() -> handled.get() == 1);
            stop.set(true);
            slots.wake(cpus[0]);
            slots.leave(cpus[1]);
        });
        poster.start();
        join(poster, "the poster (it waits for the handler on the other CPU)");
        join(waiter, "the waiter");
        assertEquals(1, handled.get(), "the interrupt ran once");
    }

    @Test
    void noCpuRunsMoreThanOnePhaseAheadOfTheSlowestRunnableOneAndSlotsBoundParallelism() throws Exception {
        int n = 4;
        long phase = 1_000;
        long step = 100;
        int steps = 300;
        Slots slots = new Slots(n, 2, phase);
        Cpu[] cpus = cpus(slots, n);
        AtomicLongArray published = new AtomicLongArray(n);
        AtomicInteger started = new AtomicInteger();
        AtomicInteger executing = new AtomicInteger();
        AtomicInteger maxExecuting = new AtomicInteger();
        boolean[] finished = new boolean[n];
        java.util.concurrent.atomic.AtomicLong worstSkew = new java.util.concurrent.atomic.AtomicLong();
        Thread[] threads = new Thread[n];
        for (int i = 0; i < n; i++) {
            final int me = i;
            threads[i] = new Thread(() -> {
                Cpu cpu = cpus[me];
                slots.start(cpu);
                started.incrementAndGet();
                // nobody starts its first phase before every CPU is in (a polled wait: woken at a phase end)
                cpu.await(() -> started.get() == n);
                for (int s = 0; s < steps; s++) {
                    maxExecuting.accumulateAndGet(executing.incrementAndGet(), Math::max);
                    cpu.charge(step);
                    long mine = cpu.clock();
                    for (int j = 0; j < n; j++) {
                        if (j != me && !finished[j]) {
                            worstSkew.accumulateAndGet(mine - published.get(j), Math::max);
                        }
                    }
                    published.set(me, mine);
                    executing.decrementAndGet();
                    cpu.checkDeadline();
                }
                finished[me] = true;
                published.set(me, Long.MAX_VALUE / 2);
                slots.leave(cpu);
            });
            threads[i].start();
        }
        for (Thread t : threads) {
            join(t, "a CPU charging its steps");
        }
        assertTrue(maxExecuting.get() <= 2, maxExecuting.get() + " CPUs executed at once with 2 slots");
        // a published clock lags its CPU by at most one step; a CPU stops at the phase end after at most one step
        assertTrue(worstSkew.get() <= phase + 2 * step, "a CPU ran " + worstSkew.get()
                + " cycles ahead of a runnable one; the phase is " + phase);
        assertTrue(slots.phases() >= steps * step / phase - 1, "phases ended: " + slots.phases());
        assertFalse(worstSkew.get() < 0);
    }

    /**
     * A CPU that reaches its phase end while no other CPU can go on passes it without giving its slot up (no grant, the
     * phase ends where the general path would end it), and stops doing so as soon as another CPU could go on: then the
     * general path runs, and with one slot the waiter, far behind in modeled time, gets it first.
     */
    @Test
    void aCpuAloneAtItsPhaseEndPassesItWithoutGivingItsSlotUp() throws Exception {
        long phase = 1_000;
        Slots slots = new Slots(2, 1, phase);
        Cpu[] cpus = cpus(slots, 2);
        AtomicBoolean go = new AtomicBoolean();
        CountDownLatch cpu1Went = new CountDownLatch(1);
        Thread waiter = startWaiter(slots, cpus[1], go::get, cpu1Went::countDown);
        Cpu cpu0 = cpus[0];
        slots.start(cpu0);
        long grants = slots.grants();
        long phases = slots.phases();
        long fast = slots.fastPhases();
        stepAlone(slots, cpu0, 50, 500, phase);
        assertEquals(grants, slots.grants(), "slot grants while cpu0 was the only CPU that could go on");
        assertTrue(slots.phases() >= phases + 24, "phases ended alone: " + (slots.phases() - phases));
        // cpu1's condition is polled (it may come true with no wake-up): every phase end must look at it
        assertEquals(fast, slots.fastPhases(), "phase ends passed without the monitor beside a polled waiter");

        go.set(true);
        for (int s = 0; s < 4; s++) {
            cpu0.charge(500);
            cpu0.checkDeadline();
        }
        assertTrue(cpu1Went.await(BOUND_MS, TimeUnit.MILLISECONDS), "cpu1's wait ended at a phase end");
        join(waiter, "cpu1");
        assertTrue(slots.grants() > grants, "cpu1 was granted the slot");
        slots.leave(cpu0);
    }

    /**
     * With the other CPU asleep on a signalled condition (one a phase end need not poll), the CPU alone passes its
     * phase ends without the monitor ({@link Slots#barrier}'s fast pass), each where the general path would put it;
     * a wake-up of the sleeper is a transition, after which the next phase end takes the general path, which with
     * one slot hands it to the sleeper, behind in modeled time. A fast pass that missed the transition would keep
     * the slot for cpu0 for good, and cpu1's wait would not end.
     */
    @Test
    void aCpuAlonePassesItsPhaseEndsWithoutTheMonitorUntilAnotherCpuCanGoOn() throws Exception {
        long phase = 1_000;
        Slots slots = new Slots(2, 1, phase);
        Cpu[] cpus = cpus(slots, 2);
        AtomicBoolean go = new AtomicBoolean();
        WaitCondition signalled = new WaitCondition() {
            @Override
            public boolean satisfied() {
                return go.get();
            }

            @Override
            public boolean signalled() {
                return true;
            }
        };
        CountDownLatch cpu1Went = new CountDownLatch(1);
        Thread waiter = startWaiter(slots, cpus[1], signalled, cpu1Went::countDown);
        Cpu cpu0 = cpus[0];
        slots.start(cpu0);
        long grants = slots.grants();
        long phases = slots.phases();
        long fast = slots.fastPhases();
        stepAlone(slots, cpu0, 50, 700, phase);
        assertEquals(grants, slots.grants(), "slot grants while cpu0 was the only CPU that could go on");
        // 50 steps of 700 cycles cross 35 phase ends; the first is passed under the monitor, which allows the rest
        assertEquals(35, slots.phases() - phases, "phases ended");
        assertEquals(34, slots.fastPhases() - fast, "phase ends passed without the monitor");

        go.set(true);
        slots.wake(cpus[1]);
        for (int s = 0; s < 4 && cpu1Went.getCount() > 0; s++) {
            cpu0.charge(700);
            cpu0.checkDeadline();
        }
        assertTrue(cpu1Went.await(BOUND_MS, TimeUnit.MILLISECONDS), "cpu1, woken, got the slot at cpu0's next phase end");
        join(waiter, "cpu1");
        assertEquals(slots.fastPhases() - fast, 34, "no phase end passed without the monitor after the wake-up");
        slots.leave(cpu0);
    }

    /**
     * The grant rule, with one slot: among CPUs waiting for it, one with a pending interrupt first, then the
     * lowest modeled clock. cpu1 is behind cpu2 in modeled time unless cpu2 is the one interrupted.
     */
    @Test
    void theSlotGoesFirstToAPendingInterruptThenToTheLowestClock() throws Exception {
        long[] clocks = {0, 100, 500};
        assertEquals(List.of(1, 2), grantOrder(clocks), "lowest clock first (cpu1 at 100 cycles, cpu2 at 500)");
        assertEquals(List.of(2, 1), grantOrder(clocks, 2), "a pending interrupt before a lower clock");
    }

    /**
     * The grant rule over many READY CPUs (the arbiter keeps them in a heap): 23 CPUs wait for the one slot with
     * clocks drawn from few values (ties, broken by the lower id), a third of them interrupted while they wait, in
     * an order unrelated to their ids or clocks; they must get it in exactly the rule's order.
     */
    @Test
    void manyReadyCpusGetTheSlotInTheRulesOrder() throws Exception {
        int n = 24;
        java.util.SplittableRandom random = new java.util.SplittableRandom(11);
        for (int trial = 0; trial < 3; trial++) {
            long[] clocks = new long[n];
            for (int i = 1; i < n; i++) {
                clocks[i] = 100L * random.nextInt(6);
            }
            List<Integer> ids = new java.util.ArrayList<>();
            for (int i = 1; i < n; i++) {
                ids.add(i);
            }
            java.util.Collections.shuffle(ids, new java.util.Random(random.nextLong()));
            int[] interrupted = ids.subList(0, n / 3).stream().mapToInt(Integer::intValue).toArray();
            java.util.Set<Integer> urgent = new java.util.HashSet<>(ids.subList(0, n / 3));
            List<Integer> expected = new java.util.ArrayList<>(ids);
            expected.sort(java.util.Comparator.<Integer, Boolean>comparing(id -> !urgent.contains(id))
                    .thenComparingLong(id -> clocks[id]).thenComparingInt(id -> id));
            assertEquals(expected, grantOrder(clocks, interrupted), "trial " + trial + ": clocks "
                    + java.util.Arrays.toString(clocks) + ", interrupted " + java.util.Arrays.toString(interrupted));
        }
    }

    /**
     * The order in which cpu1..cpuN-1 (at {@code clocks[i]} cycles) get the only slot once cpu0 gives it up, after an
     * interrupt is posted to each of {@code interrupted}, in that order, while they wait for it.
     */
    private static List<Integer> grantOrder(long[] clocks, int... interrupted) throws Exception {
        int n = clocks.length;
        Slots slots = new Slots(n, 1, Long.MAX_VALUE / 4);
        Cpu[] cpus = cpus(slots, n);
        for (int i = 1; i < n; i++) {
            cpus[i].charge(clocks[i]);
        }
        List<Integer> order = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        Thread[] others = new Thread[n];
        Thread first = new Thread(() -> {
            slots.start(cpus[0]);
            try {
                for (int id = 1; id < n; id++) {
                    final int me = id;
                    others[me] = new Thread(() -> {
                        slots.start(cpus[me]);
                        order.add(me);
                        cpus[me].serviceInterrupts();
                        slots.leave(cpus[me]);
                    });
                    others[me].start();
                }
                // all wait for the slot cpu0 holds
                long deadline = System.currentTimeMillis() + BOUND_MS;
                for (int id = 1; id < n; id++) {
                    while (slots.state(id) != Slots.READY && System.currentTimeMillis() < deadline) {
                        Thread.onSpinWait();
                    }
                }
                for (int id : interrupted) {
                    cpus[id].post(c -> { }, cpus[0].interruptServicer());
                }
                cpus[0].await(() -> order.size() == n - 1);
            } finally {
                slots.leave(cpus[0]);
            }
        });
        first.start();
        join(first, "cpu0, waiting for all others to have run");
        for (int id = 1; id < n; id++) {
            join(others[id], "cpu" + id);
        }
        return List.copyOf(order);
    }

    @Test
    void aClaimedCpuStaysParkedAndAWakeUpDuringTheClaimIsKeptForTheRelease() throws Exception {
        Slots slots = new Slots(3, 2, 1_000_000_000L);
        Cpu[] cpus = cpus(slots, 3);
        AtomicBoolean flag = new AtomicBoolean();
        AtomicBoolean returned = new AtomicBoolean();
        long[] clockSeen = new long[1];
        ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
        Thread target = startWaiter(slots, cpus[0], flag::get, () -> {
            returned.set(true);
            clockSeen[0] = cpus[0].clock();
        });
        Thread claimer = new Thread(() -> {
            slots.start(cpus[1]);
            if (!slots.claim(cpus[0], cpus[1])) {
                problems.add("the claim of a WAITING cpu0 with no interrupt pending was refused");
                flag.set(true);
                slots.wake(cpus[0]);
                slots.leave(cpus[1]);
                return;
            }
            if (slots.state(0) != Slots.CLAIMED) {
                problems.add("cpu0 is in state " + slots.state(0) + " while claimed");
            }
            // owner-only state, written by the claimer: the target must see it when it runs again
            cpus[0].charge(12_345);
            flag.set(true);
            slots.wake(cpus[0]);
            if (slots.state(0) != Slots.CLAIMED || returned.get()) {
                problems.add("a wake-up during the claim let cpu0 run (state " + slots.state(0) + ")");
            }
            if (slots.claim(cpus[0], cpus[1])) {
                problems.add("a claimed cpu was claimed again");
            }
            slots.release(cpus[0]);
            slots.leave(cpus[1]);
        });
        claimer.start();
        join(claimer, "the claimer");
        join(target, "the target (a wake-up during the claim must make it READY at the release)");
        assertTrue(problems.isEmpty(), problems.toString());
        assertEquals(12_345, clockSeen[0], "the target's thread saw the clock the claimer moved");
    }

    @Test
    void aClaimIsRefusedUnlessTheTargetGaveItsSlotUpAndTheClaimerHoldsOne() throws Exception {
        Slots one = new Slots(2, 1, 1_000_000);
        Cpu[] single = cpus(one, 2);
        Slots slots = new Slots(3, 2, 1_000_000);
        Cpu[] cpus = cpus(slots, 3);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicBoolean stopBusy = new AtomicBoolean();
        ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
        Thread target = startWaiter(slots, cpus[0], stop::get, () -> { });
        Thread busy = new Thread(() -> {
            slots.start(cpus[2]);
            while (!stopBusy.get()) {
                Thread.onSpinWait();
            }
            slots.leave(cpus[2]);
        });
        busy.start();
        awaitState(slots, 2, Slots.RUNNING, "cpu2 took a slot");
        Thread claimer = new Thread(() -> {
            // cpu1 has not started: it holds no slot, so it may not claim
            if (slots.claim(cpus[0], cpus[1])) {
                problems.add("a cpu holding no slot claimed cpu0");
                slots.release(cpus[0]);
            }
            slots.start(cpus[1]);
            if (slots.claim(cpus[2], cpus[1])) {
                problems.add("a RUNNING cpu was claimed");
            }
            // both slots are held: the interrupt makes cpu0 READY, and a READY cpu's own thread runs it
            cpus[0].post(c -> { }, cpus[1].interruptServicer());
            if (slots.state(0) != Slots.READY) {
                problems.add("with both slots held, the post left cpu0 in state " + slots.state(0));
            }
            if (slots.claim(cpus[0], cpus[1])) {
                problems.add("a READY cpu0 was claimed");
                slots.release(cpus[0]);
            }
            stop.set(true);
            stopBusy.set(true);
            slots.wake(cpus[0]);
            slots.leave(cpus[1]);
        });
        claimer.start();
        join(claimer, "the claimer");
        join(busy, "cpu2");
        join(target, "the target");
        assertTrue(problems.isEmpty(), problems.toString());
        assertFalse(one.claim(single[0], single[1]), "with one slot (deterministic mode) nothing is claimed");
    }

    @Test
    void wakeUpsRacingClaimsAreNeverLost() throws Exception {
        for (int round = 0; round < 300; round++) {
            Slots slots = new Slots(3, 2, 1_000_000_000L);
            Cpu[] cpus = cpus(slots, 3);
            AtomicBoolean flag = new AtomicBoolean();
            AtomicBoolean done = new AtomicBoolean();
            AtomicInteger claims = new AtomicInteger();
            Thread target = new Thread(() -> {
                slots.start(cpus[0]);
                cpus[0].await(flag::get);
                slots.leave(cpus[0]);
            });
            Thread claimer = new Thread(() -> {
                slots.start(cpus[1]);
                while (!done.get()) {
                    if (slots.claim(cpus[0], cpus[1])) {
                        cpus[0].charge(1);
                        claims.incrementAndGet();
                        slots.release(cpus[0]);
                    }
                    Thread.onSpinWait();
                }
                slots.leave(cpus[1]);
            });
            target.start();
            claimer.start();
            final int r = round;
            Thread waker = new Thread(() -> {
                // the third CPU's thread, outside the slots: a signaller as a lock release or a kick is
                for (int i = 0; i < (r % 50) * 20; i++) {
                    Thread.onSpinWait();
                }
                flag.set(true);
                slots.wake(cpus[0]);
            });
            waker.start();
            join(waker, "the waker");
            join(target, "round " + round + ": the target (its wake-up raced " + claims.get() + " claims)");
            done.set(true);
            join(claimer, "the claimer");
            assertEquals(claims.get(), cpus[0].clock(), "round " + round + ": every claim's charge reached the target");
        }
    }
}
