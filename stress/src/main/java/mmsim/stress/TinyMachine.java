package mmsim.stress;

import java.util.Arrays;
import java.util.Map;

import mmsim.Machine;
import mmsim.config.MachineConfig;
import mmsim.mem.PhysicalMemory;
import mmsim.paging.PageTable;

/**
 * The smallest machine the simulator boots, for states that jcstress builds by the thousand: 64 KiB of
 * physical memory (16 frames, the least {@code memory} allows), two CPUs with a 4-entry L1-only TLB, and
 * frame batches of one so that every allocation on a CPU with an empty cache reaches the global pool.
 * Each machine owns 72 KiB of native memory: its state must {@link Machine#close()} it in the arbiter.
 */
public final class TinyMachine {
    public static final MachineConfig CONFIG = MachineConfig.parse(Map.of(
            "memory", "64KiB",
            "cpus", "2",
            "tlb.levels", "1",
            "tlb.l1.entries", "4",
            "tlb.l1.ways", "4",
            "framepool.batch", "1"));

    /**
     * A user address whose index differs at every level (3, 5, 7, 9), so that a walk of it visits four
     * distinct entries and a confusion of levels would show.
     */
    public static final long VA = (3L << 39) | (5L << 30) | (7L << 21) | (9L << 12);

    /** The pattern that free frames are filled with: a walker that reads it saw a table before it was zeroed. */
    public static final byte GARBAGE_BYTE = (byte) 0xFF;
    public static final long GARBAGE_WORD = -1L;

    private static final byte[] GARBAGE_PAGE = new byte[PhysicalMemory.PAGE_SIZE];

    static {
        Arrays.fill(GARBAGE_PAGE, GARBAGE_BYTE);
        if (!PageTable.isUserAddress(VA)) {
            throw new AssertionError("VA must be a user address");
        }
    }

    private TinyMachine() {
    }

    public static Machine boot() {
        return Machine.boot(CONFIG);
    }

    /** Writes {@link #GARBAGE_BYTE} over every frame. Call before anything is allocated. */
    public static void fillWithGarbage(Machine machine) {
        PhysicalMemory memory = machine.memory();
        for (int frame = 0; frame < memory.frames(); frame++) {
            memory.writeBytes(frame, 0, GARBAGE_PAGE, 0, GARBAGE_PAGE.length);
        }
    }
}
