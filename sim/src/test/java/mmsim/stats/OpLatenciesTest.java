package mmsim.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

import mmsim.stats.OpLatencies.Op;

/** The batched recording of {@link OpLatencies}: what {@code merged} reports equals every record, flushed or not. */
class OpLatenciesTest {

    @Test
    void mergedHoldsEveryRecordWhetherItsBatchWasFlushedOrNot() {
        OpLatencies latencies = new OpLatencies(3);
        Histogram expectedFaults = new Histogram(3);
        Histogram expectedMunmaps = new Histogram(3);
        // CPU 0 fills several batches and part of one more; CPU 1 records fewer than a batch; CPU 2 nothing
        int records = 3 * OpLatencies.BATCH + 17;
        for (int i = 0; i < records; i++) {
            long cycles = 100 + 37L * i;
            if (i % 3 == 0) {
                latencies.record(0, Op.MUNMAP, cycles);
                expectedMunmaps.recordValue(cycles);
            } else {
                latencies.record(0, Op.FAULT_COW_REUSE, cycles);
                expectedFaults.recordValue(cycles);
            }
        }
        for (int i = 0; i < 5; i++) {
            latencies.record(1, Op.FAULT_COW_REUSE, 7 + i);
            expectedFaults.recordValue(7 + i);
        }
        assertSame(expectedFaults, latencies.merged(Op.FAULT_COW_REUSE));
        assertSame(expectedMunmaps, latencies.merged(Op.MUNMAP));
        assertEquals(0, latencies.merged(Op.MMAP).getTotalCount());
        assertEquals(0, latencies.negatives());
    }

    @Test
    void aBatchFilledExactlyIsFlushedAndTheNextStartsEmpty() {
        OpLatencies latencies = new OpLatencies(1);
        for (int i = 0; i < OpLatencies.BATCH; i++) {
            latencies.record(0, Op.MMAP, 1000 + i);
        }
        latencies.record(0, Op.MMAP, 5);
        Histogram merged = latencies.merged(Op.MMAP);
        assertEquals(OpLatencies.BATCH + 1, merged.getTotalCount());
        assertEquals(5, merged.getMinValue());
        assertEquals(1000 + OpLatencies.BATCH - 1, merged.getMaxValue(), 1000 * 0.001);
    }

    @Test
    void aNegativeLatencyIsRecordedAsZeroAndCounted() {
        OpLatencies latencies = new OpLatencies(2);
        latencies.record(1, Op.FAULT_DEMAND_ZERO, -4);
        latencies.record(1, Op.FAULT_DEMAND_ZERO, 40);
        Histogram merged = latencies.merged(Op.FAULT_DEMAND_ZERO);
        assertEquals(2, merged.getTotalCount());
        assertEquals(0, merged.getMinValue());
        assertEquals(1, latencies.negatives());
    }

    private static void assertSame(Histogram expected, Histogram actual) {
        assertEquals(expected.getTotalCount(), actual.getTotalCount(), "records");
        assertEquals(expected.getMinValue(), actual.getMinValue(), "min");
        assertEquals(expected.getMaxValue(), actual.getMaxValue(), "max");
        assertEquals(expected.getValueAtPercentile(50), actual.getValueAtPercentile(50), "p50");
        assertEquals(expected, actual, "every bucket");
    }
}
