package mmsim.shootdown;

import org.HdrHistogram.Histogram;

/**
 * Per-CPU latency distributions of the shootdowns each CPU initiated: modeled cycles (what the strategy
 * would cost on hardware) and host nanoseconds (what it cost the simulator). Single writer per CPU (the
 * initiator); read when the machine is quiescent.
 */
public final class ShootdownStats {
    private final Histogram[] modeledCycles;
    private final Histogram[] hostNanos;

    public ShootdownStats(int cpus) {
        modeledCycles = new Histogram[cpus];
        hostNanos = new Histogram[cpus];
        for (int i = 0; i < cpus; i++) {
            modeledCycles[i] = new Histogram(3);
            hostNanos[i] = new Histogram(3);
        }
    }

    void record(int cpu, long cycles, long nanos) {
        modeledCycles[cpu].recordValue(Math.max(0, cycles));
        hostNanos[cpu].recordValue(Math.max(0, nanos));
    }

    /** Every CPU's modeled initiator latencies merged. Call when quiescent. */
    public Histogram modeledCycles() {
        Histogram all = new Histogram(3);
        for (Histogram h : modeledCycles) {
            all.add(h);
        }
        return all;
    }

    /** A copy of the host-measured latencies of the shootdowns {@code cpu} initiated. Call on {@code cpu}'s own thread, or when quiescent. */
    public Histogram hostNanos(int cpu) {
        return hostNanos[cpu].copy();
    }

    /** Every CPU's host-measured initiator latencies merged. Call when quiescent. */
    public Histogram hostNanos() {
        Histogram all = new Histogram(3);
        for (Histogram h : hostNanos) {
            all.add(h);
        }
        return all;
    }
}
