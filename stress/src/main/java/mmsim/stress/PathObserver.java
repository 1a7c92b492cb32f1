package mmsim.stress;

import mmsim.Machine;
import mmsim.mem.PhysicalMemory;
import mmsim.paging.PageTable;
import mmsim.paging.Pte;

/**
 * A walker that looks at the page-table path to one virtual address while another CPU builds it, and
 * says how far the path was visible and whether anything on it was not a legal state.
 *
 * <p>Legal: an entry is empty (0), or a link exactly as {@link PageTable} makes it (table-link flags, a
 * frame of this machine other than the root, whose reference count is already 1), or at the leaf
 * the one entry the builder writes. Every table entered through a link must be fully zeroed apart from the
 * entry on the path. Anything else is garbage: the builder's machines fill free frames with
 * {@link TinyMachine#GARBAGE_WORD}, so a table linked before it was zeroed shows as garbage here.
 */
public final class PathObserver {
    /** What {@link #observe} returns when it saw an illegal entry or a table that was not zeroed. */
    public static final int GARBAGE = -1;

    private static final int WORDS = PhysicalMemory.PAGE_SIZE / Long.BYTES;

    private PathObserver() {
    }

    /**
     * Walks {@code va}'s path from {@code root}, each link read with an acquire load as {@link PageTable}
     * and the MMU read them.
     *
     * @return the number of filled entries seen on the path: 0 to 3 links, 4 when the leaf entry equals
     *         {@code expectedLeaf} too; or {@link #GARBAGE}
     */
    public static int observe(Machine machine, int root, long va, long expectedLeaf) {
        PageTable pageTable = machine.pageTable();
        int table = root;
        int seen = 0;
        for (int level = PageTable.LEVELS - 1; level > 0; level--) {
            long link = PhysicalMemory.laLong(pageTable.slotAddress(table, PageTable.index(va, level)));
            if (link == 0) {
                return seen;
            }
            if (!isLegalLink(machine, root, link)) {
                return GARBAGE;
            }
            table = Pte.frame(link);
            seen++;
            // acquire above: the table's zeroing happened before the link that led here
            if (!zeroedExceptPath(machine.memory(), table, PageTable.index(va, level - 1))) {
                return GARBAGE;
            }
        }
        long leaf = PhysicalMemory.laLong(pageTable.slotAddress(table, PageTable.index(va, 0)));
        if (leaf == 0) {
            return seen;
        }
        return leaf == expectedLeaf ? seen + 1 : GARBAGE;
    }

    private static boolean isLegalLink(Machine machine, int root, long link) {
        if (Pte.flags(link) != PageTable.TABLE_LINK_FLAGS) {
            return false;
        }
        int frame = Pte.frame(link);
        return frame != root && frame < machine.memory().frames() && machine.frames().refCount(frame) == 1;
    }

    /** Whether every word of {@code table} but entry {@code pathIndex} (which the builder may be filling) is 0. */
    private static boolean zeroedExceptPath(PhysicalMemory memory, int table, int pathIndex) {
        for (int i = 0; i < WORDS; i++) {
            if (i != pathIndex && memory.getLong(table, i * Long.BYTES) != 0) {
                return false;
            }
        }
        return true;
    }
}
