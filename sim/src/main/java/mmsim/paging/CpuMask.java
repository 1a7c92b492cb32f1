package mmsim.paging;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A set of CPU indices that any CPU may update concurrently (Linux's {@code mm_cpumask}): the CPUs
 * that may hold translations of one address space. Set and clear are atomic read-modify-writes on one
 * 64-bit word; a reader sees each word whole.
 */
public final class CpuMask {
    private static final VarHandle WORDS = MethodHandles.arrayElementVarHandle(long[].class);

    private final long[] words;
    private final int cpus;

    public CpuMask(int cpus) {
        this.cpus = cpus;
        this.words = new long[(cpus + 63) >>> 6];
    }

    public int capacity() {
        return cpus;
    }

    public void set(int cpu) {
        int w = cpu >>> 6;
        long bit = 1L << cpu;
        // read first: a CPU switching back to a space it is already in writes nothing
        if ((word(w) & bit) == 0) {
            WORDS.getAndBitwiseOr(words, w, bit);
        }
    }

    public void clear(int cpu) {
        int w = cpu >>> 6;
        long bit = 1L << cpu;
        if ((word(w) & bit) != 0) {
            WORDS.getAndBitwiseAnd(words, w, ~bit);
        }
    }

    public boolean contains(int cpu) {
        return (word(cpu >>> 6) & (1L << cpu)) != 0;
    }

    /** One word of the mask: CPUs {@code 64·i} to {@code 64·i + 63}. */
    public long word(int i) {
        return (long) WORDS.getVolatile(words, i);
    }

    /**
     * The lowest CPU at or above {@code from} whose bit is set, or -1: iterating a mask costs its words and
     * set bits, not the machine's CPUs. Each bit is read once, as {@link #contains} reads it (volatile);
     * bits changed meanwhile are seen or not, as with a scan of {@code contains}.
     */
    public int nextSetBit(int from) {
        if (from < 0) {
            from = 0;
        }
        int w = from >>> 6;
        if (w >= words.length) {
            return -1;
        }
        long bits = word(w) & (-1L << from);
        while (true) {
            if (bits != 0) {
                return (w << 6) + Long.numberOfTrailingZeros(bits);
            }
            if (++w == words.length) {
                return -1;
            }
            bits = word(w);
        }
    }

    public int wordCount() {
        return words.length;
    }

    public int count() {
        int n = 0;
        for (int i = 0; i < words.length; i++) {
            n += Long.bitCount(word(i));
        }
        return n;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("{");
        for (int cpu = 0; cpu < cpus; cpu++) {
            if (contains(cpu)) {
                sb.append(sb.length() > 1 ? "," : "").append(cpu);
            }
        }
        return sb.append('}').toString();
    }
}
