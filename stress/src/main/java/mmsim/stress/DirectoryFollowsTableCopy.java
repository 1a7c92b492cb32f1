package mmsim.stress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;

import mmsim.cpu.Cpu;
import mmsim.mem.PhysicalMemory;
import mmsim.paging.Pte;
import mmsim.shootdown.TranslationDirectory;

/**
 * A walk racing on-demand fork's copy of the leaf table it walks (the order didi and abis rely on once a space's
 * shared table is made private, {@link TranslationDirectory#leafTableCopied}): whichever table the walker read its
 * entry from, the copy's record of that entry names it by the time both are done, so a later flush of the space
 * (which looks up the copy) reaches it. CPU 0 loads the page through the real MMU with the directory attached (it
 * records itself on the table its link leads to, reads the entry, then re-reads the link and walks again if the
 * link moved); CPU 1 switches the level-1 link to a copy of the table, then tells the directory.
 *
 * <p>r1: 1 when the copy's record names CPU 0. r2: 1 when the old table's record names CPU 0 (it walked the old
 * table first). The walker always caches the page (it is mapped in both tables), so the copy must name it.
 */
@JCStressTest
@State
@Description("A walk racing a leaf table's copy: the copy's directory record must name the walker.")
@Outcome(id = "1, 1", expect = ACCEPTABLE, desc = "CPU 0 walked the old table; the copy inherited its record, or CPU 0 saw the new link and walked again.")
@Outcome(id = "1, 0", expect = ACCEPTABLE, desc = "CPU 0 walked the copy only: the link had moved before its walk.")
@Outcome(id = "0, 1", expect = FORBIDDEN,
        desc = "FORBIDDEN: CPU 0 cached the page through the old table, yet the copy's record does not name it: a flush would skip it.")
@Outcome(id = "0, 0", expect = FORBIDDEN, desc = "FORBIDDEN: CPU 0's walk is recorded nowhere.")
public class DirectoryFollowsTableCopy {
    private final OnePageMachine m = new OnePageMachine(Pte.PRESENT | Pte.WRITABLE | Pte.USER);
    private final TranslationDirectory directory = new TranslationDirectory(TinyMachine.CONFIG.cpus(), m.machine.pageTable().frames());
    private final TableCopy copy = new TableCopy(m);

    public DirectoryFollowsTableCopy() {
        directory.attach(m.machine.cpus().toArray(new Cpu[0]));
    }

    @Actor
    public void walker() {
        m.cpu0.mmu().loadLong(TinyMachine.VA);
    }

    @Actor
    public void copier() {
        copy.switchLink();
        directory.leafTableCopied(copy.oldTable, copy.newTable);
    }

    @Arbiter
    public void arbiter(II_Result r) {
        r.r1 = copy.names(directory, copy.newTable, 0) ? 1 : 0;
        r.r2 = copy.names(directory, copy.oldTable, 0) ? 1 : 0;
        m.close();
    }

    /** A copy of {@link OnePageMachine}'s leaf table, built before the actors run, and the switch of its link to it. */
    public static final class TableCopy {
        public final int oldTable;
        public final int newTable;
        private final long linkSlot;
        private final int index;

        public TableCopy(OnePageMachine m) {
            int root = m.cpu0.loadedSpace().root();
            oldTable = m.machine.pageTable().leafTable(root, TinyMachine.VA);
            linkSlot = m.machine.pageTable().slot(root, TinyMachine.VA, 1);
            index = mmsim.paging.PageTable.index(TinyMachine.VA, 0);
            newTable = m.machine.framePool().allocateGlobal();
            m.machine.frames().claim(newTable);
            m.machine.memory().zeroFrame(newTable);
            PhysicalMemory.soLong(m.machine.pageTable().slotAddress(newTable, index), m.leaf());
        }

        /** Points the level-1 link at the copy, keeping its flags (a CAS: the walker may set its accessed bit). */
        public void switchLink() {
            long link;
            do {
                link = PhysicalMemory.laLong(linkSlot);
            } while (!PhysicalMemory.casLong(linkSlot, link, Pte.make(newTable, Pte.flags(link))));
        }

        /** Whether {@code directory}'s record of the page's entry in {@code table} names CPU {@code cpu}. */
        public boolean names(TranslationDirectory directory, int table, int cpu) {
            long[] set = new long[directory.words()];
            directory.addHolders(table, index, set);
            return TranslationDirectory.contains(set, cpu);
        }
    }
}
