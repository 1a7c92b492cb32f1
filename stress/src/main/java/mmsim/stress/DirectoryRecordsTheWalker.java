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
import mmsim.shootdown.FlushReason;
import mmsim.shootdown.FlushRequest;
import mmsim.shootdown.TranslationDirectory;

/**
 * The ordering abis and didi rely on ({@link TranslationDirectory}): a CPU whose walk reads an entry before
 * another CPU changes it is recorded as a possible holder by the time the changing CPU reads the directory.
 * CPU 0 stores to the page through the real MMU (a walk: it registers, then reads the entry); CPU 1
 * write-protects the entry, then reads the directory as a strategy does after its page-table change.
 *
 * <p>r1: 1 when CPU 0's store went through (it read the entry while still writable and cached it), 0 when its
 * walk already saw the write-protect and faulted. r2: 1 when CPU 1 found CPU 0 in the directory.
 */
@JCStressTest
@State
@Description("A walk racing a page-table change: the walker must be in the directory whenever it read the old entry.")
@Outcome(id = "1, 1", expect = ACCEPTABLE, desc = "CPU 0 cached the writable entry and is recorded: the flush reaches it.")
@Outcome(id = "0, 1", expect = ACCEPTABLE, desc = "CPU 0 registered, then read the write-protected entry and faulted.")
@Outcome(id = "0, 0", expect = ACCEPTABLE, desc = "CPU 1 read the directory first; CPU 0's walk came after the change and faulted.")
@Outcome(id = "1, 0", expect = FORBIDDEN,
        desc = "FORBIDDEN: CPU 0 cached the writable entry, yet the directory did not name it: a flush would skip it.")
public class DirectoryRecordsTheWalker {
    private final OnePageMachine m = new OnePageMachine(Pte.PRESENT | Pte.WRITABLE | Pte.USER);
    private final TranslationDirectory directory = new TranslationDirectory(TinyMachine.CONFIG.cpus(), m.machine.pageTable().frames());
    private final FlushRequest request = new FlushRequest();
    private final long[] holders = new long[directory.words()];

    public DirectoryRecordsTheWalker() {
        directory.attach(m.machine.cpus().toArray(new Cpu[0]));
    }

    @Actor
    public void walker(II_Result r) {
        try {
            m.cpu0.mmu().storeLong(TinyMachine.VA, 1L);
            r.r1 = 1;
        } catch (OnePageMachine.AbandonedAccess e) {
            r.r1 = 0;
        }
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
