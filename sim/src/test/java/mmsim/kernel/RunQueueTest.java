package mmsim.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Iterator;
import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

/** The scheduler's run queue against the obvious reference: a deque scanned in order. */
class RunQueueTest {
    private static Task task(int tid, int... cpus) {
        Task t = new Task(tid, null, false);
        BitSet allowed = new BitSet();
        for (int c : cpus) {
            allowed.set(c);
        }
        t.allow(allowed);
        return t;
    }

    @Test
    void takesTheFirstTaskAllowedOnTheCpuAndKeepsTheOthersInOrder() {
        RunQueue q = new RunQueue();
        Task a = task(1, 0);
        Task b = task(2, 1, 200);
        Task c = task(3, 0, 1);
        Task d = task(4, 200);
        for (Task t : List.of(a, b, c, d)) {
            q.addLast(t);
        }
        assertSame(b, q.pollFirstAllowedOn(1), "b is the first allowed on CPU 1");
        assertSame(d, q.pollFirstAllowedOn(200), "b is gone, so d is the first on CPU 200");
        assertTrue(q.anyAllowedOn(1));
        assertFalse(q.anyAllowedOn(200));
        assertNull(q.pollFirstAllowedOn(64), "nobody may run on CPU 64 (beyond every set's words but b's and d's)");
        assertSame(a, q.pollFirstAllowedOn(0), "a and c keep their order");
        assertSame(c, q.pollFirstAllowedOn(0));
        assertTrue(q.isEmpty());
    }

    @Test
    void randomOperationsMatchAScannedDeque() {
        SplittableRandom random = new SplittableRandom(11);
        int cpus = 130;   // three words of a set
        for (int trial = 0; trial < 20; trial++) {
            RunQueue q = new RunQueue();
            ArrayDeque<Task> reference = new ArrayDeque<>();
            List<Task> everyTask = new ArrayList<>();
            for (int op = 0; op < 5_000; op++) {
                int kind = random.nextInt(10);
                if (kind < 5 || reference.isEmpty()) {
                    BitSet allowed = new BitSet();
                    do {
                        for (int c = 0; c < cpus; c++) {
                            if (random.nextInt(4) == 0) {
                                allowed.set(c);
                            }
                        }
                    } while (allowed.isEmpty());
                    Task t = new Task(op, null, false);
                    t.allow(allowed);
                    everyTask.add(t);
                    q.addLast(t);
                    reference.addLast(t);
                } else if (kind < 8) {
                    int cpu = random.nextInt(cpus);
                    Task expected = null;
                    for (Iterator<Task> it = reference.iterator(); it.hasNext(); ) {
                        Task t = it.next();
                        if (t.allowedCpus().get(cpu)) {
                            it.remove();
                            expected = t;
                            break;
                        }
                    }
                    assertSame(expected, q.pollFirstAllowedOn(cpu), "trial " + trial + " op " + op + ": take for CPU " + cpu);
                } else if (kind < 9) {
                    Task t = everyTask.get(random.nextInt(everyTask.size()));
                    assertEquals(reference.remove(t), q.remove(t), "trial " + trial + " op " + op + ": remove");
                } else {
                    int cpu = random.nextInt(cpus);
                    boolean expected = reference.stream().anyMatch(t -> t.allowedCpus().get(cpu));
                    assertEquals(expected, q.anyAllowedOn(cpu), "trial " + trial + " op " + op + ": any for CPU " + cpu);
                }
                assertEquals(reference.size(), q.size());
            }
            List<Task> onCpu0 = new ArrayList<>();
            Task t;
            while ((t = q.pollFirstAllowedOn(0)) != null) {
                onCpu0.add(t);
            }
            List<Task> expected = reference.stream().filter(r -> r.allowedCpus().get(0)).toList();
            assertEquals(expected, onCpu0, "trial " + trial + ": the order left, taken for CPU 0");
            assertEquals(reference.size() - expected.size(), q.size());
        }
    }
}
