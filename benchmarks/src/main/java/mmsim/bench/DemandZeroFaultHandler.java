package mmsim.bench;

import mmsim.Machine;
import mmsim.cpu.Cpu;
import mmsim.cpu.FaultKind;
import mmsim.cpu.PageFaultHandler;
import mmsim.mem.FramePool;
import mmsim.mem.PhysicalMemory;
import mmsim.paging.AddressSpace;
import mmsim.paging.PageTable;
import mmsim.paging.Pte;
import mmsim.paging.Vma;

/**
 * The smallest kernel a benchmark needs: demand-zero faults in anonymous VMAs of the faulting CPU's
 * loaded address space, resolved the way DESIGN.md §2 prescribes (read the entry, prepare a zeroed
 * frame, CAS 0 → new, on failure give the frame back). Anything else — an address outside every VMA,
 * a write to a read-only page, running out of frames — is a broken benchmark and throws, so that JMH
 * (run with {@code -foe true}) fails rather than report a number for the wrong work.
 */
final class DemandZeroFaultHandler implements PageFaultHandler {
    private final Machine machine;

    DemandZeroFaultHandler(Machine machine) {
        this.machine = machine;
    }

    @Override
    public void handlePageFault(Cpu cpu, long va, boolean write, FaultKind kind) {
        AddressSpace space = cpu.loadedSpace();
        Vma vma = space == null ? null : space.findVma(va);
        if (vma == null || kind != FaultKind.NOT_PRESENT || (write && !vma.writable())) {
            throw new IllegalStateException("benchmark took an unexpected " + kind + " fault on " + cpu + ": "
                    + (write ? "store to" : "load from") + " 0x" + Long.toHexString(va) + " in " + vma);
        }
        int id = cpu.id();
        long slot = machine.pageTable().leafSlotMut(id, space.root(), va);
        if (slot == PageTable.NO_SLOT) {
            throw new IllegalStateException("out of frames for a page table at 0x" + Long.toHexString(va));
        }
        if (PhysicalMemory.laLong(slot) != 0) {
            return; // resolved meanwhile: the MMU retries and finds it
        }
        FramePool pool = machine.framePool();
        int frame = pool.allocate(id);
        if (frame == FramePool.NO_FRAME) {
            throw new IllegalStateException("out of frames for a page at 0x" + Long.toHexString(va));
        }
        machine.memory().zeroFrame(frame);
        machine.frames().claim(frame);
        long pte = Pte.make(frame, Pte.PRESENT | Pte.USER | (vma.writable() ? Pte.WRITABLE : 0));
        // CAS (release): the zeroed frame and its claim are visible before the entry that maps it
        if (!PhysicalMemory.casLong(slot, 0L, pte) && machine.frames().release(frame)) {
            pool.free(id, frame);
        }
    }
}
