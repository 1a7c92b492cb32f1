package mmsim.shootdown;

import org.HdrHistogram.Histogram;

import mmsim.stats.OpLatencies;

/**
 * Per-CPU latency distributions of the shootdowns each CPU initiated: modeled cycles (what the strategy
 * would cost on hardware; every shootdown) and host nanoseconds (what it cost the simulator; only the shootdowns
 * that could reach another CPU, {@link AbstractShootdown#mayReachOthers}: timing a local one cost two
 * {@code System.nanoTime} calls, ~23 ns each on this project's host, which was a tenth of a COW-copy fault); and, in the machine's
 * {@link OpLatencies}, what each cost the CPUs it interrupted ({@link OpLatencies.Op#SHOOTDOWN_INTERRUPTED}).
 * Single writer per CPU (the initiator); read when the machine is quiescent.
 */
public final class ShootdownStats {
    private final Histogram[] modeledCycles;
    private final Histogram[] hostNanos;
    private final OpLatencies latencies;

    /** Statistics of their own, the interrupted cycles included (strategies driven without a machine's kernel). */
    public ShootdownStats(int cpus) {
        this(cpus, new OpLatencies(cpus));
    }

    /** Statistics that record the interrupted cycles into {@code latencies} (the machine's). */
    public ShootdownStats(int cpus, OpLatencies latencies) {
        this.latencies = latencies;
        modeledCycles = new Histogram[cpus];
        hostNanos = new Histogram[cpus];
        for (int i = 0; i < cpus; i++) {
            modeledCycles[i] = new Histogram(3);
            hostNanos[i] = new Histogram(3);
        }
    }

    /** Records a shootdown that could reach another CPU: its modeled cycles and its host time. */
    void record(int cpu, long cycles, long nanos) {
        modeledCycles[cpu].recordValue(Math.max(0, cycles));
        hostNanos[cpu].recordValue(Math.max(0, nanos));
    }

    /** Records a shootdown that could reach no other CPU: its modeled cycles (its host time is not measured). */
    void recordLocal(int cpu, long cycles) {
        modeledCycles[cpu].recordValue(Math.max(0, cycles));
    }

    void recordInterrupted(int cpu, long cycles) {
        latencies.record(cpu, OpLatencies.Op.SHOOTDOWN_INTERRUPTED, cycles);
    }

    /** Every CPU's interrupted cycles per shootdown merged. Call when quiescent. */
    public Histogram interruptedCycles() {
        return latencies.merged(OpLatencies.Op.SHOOTDOWN_INTERRUPTED);
    }

    /** Every CPU's modeled initiator latencies merged. Call when quiescent. */
    public Histogram modeledCycles() {
        Histogram all = new Histogram(3);
        for (Histogram h : modeledCycles) {
            all.add(h);
        }
        return all;
    }

    /**
     * A copy of the host-measured latencies of the shootdowns {@code cpu} initiated that could reach another CPU. Call on
     * {@code cpu}'s own thread, or when quiescent.
     */
    public Histogram hostNanos(int cpu) {
        return hostNanos[cpu].copy();
    }

    /** Every CPU's host-measured initiator latencies (of the shootdowns that could reach another CPU) merged. Call when quiescent. */
    public Histogram hostNanos() {
        Histogram all = new Histogram(3);
        for (Histogram h : hostNanos) {
            all.add(h);
        }
        return all;
    }
}
