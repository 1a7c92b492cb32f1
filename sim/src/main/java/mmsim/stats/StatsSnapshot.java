package mmsim.stats;

import java.util.Map;

import org.HdrHistogram.Histogram;

import mmsim.stats.StatsRegistry.Descriptor;

/**
 * Every metric of a {@link StatsRegistry} read at one point: single values and distributions, in
 * registration order. Immutable.
 */
public record StatsSnapshot(Map<String, Value> values, Map<String, Distribution> distributions) {

    /** A counter or gauge. */
    public record Value(Descriptor descriptor, long value) {
    }

    /** A latency distribution; {@link #histogram()} is a private copy. */
    public record Distribution(Descriptor descriptor, Histogram histogram) {
        /** The percentiles summary files carry, in order. */
        public static final double[] PERCENTILES = {50, 90, 99, 99.9};

        /** The value at {@code percentile} (0 when nothing was recorded). */
        public long at(double percentile) {
            return histogram.getTotalCount() == 0 ? 0 : histogram.getValueAtPercentile(percentile);
        }

        public long count() {
            return histogram.getTotalCount();
        }

        public long max() {
            return histogram.getTotalCount() == 0 ? 0 : histogram.getMaxValue();
        }

        public double mean() {
            return histogram.getTotalCount() == 0 ? 0 : histogram.getMean();
        }
    }

    /** A counter's or gauge's value, or {@code otherwise} when the run has no such metric. */
    public long value(String name, long otherwise) {
        Value v = values.get(name);
        return v == null ? otherwise : v.value();
    }

    /** A distribution by name, or null. */
    public Distribution distribution(String name) {
        return distributions.get(name);
    }
}
