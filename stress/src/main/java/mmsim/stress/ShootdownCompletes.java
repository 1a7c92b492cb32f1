package mmsim.stress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.infra.results.IIII_Result;

import mmsim.cpu.Cpu;
import mmsim.cpu.Mmu;
import mmsim.kernel.Kernel;
import mmsim.mem.PhysicalMemory;
import mmsim.paging.AddressSpace;
import mmsim.paging.Pte;
import mmsim.shootdown.FlushReason;
import mmsim.shootdown.FlushRequest;
import mmsim.shootdown.ShootdownStats;
import mmsim.shootdown.ShootdownStrategy;
import mmsim.shootdown.Shootdowns;

/**
 * The {@link ShootdownStrategy} contract (DESIGN §3 invariant 5): once {@code flush} returns, no CPU
 * translates through an entry that was cached before the page-table change. One subclass per strategy
 * ({@code ShootdownCompletesBroadcast}, ...), each with a fresh machine per sample. jcstress finds actors
 * only in the test class itself (outcomes are inherited), so each subclass has three one-line delegates.
 *
 * <p>CPU 0 (the target) has the page cached writable in its TLB before the race (a store in the
 * constructor) and keeps storing to it through the real {@link Mmu}: each store is an access boundary,
 * where CPU 0 services its IPIs. CPU 1 (the initiator; both CPUs have the space loaded, neither lazy)
 * write-protects the entry with a CAS, as mprotect does, and calls the real strategy's {@code flush} with
 * reason MPROTECT (synchronous for every strategy, LATR included). When flush returns, the kernel may
 * reuse what the old translation reached: the initiator writes a marker into the frame, as a next owner
 * would, then tells CPU 0 it is done. A store by CPU 0 that still went through its old entry after the
 * flush returned would overwrite the marker.
 *
 * <p>r1: 1 when CPU 0 stored through its cached entry at least once before its first protection fault,
 * 0 when its first store in the race already faulted. r2: 1 when the frame still holds the marker at the
 * end. r3: 1 when CPU 0's store after it saw "flush returned" faulted. r4: 1 when CPU 0's TLB still holds
 * a writable translation of the page at the end.
 */
@Description("A permission downgrade shot down while the target CPU keeps storing through its cached entry.")
@Outcome(id = "0, 1, 1, 0", expect = ACCEPTABLE,
        desc = "The write-protect came before CPU 0's first store in the race; every store faulted; the marker survived.")
@Outcome(id = "1, 1, 1, 0", expect = ACCEPTABLE,
        desc = "CPU 0 stored through its cached entry while the initiator worked, then took the IPI and faulted; the marker survived.")
@Outcome(id = "[01], 0, [01], [01]", expect = FORBIDDEN,
        desc = "FORBIDDEN: a store through the old entry landed in the frame after flush returned (it would corrupt the frame's next owner).")
@Outcome(id = "[01], 1, 0, [01]", expect = FORBIDDEN,
        desc = "FORBIDDEN: CPU 0 stored through the old entry after it learned that flush had returned.")
@Outcome(id = "[01], 1, 1, 1", expect = FORBIDDEN,
        desc = "FORBIDDEN: CPU 0's TLB still holds a writable translation after the flush.")
@Outcome(expect = FORBIDDEN, desc = "FORBIDDEN: any other outcome.")
public abstract class ShootdownCompletes {
    /** One per JVM: a strategy records into its initiator's histograms only, and each CPU id here is one actor's. */
    private static final ShootdownStats STATS = new ShootdownStats(TinyMachine.CONFIG.cpus());
    private static final long BEFORE = 1L;
    private static final long DURING = 2L;
    private static final long AFTER = 3L;
    /** What the kernel's next user of the frame writes once flush has returned. */
    static final long MARKER = 0x5EED_0000_0000_0001L;

    private final OnePageMachine m = new OnePageMachine(Pte.PRESENT | Pte.WRITABLE | Pte.USER);
    private final Cpu target = m.cpu0;
    private final Cpu initiator = m.machine.cpu(1);
    private final AddressSpace space = target.loadedSpace();
    private final ShootdownStrategy strategy;
    private final FlushRequest request = new FlushRequest();
    private volatile boolean flushed;

    /** Builds the strategy for this machine's CPUs (a subclass names one of {@link Shootdowns#NAMES}). */
    protected ShootdownCompletes(Kernel.ShootdownFactory factory) {
        strategy = factory.create(m.machine.cpus().toArray(new Cpu[0]), STATS);
        initiator.switchAddressSpace(space);
        strategy.onSwitch(target, space);
        strategy.onSwitch(initiator, space);
        target.mmu().storeLong(TinyMachine.VA, BEFORE);
        if (!target.tlb().isWritable(target.mmu().asid(), TinyMachine.VA >>> PhysicalMemory.PAGE_SHIFT)) {
            throw new IllegalStateException("the target's TLB must hold the page writable before the race");
        }
    }

    /** {@link Shootdowns#create} for {@code name}. */
    protected static Kernel.ShootdownFactory named(String name) {
        return (cpus, stats) -> Shootdowns.create(name, cpus, stats);
    }

    /** CPU 0's actor. */
    protected final void storeOnTarget(IIII_Result r) {
        Mmu mmu = target.mmu();
        boolean storedThrough = false;
        boolean faulted = false;
        while (!flushed) {
            try {
                mmu.storeLong(TinyMachine.VA, DURING);
                storedThrough |= !faulted;
            } catch (OnePageMachine.AbandonedAccess e) {
                faulted = true;
            }
        }
        r.r1 = storedThrough ? 1 : 0;
        try {
            mmu.storeLong(TinyMachine.VA, AFTER);
            r.r3 = 0;
        } catch (OnePageMachine.AbandonedAccess e) {
            r.r3 = 1;
        }
    }

    /** CPU 1's actor. */
    protected final void writeProtectAndFlush() {
        long old;
        do {
            old = PhysicalMemory.laLong(m.leafSlot);
        } while (!PhysicalMemory.casLong(m.leafSlot, old, Pte.without(old, Pte.WRITABLE)));
        strategy.flush(initiator, request.begin(space, FlushReason.MPROTECT).addRange(TinyMachine.VA, 1), null);
        m.machine.memory().putLong(m.frame, 0, MARKER);
        flushed = true;
    }

    /** The arbiter. */
    protected final void judge(IIII_Result r) {
        r.r2 = m.firstWord() == MARKER ? 1 : 0;
        r.r4 = target.tlb().isWritable(target.mmu().asid(), TinyMachine.VA >>> PhysicalMemory.PAGE_SHIFT) ? 1 : 0;
        m.close();
    }
}
