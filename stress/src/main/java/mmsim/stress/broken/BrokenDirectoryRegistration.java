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

import mmsim.mem.PhysicalMemory;
import mmsim.paging.PageTable;
import mmsim.paging.Pte;
import mmsim.shootdown.FlushReason;
import mmsim.shootdown.FlushRequest;
import mmsim.shootdown.TranslationDirectory;
import mmsim.stress.OnePageMachine;
import mmsim.stress.TinyMachine;

/**
 * {@code DirectoryRecordsTheWalker} with the walker's two steps swapped: it reads the entry, then registers
 * (as a walker that records itself only once it has filled its TLB would). The changer can then write-protect
 * and read the directory between the two: the FORBIDDEN outcome, a holder the directory does not name.
 */
@JCStressTest
@State
@Description("Broken: the walker registers after reading the entry.")
@Outcome(id = "1, 1", expect = ACCEPTABLE, desc = "Cached the writable entry and recorded.")
@Outcome(id = "0, 1", expect = ACCEPTABLE, desc = "Read the write-protected entry; recorded.")
@Outcome(id = "0, 0", expect = ACCEPTABLE, desc = "Read the write-protected entry; not yet recorded.")
@Outcome(id = "1, 0", expect = FORBIDDEN, desc = "FORBIDDEN: cached the writable entry, yet the directory did not name it.")
public class BrokenDirectoryRegistration {
    private final OnePageMachine m = new OnePageMachine(Pte.PRESENT | Pte.WRITABLE | Pte.USER);
    private final TranslationDirectory directory = new TranslationDirectory(TinyMachine.CONFIG.cpus(), m.machine.pageTable().frames());
    private final int table = m.machine.pageTable().leafTable(m.cpu0.loadedSpace().root(), TinyMachine.VA);
    private final FlushRequest request = new FlushRequest();
    private final long[] holders = new long[directory.words()];

    @Actor
    public void walker(II_Result r) {
        long pte = PhysicalMemory.laLong(m.leafSlot);
        directory.beforeLeafRead(0, table, PageTable.index(TinyMachine.VA, 0));   // too late: after the read
        r.r1 = Pte.isWritable(pte) ? 1 : 0;
    }

    @Actor
    public void changer(II_Result r) {
        long old;
        do {
            old = PhysicalMemory.laLong(m.leafSlot);
        } while (!PhysicalMemory.casLong(m.leafSlot, old, Pte.without(old, Pte.WRITABLE)));
        directory.addHoldersOfRange(m.machine.pageTable(), request.begin(m.cpu0.loadedSpace(), FlushReason.MPROTECT)
                .addRange(TinyMachine.VA, 1), holders);
        r.r2 = TranslationDirectory.contains(holders, 0) ? 1 : 0;
    }

    @Arbiter
    public void arbiter(II_Result r) {
        m.close();
    }
}
