package mmsim.kernel;

import mmsim.mem.PhysicalMemory;

/**
 * What {@link Sys#sysinfo()} reports of the machine's memory (Linux's sysinfo(2) {@code totalram} and
 * {@code freeram}, with mem_unit one frame), in frames of 4 KiB; the {@code ...Bytes} methods give bytes.
 *
 * <p>Consistency: each figure is read without stopping any CPU, at a slightly different instant. While
 * other CPUs allocate and free, {@code freeFrames} may be off by the batches moving between a CPU's cache
 * and the global pool at that moment (a few times {@code framepool.batch} per CPU), as Linux's own counters
 * lag by their per-CPU deltas; with no other CPU running it is exact.
 *
 * @param totalFrames   every frame of physical memory (page tables come out of it too)
 * @param freeFrames    frames no one references: in the global pool or a CPU's cache, so an allocation can have them
 * @param cachedFrames  the part of {@code freeFrames} in per-CPU caches (another CPU's are reached by draining them)
 * @param pendingFrames frame references (user pages and page tables) that an unmapping still holds until its TLB
 *                      flush completes: a lazy strategy (latr) keeps a returned munmap's here until every CPU has
 *                      flushed; each frame is then freed unless another mapping (a forked child's) still holds it
 */
public record SysInfo(long totalFrames, long freeFrames, long cachedFrames, long pendingFrames) {
    /** Frames referenced: total less free. */
    public long usedFrames() {
        return totalFrames - freeFrames;
    }

    public long totalBytes() {
        return totalFrames * PhysicalMemory.PAGE_SIZE;
    }

    public long freeBytes() {
        return freeFrames * PhysicalMemory.PAGE_SIZE;
    }

    public long pendingBytes() {
        return pendingFrames * PhysicalMemory.PAGE_SIZE;
    }
}
