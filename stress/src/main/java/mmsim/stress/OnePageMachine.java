package mmsim.stress;

import mmsim.Machine;
import mmsim.cpu.Cpu;
import mmsim.cpu.FaultKind;
import mmsim.mem.FramePool;
import mmsim.mem.PhysicalMemory;
import mmsim.paging.AddressSpace;
import mmsim.paging.PageTable;
import mmsim.paging.Pte;

/**
 * A {@link TinyMachine} with one address space that maps one page, {@link TinyMachine#VA}, loaded on
 * CPU 0 with an empty TLB, so that CPU 0's first access walks the page table through the real
 * {@link mmsim.cpu.Mmu}. CPU 0 has no kernel: a page fault is recorded in {@link #fault} and the access
 * is abandoned.
 *
 * <p>Built by the state's constructor, which jcstress publishes safely to the actor threads: that is the
 * hand-off of CPU 0 to the actor that executes on it. Owns native memory: {@link #close()} it in the arbiter.
 */
public final class OnePageMachine implements AutoCloseable {
    /** Thrown by CPU 0's fault handler to abandon the access; preallocated, without a stack trace. */
    public static final class AbandonedAccess extends RuntimeException {
        private static final long serialVersionUID = 1L;

        private AbandonedAccess() {
            super("access abandoned by the test's fault handler", null, false, false);
        }
    }

    private static final AbandonedAccess ABANDONED = new AbandonedAccess();

    public final Machine machine;
    public final Cpu cpu0;
    /** The data frame mapped at {@link TinyMachine#VA}; zeroed. */
    public final int frame;
    /** Host address of the leaf entry of {@link TinyMachine#VA}. */
    public final long leafSlot;
    /** The kind of the fault CPU 0 took, or null; written and read on CPU 0's thread, read by the arbiter. */
    public FaultKind fault;

    /** Maps the page with {@code flags} (which should include {@link Pte#PRESENT}). */
    public OnePageMachine(long flags) {
        machine = TinyMachine.boot();
        AddressSpace space = machine.newAddressSpace(FramePool.NO_CPU);
        PageTable pageTable = machine.pageTable();
        leafSlot = pageTable.leafSlotMut(FramePool.NO_CPU, space.root(), TinyMachine.VA);
        frame = machine.framePool().allocateGlobal();
        machine.frames().claim(frame);
        machine.memory().zeroFrame(frame);
        if (!PhysicalMemory.casLong(leafSlot, 0L, Pte.make(frame, flags))) {
            throw new IllegalStateException("the leaf entry of a new tree was not empty");
        }
        cpu0 = machine.cpu(0);
        cpu0.setFaultHandler((cpu, va, write, kind) -> {
            fault = kind;
            throw ABANDONED;
        });
        cpu0.switchAddressSpace(space);
    }

    /** The leaf entry now (acquire load). */
    public long leaf() {
        return PhysicalMemory.laLong(leafSlot);
    }

    /** The page's first long, read directly from physical memory (not through a TLB). */
    public long firstWord() {
        return machine.memory().getLong(frame, 0);
    }

    @Override
    public void close() {
        machine.close();
    }

    /** The entry's flags as letters, without the frame number: {@code "P W U A D COW"}, or {@code "empty"}. */
    public static String flags(long pte) {
        if (pte == 0) {
            return "empty";
        }
        StringBuilder sb = new StringBuilder();
        append(sb, Pte.isPresent(pte), "P");
        append(sb, Pte.isWritable(pte), "W");
        append(sb, Pte.isUser(pte), "U");
        append(sb, Pte.isAccessed(pte), "A");
        append(sb, Pte.isDirty(pte), "D");
        append(sb, Pte.isCow(pte), "COW");
        return sb.toString();
    }

    private static void append(StringBuilder sb, boolean set, String letter) {
        if (set) {
            if (sb.length() > 0) {
                sb.append(' ');
            }
            sb.append(letter);
        }
    }
}
