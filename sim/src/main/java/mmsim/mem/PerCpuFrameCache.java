package mmsim.mem;

/**
 * One CPU's stack of free frames. Single-owner: only the thread executing on the CPU touches it, so its
 * fields are plain. Padded on both sides so that CPUs' caches never share a cache line.
 */
final class PerCpuFrameCache extends PerCpuFrameCacheFields {
    long p10, p11, p12, p13, p14, p15, p16, p17;
    long p20, p21, p22, p23, p24, p25, p26, p27;

    PerCpuFrameCache(int capacity) {
        super(capacity);
    }
}

abstract class PerCpuFrameCachePrePad {
    /**
     * Fills the 4-byte gap after the object header: without it the JVM puts the subclass's hot
     * {@code count} there, ahead of the padding, on a cache line shared with whatever was allocated just
     * before (the {@code caches} array every CPU reads). FramePoolBenchmark.cachedPairAllThreads, 2 host
     * cores: 24 ns per pair without it, 2.2 ns with it (1 thread: 2.0 ns).
     */
    int headerGapFiller;
    long p00, p01, p02, p03, p04, p05, p06, p07;
    long p08, p09, p0a, p0b, p0c, p0d, p0e, p0f;
}

abstract class PerCpuFrameCacheFields extends PerCpuFrameCachePrePad {
    final int[] frames;
    int count;

    PerCpuFrameCacheFields(int capacity) {
        this.frames = new int[capacity];
    }
}
