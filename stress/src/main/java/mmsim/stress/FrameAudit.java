package mmsim.stress;

import java.util.Arrays;
import java.util.function.IntSupplier;

import mmsim.mem.FramePool;
import mmsim.mem.PhysicalMemory;
import mmsim.paging.PageTable;
import mmsim.paging.Pte;

/**
 * An arbiter's census of a frame pool: every frame must be held by exactly one actor or be free exactly
 * once. The census empties the pool, so it ends a state's life.
 */
public final class FrameAudit {
    /** Frames found in two places (held twice, or held and free), plus one for a free list that never ends. */
    public final int twice;
    /** Frames neither held nor free: leaked. */
    public final int missing;

    private FrameAudit(int twice, int missing) {
        this.twice = twice;
        this.missing = missing;
    }

    /**
     * The frames a space holds on {@code va}'s path, for {@link #of}'s {@code held}: its root, the three
     * tables below it and the frame mapped at {@code va} ({@link FramePool#NO_FRAME} from the first missing
     * link on). Read with acquire loads; call when quiescent.
     */
    public static int[] path(PageTable pageTable, int root, long va) {
        int[] frames = new int[PageTable.LEVELS + 1];
        Arrays.fill(frames, FramePool.NO_FRAME);
        int table = root;
        for (int level = PageTable.LEVELS - 1; level >= 0; level--) {
            frames[PageTable.LEVELS - 1 - level] = table;
            long entry = PhysicalMemory.laLong(pageTable.slotAddress(table, PageTable.index(va, level)));
            if (!Pte.holdsFrame(entry)) {
                return frames;
            }
            table = Pte.frame(entry);
        }
        frames[PageTable.LEVELS] = table;
        return frames;
    }

    /** Drains every CPU cache of {@code pool} into its global pool, then pops the global pool empty. */
    public static FrameAudit of(FramePool pool, int... held) {
        for (int cpu = 0; cpu < pool.cpus(); cpu++) {
            pool.drainCache(cpu);
        }
        return of(pool.frames(), pool::allocateGlobal, held);
    }

    /**
     * @param frames  frames 0 to frames-1 exist
     * @param popFree takes one free frame, or returns {@link FramePool#NO_FRAME} when none is left
     * @param held    frames the actors still hold ({@link FramePool#NO_FRAME} entries are ignored)
     */
    public static FrameAudit of(int frames, IntSupplier popFree, int... held) {
        int[] seen = new int[frames];
        for (int frame : held) {
            if (frame != FramePool.NO_FRAME) {
                seen[frame]++;
            }
        }
        int twice = 0;
        // a corrupted free list may loop: more pops than frames proves it
        int pops = 0;
        for (int frame = popFree.getAsInt(); frame != FramePool.NO_FRAME; frame = popFree.getAsInt()) {
            seen[frame]++;
            if (++pops > frames) {
                twice++;
                break;
            }
        }
        int missing = 0;
        for (int count : seen) {
            if (count > 1) {
                twice++;
            } else if (count == 0) {
                missing++;
            }
        }
        return new FrameAudit(twice, missing);
    }
}
