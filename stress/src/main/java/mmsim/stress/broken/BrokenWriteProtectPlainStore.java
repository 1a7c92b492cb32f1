package mmsim.stress.broken;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.L_Result;

import mmsim.mem.PhysicalMemory;
import mmsim.paging.Pte;
import mmsim.stress.AccessedDirtyVsWriteProtect;
import mmsim.stress.OnePageMachine;
import mmsim.stress.TinyMachine;

/**
 * BROKEN twin of {@link AccessedDirtyVsWriteProtect}: the fork write-protects with a read followed by a
 * release store instead of a CAS, so a walker's A/D CAS landing between the two is overwritten.
 */
@JCStressTest
@Description("BROKEN: write-protect by read + store; the walker's dirty bit can be lost.")
@Outcome(id = "store done, memory 42, entry P U A D COW", expect = ACCEPTABLE,
        desc = "The walker set A and D first; the write-protect kept them and cleared W.")
@Outcome(id = "store faulted PROTECTION, memory 0, entry P U COW", expect = ACCEPTABLE,
        desc = "The write-protect came first; the walker took a protection fault without touching the entry.")
@Outcome(id = "store done, memory 42, entry P U (A )?COW", expect = FORBIDDEN,
        desc = "FORBIDDEN: the store happened but its dirty bit was lost (the page would not be seen as modified).")
@Outcome(id = ".*entry P W.*", expect = FORBIDDEN,
        desc = "FORBIDDEN: the entry is writable after the write-protect.")
@Outcome(expect = FORBIDDEN, desc = "FORBIDDEN: any other outcome.")
@State
public class BrokenWriteProtectPlainStore {
    private final OnePageMachine m = new OnePageMachine(Pte.PRESENT | Pte.WRITABLE | Pte.USER);
    private boolean stored;

    @Actor
    public void storeOnCpu0() {
        try {
            m.cpu0.mmu().storeLong(TinyMachine.VA, 42L);
            stored = true;
        } catch (OnePageMachine.AbandonedAccess e) {
            stored = false;
        }
    }

    @Actor
    public void forkWriteProtect() {
        long old = PhysicalMemory.laLong(m.leafSlot);
        PhysicalMemory.soLong(m.leafSlot, Pte.writeProtectCow(old)); // BROKEN: overwrites a concurrent A/D update
    }

    @Arbiter
    public void describe(L_Result r) {
        r.r1 = AccessedDirtyVsWriteProtect.describe(m, stored);
        m.close();
    }
}
