package mmsim.stress;

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

/**
 * DESIGN §2 ("on a miss, walk the page table, set accessed/dirty bits with CAS") against §3 invariant 1
 * (fork write-protects every writable private PTE).
 *
 * <p>CPU 0 stores 42 to a page mapped P W U, through the real {@link mmsim.cpu.Mmu}: its TLB is empty, so
 * the store walks the table and CASes A|D into the leaf entry, or takes a protection fault (then
 * abandoned) if the entry is no longer writable. Concurrently a fork write-protects the entry as a kernel
 * must: read it, CAS it to {@link Pte#writeProtectCow} of what it read, retry on failure. The twin with a
 * plain read-modify-write is {@code broken.BrokenWriteProtectPlainStore}.
 *
 * <p>r1: "store done" or "store faulted", then the page's first word in physical memory, then the final
 * entry's flags.
 */
@JCStressTest
@Description("The walker's accessed/dirty CAS racing fork's write-protect CAS: no dirty bit lost, never writable after.")
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
public class AccessedDirtyVsWriteProtect {
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
        while (true) {
            long old = PhysicalMemory.laLong(m.leafSlot);
            // CAS: an A/D update by a walker since the read must fail this, not be overwritten by it
            if (PhysicalMemory.casLong(m.leafSlot, old, Pte.writeProtectCow(old))) {
                return;
            }
        }
    }

    @Arbiter
    public void describe(L_Result r) {
        r.r1 = describe(m, stored);
        m.close();
    }

    /** The outcome sentence shared with the broken twin. */
    public static String describe(OnePageMachine m, boolean stored) {
        return (stored ? "store done" : "store faulted " + m.fault)
                + ", memory " + m.firstWord() + ", entry " + OnePageMachine.flags(m.leaf());
    }
}
