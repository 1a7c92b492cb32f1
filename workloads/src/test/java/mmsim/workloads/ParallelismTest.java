package mmsim.workloads;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.junit.jupiter.api.Test;

import mmsim.run.Harness;
import mmsim.run.RunResult;
import mmsim.run.RunSpec;
import mmsim.stats.StatsRegistry.Kind;
import mmsim.stats.StatsSnapshot.Distribution;
import mmsim.stats.StatsSnapshot.Value;

/**
 * The default mode's host parallelism ({@code sim.parallelism}, not deterministic) does not change modeled figures
 * that no interleaving of the simulated CPUs can change: one host slot and two give the same ones.
 */
class ParallelismTest {
    /** Runs at P = 2, against one at P = 1: a difference in host order that changed a figure shows in one of them. */
    private static final int RUNS_AT_TWO = 3;

    /**
     * Every process on CPU 0, two children sharing it by the preemption tick (every 20,000 cycles of CPU 0's
     * clock, so they switch dozens of times), the other CPU idle throughout: nothing any CPU does depends on the
     * order of the host's threads, so every modeled figure must agree, values and distributions, the clocks
     * ({@code modeled.time}) and the idle CPU's idle cycles included.
     */
    @Test
    void childrenSharingOneCpuGiveEveryModeledFigureAtOneSlotAndAtTwo() throws Exception {
        Map<String, String> machine = Map.of("cpus", "2", "sched.quantum.cycles", "20000");
        Map<String, Object> one = modeled(run(machine, "1", false));
        assertTrue((Long) one.get("sched.context_switches") > 10, "the tick switched the children: " + one);
        for (int i = 0; i < RUNS_AT_TWO; i++) {
            assertEquals(one, modeled(run(machine, "2", false)), "sim.parallelism=1 and 2");
        }
    }

    /**
     * Child c pinned to CPU c, each with an address space of its own, on 3 CPUs. The figures that count each
     * child's own work must agree: its accesses, what its TLB missed and its walks (only it runs on its CPU),
     * its faults, the shootdowns it initiated and why, the frames and tables it freed, the forks. Not compared,
     * because they follow from the order of events on different CPUs less than a bound phase apart, which the
     * default mode leaves to the host: whether a fork's shootdown of init's address space still finds it loaded
     * on the CPU init just left (an interrupt, a flush there, and the cycles of both; init, moved to a CPU that was
     * idle, carries on from that CPU's older clock, so the fork and the switch on the CPU it left land in one
     * phase however long init waits first), whether init blocks in waitpid or finds the child already gone (a
     * context switch), and the clocks and waits that follow.
     */
    @Test
    void childrenPinnedApartDoTheSameWorkAtOneSlotAndAtTwo() throws Exception {
        Map<String, String> machine = Map.of("cpus", "3");
        List<String> work = List.of("loads", "stores", "tlb.l1.misses", "tlb.l2.misses", "walks", "walk.levels",
                "faults.not_present", "faults.protection", "faults.demand_zero", "faults.zero_page", "faults.zero_page_write",
                "faults.cow_copy", "forks", "tables.freed", "shootdown.initiated", "shootdown.reason.fork",
                "shootdown.reason.munmap", "shootdown.reason.teardown", "pinned.rounds");
        Map<String, Object> one = only(work, modeled(run(machine, "1", true)));
        assertEquals(3L * 8, one.get("pinned.rounds"), "8 rounds on CPU 1, 16 on CPU 2: " + one);
        for (int i = 0; i < RUNS_AT_TWO; i++) {
            assertEquals(one, only(work, modeled(run(machine, "2", true))), "sim.parallelism=1 and 2");
        }
    }

    private static RunResult run(Map<String, String> machine, String parallelism, boolean spread) throws Exception {
        Map<String, String> m = new LinkedHashMap<>(machine);
        m.put("memory", "32MiB");
        m.put("sim.parallelism", parallelism);
        RunSpec spec = RunSpec.resolve(new PinnedChildren(), m, Map.of("pinned.spread", Boolean.toString(spread)), true,
                Duration.ofMinutes(1), List.of("test"));
        RunResult r = Harness.run(spec, null, null);
        assertTrue(r.passed(), WorkloadRuns.explain(r));
        return r;
    }

    /** Every modeled metric by name: a counter's value, a distribution's count and every percentile. */
    private static Map<String, Object> modeled(RunResult r) {
        Map<String, Object> figures = new TreeMap<>();
        for (Value v : r.stats().values().values()) {
            if (v.descriptor().kind() == Kind.MODELED) {
                figures.put(v.descriptor().name(), v.value());
            }
        }
        for (Distribution d : r.stats().distributions().values()) {
            if (d.descriptor().kind() == Kind.MODELED) {
                List<Long> shape = new java.util.ArrayList<>(List.of(d.count(), d.max()));
                for (double p : Distribution.PERCENTILES) {
                    shape.add(d.at(p));
                }
                figures.put(d.descriptor().name(), shape);
            }
        }
        return figures;
    }

    private static Map<String, Object> only(List<String> names, Map<String, Object> figures) {
        Map<String, Object> kept = new TreeMap<>();
        for (String name : names) {
            assertTrue(figures.containsKey(name), "a modeled metric named " + name + ": " + figures.keySet());
            kept.put(name, figures.get(name));
        }
        return kept;
    }
}
