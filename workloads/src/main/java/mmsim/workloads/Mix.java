package mmsim.workloads;

/** Seeded values a workload can recompute anywhere: the expected contents of its memory, from an index alone. */
final class Mix {
    private Mix() {
    }

    /**
     * Stafford's variant 13 of the MurmurHash3 finalizer (SplitMix64's output function): a bijection on
     * longs whose every output bit depends on every input bit.
     */
    static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
