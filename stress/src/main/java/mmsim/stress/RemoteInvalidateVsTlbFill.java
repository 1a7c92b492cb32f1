package mmsim.stress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.JJ_Result;

import mmsim.cpu.Tlb;
import mmsim.mem.PhysicalMemory;
import mmsim.paging.Pte;

/**
 * DESIGN §3 invariant 5 (a frame is never reused while any TLB may still translate to it) for the
 * {@code hw-broadcast} shootdown, which invalidates remote TLBs without interrupting their CPUs with
 * {@link Tlb#remoteInvalidatePage}, racing the owner's lookups and fills.
 *
 * <p>CPU 0 loads from a mapped page through the real {@link mmsim.cpu.Mmu} (empty TLB: a walk, then a TLB
 * fill). Concurrently another CPU's kernel unmaps the page (CAS of the leaf entry to empty) and then
 * invalidates the page in CPU 0's TLB from its own thread, as INVLPGB would. After both, CPU 0's TLB must
 * not translate the page: the kernel would now free the frame.
 *
 * <p>The walk can read the entry before the unmap and fill the TLB after the invalidation found nothing
 * to drop. This test found that hazard with a plain {@code invalidatePage} (988 stale translations in
 * 10.7M samples); {@code remoteInvalidatePage} brackets the invalidation with a sequence count that the
 * owner re-checks after its fill, dropping a fill that raced it, so a surviving translation is now
 * forbidden.
 *
 * <p>r1: the value CPU 0 loaded (7), or -1 when it took a not-present fault. r2: 1 when CPU 0's TLB still
 * translates the page after the invalidation.
 */
@JCStressTest
@Description("A remote TLB invalidation after an unmap, racing the owner's walk and TLB fill.")
@Outcome(id = "7, 0", expect = ACCEPTABLE, desc = "CPU 0 loaded the value; no translation survived the invalidation.")
@Outcome(id = "-1, 0", expect = ACCEPTABLE, desc = "The unmap came first: CPU 0 took a not-present fault.")
@Outcome(id = "7, 1", expect = FORBIDDEN,
        desc = "FORBIDDEN: the walk read the entry before the unmap and its fill outlived the invalidation: a stale translation.")
@Outcome(expect = FORBIDDEN, desc = "FORBIDDEN: a wrong value, or a translation cached although the walk faulted.")
@State
public class RemoteInvalidateVsTlbFill {
    private static final long VALUE = 7L;

    private final OnePageMachine m = new OnePageMachine(Pte.PRESENT | Pte.WRITABLE | Pte.USER);
    private final Tlb cpu0Tlb = m.cpu0.tlb();

    public RemoteInvalidateVsTlbFill() {
        m.machine.memory().putLong(m.frame, 0, VALUE);
        cpu0Tlb.enableRemoteInvalidation();
    }

    @Actor
    public void loadOnCpu0(JJ_Result r) {
        try {
            r.r1 = m.cpu0.mmu().loadLong(TinyMachine.VA);
        } catch (OnePageMachine.AbandonedAccess e) {
            r.r1 = -1;
        }
    }

    @Actor
    public void unmapThenInvalidateRemotely() {
        long old;
        do {
            old = PhysicalMemory.laLong(m.leafSlot);
        } while (!PhysicalMemory.casLong(m.leafSlot, old, 0L));
        cpu0Tlb.remoteInvalidatePage(m.cpu0.mmu().asid(), TinyMachine.VA >>> PhysicalMemory.PAGE_SHIFT);
    }

    @Arbiter
    public void lookForStaleTranslation(JJ_Result r) {
        r.r2 = cpu0Tlb.contains(m.cpu0.mmu().asid(), TinyMachine.VA >>> PhysicalMemory.PAGE_SHIFT) ? 1 : 0;
        m.close();
    }
}
