package mmsim.stats;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The event counters of one CPU. Contract: exactly one thread at a time writes them (the thread
 * executing on the CPU), with plain increments as cheap as a field update; any thread may read them
 * with {@link #read}, which is exact at a quiescent point (after the writer's hand-off or join) and
 * approximately current otherwise. The array is padded at both ends so that two CPUs' counters never
 * share a cache line.
 */
public final class SingleWriterCounters {
    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);
    /** 128 bytes of padding each side: two cache lines, against adjacent-line prefetch too. */
    private static final int PAD = 16;

    private final long[] slots = new long[PAD + CpuCounter.count() + PAD];

    /** Adds one to {@code counter}. Only the owning thread may call this. */
    public void increment(CpuCounter counter) {
        slots[PAD + counter.ordinal()]++;
    }

    /** Adds {@code delta} to {@code counter}. Only the owning thread may call this. */
    public void add(CpuCounter counter, long delta) {
        slots[PAD + counter.ordinal()] += delta;
    }

    /**
     * The index of {@code counter} in {@link #ownerSlots()}. Hot paths keep it in a {@code static final int},
     * which the JIT folds into a constant.
     */
    public static int slotOf(CpuCounter counter) {
        return PAD + counter.ordinal();
    }

    /**
     * The backing array, for the owning thread's hot path only ({@code slots[slotOf(c)]++}): it saves
     * the call and the enum load where a nanosecond matters.
     */
    public long[] ownerSlots() {
        return slots;
    }

    /** The counter's value: exact at a quiescent point, approximately current while the owner runs. */
    public long read(CpuCounter counter) {
        // opaque: a reader on another thread sees a value the owner really wrote, never a hoisted stale one
        return (long) LONGS.getOpaque(slots, PAD + counter.ordinal());
    }
}
