package mmsim.kernel;

import java.util.List;

import mmsim.cpu.Cpu;
import mmsim.mem.FrameMetadata;
import mmsim.mem.PhysicalMemory;
import mmsim.paging.AddressSpace;
import mmsim.paging.Pte;
import mmsim.paging.SharedMemoryObject;
import mmsim.paging.Vma;
import mmsim.stats.CpuCounter;

/**
 * The kernel's half of shared anonymous memory ({@code mmap(MAP_SHARED | MAP_ANONYMOUS)}), whose pages live in a
 * {@link SharedMemoryObject} that every process mapping it reaches (Linux: a shmem file): the fault that maps
 * the object's page, allocating and zeroing it on the first touch of any process; the write fault that
 * re-enables writes to such a page (never a copy); and the object's lifetime, counted in mapped pages across
 * address spaces, its frames released when the last mapping goes.
 *
 * <p>As in Linux, munmap, mprotect and madvise on a shared mapping change only the caller's entries and shoot
 * down only the caller's address space; madvise(MADV_DONTNEED) drops the caller's translations but not the
 * data, which the object keeps. Other processes' translations would need a shootdown only if the object itself
 * lost pages (Linux's truncate or hole punch, MADV_REMOVE), which mmsim does not model; the last mapping's
 * going drops only the object's references, and each frame is freed when the last entry's reference, released
 * after its own flush, goes too.
 *
 * <p>Stateless beyond the frames it works on; each method runs on the thread executing on {@code cpu}. A fault
 * holds the space's mm lock for reading, the other calls hold it for writing.
 */
final class SharedMemory {
    private final KernelFrames frames;
    private final PhysicalMemory memory;
    private final FrameMetadata metadata;

    SharedMemory(KernelFrames frames) {
        this.frames = frames;
        this.memory = frames.memory();
        this.metadata = frames.metadata();
    }

    /**
     * A fault on a not-present page of the shared area {@code vma}: maps the object's page at {@code slot},
     * writable when the area is. Returns false when another CPU changed the entry first (the caller re-reads it).
     *
     * @throws OutOfFrames when the page was never touched and no frame is left for it
     */
    boolean mapPage(Cpu cpu, long slot, Vma vma, long page, boolean write) {
        SharedMemoryObject object = vma.shared();
        int index = vma.sharedPageOf(page);
        int frame = object.frame(index);
        if (frame == SharedMemoryObject.NO_FRAME) {
            int fresh = frames.allocFrame(cpu, "a page of a shared mapping");
            memory.zeroFrame(fresh);
            frame = object.install(index, fresh);
            if (frame == fresh) {
                cpu.charge(cpu.costs().pageZero);
            } else {
                frames.putFrame(cpu, fresh);   // another process's fault filled the slot first
            }
        }
        // the entry's own reference: the object's keeps the frame alive meanwhile (our VMA still maps it)
        metadata.retain(frame);
        long pte = Pte.make(frame, Pte.PRESENT | Pte.USER | Pte.ACCESSED | Pte.SHARED
                | (vma.writable() ? Pte.WRITABLE : 0) | (write ? Pte.DIRTY : 0));
        if (PhysicalMemory.casLong(slot, 0L, pte)) {
            cpu.counters().increment(CpuCounter.FAULTS_SHARED);
            cpu.charge(cpu.costs().pteUpdate);
            return true;
        }
        frames.putFrame(cpu, frame);
        return false;
    }

    /**
     * A write fault on a write-protected entry of a shared page in a writable area (mprotect left it so): makes
     * it writable in place, as Linux's shared write fault does. Only a permission grows, so nothing is shot down.
     * Returns false when the entry changed first.
     */
    boolean enableWrite(Cpu cpu, long slot, long pte) {
        long writable = Pte.without(pte, Pte.COW) | Pte.WRITABLE | Pte.ACCESSED | Pte.DIRTY;
        if (PhysicalMemory.casLong(slot, pte, writable)) {
            cpu.counters().increment(CpuCounter.FAULTS_SHARED);
            cpu.charge(cpu.costs().pteUpdate);
            return true;
        }
        return false;
    }

    /** Fork copied the parent's VMAs into {@code child}: each shared area maps its object's pages once more. */
    void forked(AddressSpace child) {
        for (Vma v : child.vmas()) {
            if (v.isShared()) {
                v.shared().mapped(v.pages());
            }
        }
    }

    /**
     * The areas {@code gone} no longer map their objects (munmap removed them, or their address space is torn
     * down): an object whose last mapped page went drops its reference to every frame it holds.
     */
    void unmapped(Cpu cpu, List<Vma> gone) {
        for (Vma v : gone) {
            if (v.isShared() && v.shared().unmapped(v.pages())) {
                SharedMemoryObject object = v.shared();
                for (int i = 0; i < object.pages(); i++) {
                    int frame = object.takeFrame(i);
                    if (frame != SharedMemoryObject.NO_FRAME) {
                        frames.putFrame(cpu, frame);
                    }
                }
            }
        }
    }
}
