package mmsim.sweep;

import java.util.Map;

import mmsim.workload.Workload;

/**
 * One run of a sweep: a workload, the values of the sweep's varied settings that apply to it (in the file's
 * order), and a seed. {@code position} is its place in the product (after excludes), which decides its shard;
 * {@code name} is its run directory's name, made from the workload, the values and the seed (see
 * {@link Sweep#pointName}). Immutable.
 */
public record SweepPoint(int position, String name, Workload workload, Map<String, String> values, long seed) {
    public SweepPoint {
        values = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(values));
    }
}
