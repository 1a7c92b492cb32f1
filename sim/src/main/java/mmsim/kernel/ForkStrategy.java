package mmsim.kernel;

import mmsim.cpu.Cpu;
import mmsim.paging.AddressSpace;

/**
 * How fork copies an address space: {@code eager} ({@link EagerFork}), {@code cow} ({@link CowFork}) and
 * {@code odf} ({@link OnDemandFork}) side by side, as the shootdown strategies are.
 *
 * <p>Contract (DESIGN.md invariants 1–3): when {@link #copy} returns, the child's translations give it the
 * parent's contents, every frame the two share holds one reference per mapping, and no CPU holds a
 * writable translation to a shared frame (a strategy that write-protects parent entries shoots them down
 * through the {@link TlbFlusher}, also when it fails part-way). Only entries that were writable may be
 * write-protected and marked COW. Two kinds of entry are never copied and never marked COW: the zero frame's
 * ({@link KernelFrames#zeroFrame()}, read-only: share it, one reference more) and a shared mapping's
 * ({@link mmsim.paging.Pte#SHARED}, in a VMA with {@link mmsim.paging.Vma#isShared()}: its page must stay one
 * page for parent and child, writable where it was; a strategy may also leave the child without the entry,
 * which then faults the object's page in, as Linux's fork does). A strategy that shares page tables makes a
 * table private again in {@link #beforeLeafTableChange}, the hook the fault handler and munmap/mprotect/madvise
 * call before they change or add an entry.
 *
 * <p>Adding one: a class implementing this, built by a {@link Factory} from the kernel's
 * {@link KernelFrames} and {@link TlbFlusher}; its name in {@link ForkStrategies} (and the configuration
 * enum) to select it with {@code fork.strategy}, or, without touching mmsim,
 * {@code Kernel.boot(machine, shootdownFactory, forkFactory)}. Give it a test twin (the fork tests run
 * every strategy), a jcstress twin and a place in the fork benchmark.
 */
public interface ForkStrategy {
    /** The configuration name. */
    String name();

    /**
     * Copies {@code parent}'s translations into {@code child}, whose VMAs are already a copy of the
     * parent's and whose page tables are empty. Runs on {@code cpu} with the parent's mm lock held for
     * writing (no fault or mapping change of the parent runs meanwhile; its other threads may still access
     * memory through their TLBs).
     *
     * @throws OutOfFrames when frames run out part-way; the child must then be consistent (every entry it
     *                     has holds a reference) so that the kernel can tear it down, and the parent
     *                     unchanged in anything a program can observe
     */
    void copy(Cpu cpu, AddressSpace parent, AddressSpace child);

    /**
     * Called before the kernel changes or adds an entry in the leaf table of {@code space} that covers
     * {@code va} (a fault, munmap, mprotect, madvise), with the space's mm lock held. A strategy that
     * shares leaf tables between spaces makes this one private here. The default does nothing.
     *
     * @throws OutOfFrames when a private copy finds no frame, having changed nothing visible
     */
    default void beforeLeafTableChange(Cpu cpu, AddressSpace space, long va) {
    }

    /** Whether {@link #beforeLeafTableChange} does anything: range operations skip the per-table loop otherwise. */
    default boolean sharesLeafTables() {
        return false;
    }

    /** Builds a fork strategy on the kernel's frames and flusher: how a researcher plugs in one of their own. */
    @FunctionalInterface
    interface Factory {
        ForkStrategy create(KernelFrames frames, TlbFlusher flusher);
    }
}
