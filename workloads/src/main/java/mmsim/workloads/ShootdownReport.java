package mmsim.workloads;

import java.util.LinkedHashMap;
import java.util.Map;

import org.HdrHistogram.Histogram;

import mmsim.stats.CostModel;
import mmsim.stats.CpuCounter;

/**
 * One strategy's shootdown figures, as the issue and DESIGN.md §4 ask: shootdowns by reason, IPIs sent
 * and received, pages invalidated, full flushes, modeled initiator latency, modeled cycles lost by
 * interrupted CPUs, and the host-measured latency beside them.
 */
record ShootdownReport(String strategy, Map<CpuCounter, Long> counters, Histogram modeledCycles, Histogram hostNanos,
                       long wallMillis) {

    static final String HEADER = String.format("%-13s %10s %9s %9s %8s %9s %8s %12s %12s %12s %11s %11s %9s",
            "shootdown", "shootdowns", "IPIs sent", "IPIs recv", "remote", "INVLPGs", "full", "model p50 us",
            "model p99 us", "lost cycles", "host p50 us", "host p99 us", "wall ms");

    String row() {
        return String.format("%-13s %10d %9d %9d %8d %9d %8d %12.2f %12.2f %12d %11.1f %11.1f %9d", strategy,
                c(CpuCounter.SHOOTDOWNS), c(CpuCounter.SHOOTDOWN_IPIS_SENT), c(CpuCounter.SHOOTDOWN_IPIS_RECEIVED),
                c(CpuCounter.SHOOTDOWN_REMOTE_INVALIDATIONS) + c(CpuCounter.SHOOTDOWN_LAZY_POSTED),
                c(CpuCounter.TLB_PAGE_INVALIDATIONS), c(CpuCounter.TLB_FULL_FLUSHES),
                CostModel.micros(modeledCycles.getValueAtPercentile(50)), CostModel.micros(modeledCycles.getValueAtPercentile(99)),
                c(CpuCounter.MODELED_CYCLES_INTERRUPTED),
                hostNanos.getValueAtPercentile(50) / 1000.0, hostNanos.getValueAtPercentile(99) / 1000.0, wallMillis);
    }

    static final String REASON_HEADER = String.format("%-13s %8s %8s %8s %9s %8s %8s %9s", "by reason", "fork", "cow",
            "munmap", "mprotect", "madvise", "table", "teardown");

    /** Shootdowns initiated, by why the kernel asked for them. */
    String reasonRow() {
        return String.format("%-13s %8d %8d %8d %9d %8d %8d %9d", strategy, c(CpuCounter.SHOOTDOWNS_FORK),
                c(CpuCounter.SHOOTDOWNS_COW), c(CpuCounter.SHOOTDOWNS_MUNMAP), c(CpuCounter.SHOOTDOWNS_MPROTECT),
                c(CpuCounter.SHOOTDOWNS_MADVISE), c(CpuCounter.SHOOTDOWNS_TABLE), c(CpuCounter.SHOOTDOWNS_TEARDOWN));
    }

    private long c(CpuCounter counter) {
        return counters.getOrDefault(counter, 0L);
    }

    Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("strategy", strategy);
        m.put("modeled_initiator_us_p50", CostModel.micros(modeledCycles.getValueAtPercentile(50)));
        m.put("modeled_initiator_us_p99", CostModel.micros(modeledCycles.getValueAtPercentile(99)));
        m.put("modeled_initiator_us_max", CostModel.micros(modeledCycles.getMaxValue()));
        m.put("host_initiator_us_p50", hostNanos.getValueAtPercentile(50) / 1000.0);
        m.put("host_initiator_us_p99", hostNanos.getValueAtPercentile(99) / 1000.0);
        m.put("host_initiator_us_max", hostNanos.getMaxValue() / 1000.0);
        m.put("wall_ms", wallMillis);
        for (CpuCounter k : CpuCounter.all()) {
            m.put(k.key(), c(k));
        }
        return m;
    }
}
