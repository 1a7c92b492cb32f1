package mmsim.kernel;

import java.util.EnumMap;
import java.util.Map;

import mmsim.stats.CpuCounter;

/**
 * A process's resource usage, as {@link Sys#getrusage} reports it: every per-CPU event counter
 * ({@link CpuCounter}) counted on the CPUs its threads held, while they held them. So it holds the
 * faults the process took by kind ({@code faults.demand_zero}, {@code faults.cow_copy},
 * {@code faults.cow_reuse}, {@code faults.table_copy}, ...), the shootdowns it initiated
 * ({@code shootdown.initiated}, {@code shootdown.ipis_sent}) and those it received
 * ({@code shootdown.ipis_received}: interrupts its CPUs handled while it ran), its TLB misses, the times it
 * was scheduled ({@code sched.context_switches}) and its modeled cycles ({@code modeled.cycles}, TLB hits
 * not included, as in the per-CPU counter). Events on a CPU while no task of the process held it (an idle
 * CPU answering a shootdown) are nobody's. An immutable snapshot.
 */
public final class Rusage {
    private final long[] counts;

    Rusage(long[] counts) {
        this.counts = counts;
    }

    /** This usage's count of {@code counter}, in the counter's unit ({@link CpuCounter#unit()}: events, or modeled cycles). */
    public long get(CpuCounter counter) {
        return counts[counter.ordinal()];
    }

    /** The counters that are not zero, in {@link CpuCounter} order. */
    public Map<CpuCounter, Long> nonZero() {
        Map<CpuCounter, Long> m = new EnumMap<>(CpuCounter.class);
        for (CpuCounter c : CpuCounter.all()) {
            if (counts[c.ordinal()] != 0) {
                m.put(c, counts[c.ordinal()]);
            }
        }
        return m;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("rusage{");
        nonZero().forEach((c, v) -> sb.append(sb.length() > 7 ? ", " : "").append(c.key()).append('=').append(v));
        return sb.append('}').toString();
    }
}
