package mmsim.stress.broken;

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
import mmsim.paging.Pte;
import mmsim.shootdown.TranslationDirectory;
import mmsim.stress.DirectoryFollowsTableCopy.TableCopy;
import mmsim.stress.OnePageMachine;
import mmsim.stress.TinyMachine;

/**
 * {@code DirectoryFollowsTableCopy} with the copier's two steps swapped: it hands the old table's records to the
 * copy, then switches the link. A walker can record itself on the old table between the two and still find the old
 * link when it re-reads it: the FORBIDDEN outcome, a holder the copy's record does not name.
 */
@JCStressTest
@State
@Description("Broken: the copier reads the old table's records before switching the link.")
@Outcome(id = "1, 1", expect = ACCEPTABLE, desc = "Recorded on the copy.")
@Outcome(id = "1, 0", expect = ACCEPTABLE, desc = "Walked the copy only.")
@Outcome(id = "0, 1", expect = FORBIDDEN, desc = "FORBIDDEN: cached through the old table, not named by the copy.")
@Outcome(id = "0, 0", expect = FORBIDDEN, desc = "FORBIDDEN: recorded nowhere.")
public class BrokenTableCopyRecordsFirst {
    private final OnePageMachine m = new OnePageMachine(Pte.PRESENT | Pte.WRITABLE | Pte.USER);
    private final TranslationDirectory directory = new TranslationDirectory(TinyMachine.CONFIG.cpus(), m.machine.pageTable().frames());
    private final TableCopy copy = new TableCopy(m);

    public BrokenTableCopyRecordsFirst() {
        directory.attach(m.machine.cpus().toArray(new Cpu[0]));
    }

    @Actor
    public void walker() {
        m.cpu0.mmu().loadLong(TinyMachine.VA);
    }

    @Actor
    public void copier() {
        directory.leafTableCopied(copy.oldTable, copy.newTable);   // too early: before the link moves
        copy.switchLink();
    }

    @Arbiter
    public void arbiter(II_Result r) {
        r.r1 = copy.names(directory, copy.newTable, 0) ? 1 : 0;
        r.r2 = copy.names(directory, copy.oldTable, 0) ? 1 : 0;
        m.close();
    }
}
