package mmsim.kernel;

import java.util.ArrayList;
import java.util.List;

import mmsim.cpu.Cpu;
import mmsim.mem.PhysicalMemory;
import mmsim.paging.AddressSpace;
import mmsim.paging.PageTable;
import mmsim.paging.Pte;
import mmsim.paging.SharedMemoryObject;
import mmsim.paging.Vma;
import mmsim.shootdown.FlushReason;
import mmsim.stats.CostModel;
import mmsim.stats.CpuCounter;

/**
 * A process's mappings: mmap (private or shared), munmap, mprotect, madvise, the memory half of fork, and
 * teardown, with {@link SharedMemory} keeping each shared object's count of mapped pages. The one
 * owner of {@code mm.lock} for writing: each operation takes it itself (faults take it for reading, in
 * {@link FaultHandler}). Every downgrade or removal of a translation goes through a {@link TlbFlusher}
 * bracket, so the frames it drops are released only once no TLB can translate to them (invariants 4, 5).
 *
 * <p>Errors follow Linux's man pages: EINVAL for a range that is not page-aligned user space or an unknown
 * protection, ENOMEM when frames run out; a call that fails changes nothing a program can observe (every
 * step that can fail runs before the first visible change).
 */
final class Mappings {
    private static final long PAGE = PhysicalMemory.PAGE_SIZE;

    private final KernelFrames frames;
    private final TlbFlusher flusher;
    private final ForkStrategy fork;
    private final PageTable pageTable;
    private final SharedMemory shared;

    Mappings(KernelFrames frames, TlbFlusher flusher, ForkStrategy fork) {
        this.frames = frames;
        this.flusher = flusher;
        this.fork = fork;
        this.pageTable = frames.pageTable();
        this.shared = new SharedMemory(frames);
    }

    ForkStrategy forkStrategy() {
        return fork;
    }

    // ---- system calls ----

    /**
     * mmap: {@code length} bytes (rounded up to pages) of zero-filled memory with {@code protection}, at the
     * lowest free address at or above {@link AddressSpace#MMAP_BASE}. EINVAL for a length that is not
     * positive or an unknown protection; ENOMEM when user space has no room for it. A failed call maps nothing.
     */
    long mmap(Cpu cpu, Mm mm, long length, int protection) {
        if (length <= 0) {
            throw new SyscallException(Errno.EINVAL, "mmap length must be positive: " + length);
        }
        checkProtection(protection);
        if (length > PageTable.USER_VA_LIMIT) {
            throw new SyscallException(Errno.ENOMEM, "mmap of " + length + " bytes: more than user space");
        }
        mm.lock.writeLock(cpu);
        try {
            return mm.space.map(length, protection);
        } catch (IllegalStateException e) {
            throw new SyscallException(Errno.ENOMEM, e.getMessage());
        } finally {
            mm.lock.writeUnlock();
        }
    }

    /**
     * mmap(MAP_SHARED | MAP_ANONYMOUS): {@code length} bytes (rounded up to pages) of zero-filled memory backed by
     * a new shared object, placed as {@link #mmap} places a private area; fork gives children the same pages.
     * EINVAL for a length that is not positive or an unknown protection; ENOMEM when it is larger than physical
     * memory (mmsim keeps a frame slot per page of the object and has no swap; Linux's default overcommit
     * heuristic refuses one larger than RAM plus swap) or user space has no room for it. A failed call maps
     * nothing.
     */
    long mmapShared(Cpu cpu, Mm mm, long length, int protection) {
        if (length <= 0) {
            throw new SyscallException(Errno.EINVAL, "mmap length must be positive: " + length);
        }
        checkProtection(protection);
        if (length > frames.memory().bytes()) {
            throw new SyscallException(Errno.ENOMEM, "a shared mapping of " + length + " bytes: more than physical memory ("
                    + frames.memory().bytes() + " bytes)");
        }
        int pages = (int) (pageCeil(length) >>> PhysicalMemory.PAGE_SHIFT);
        mm.lock.writeLock(cpu);
        try {
            return mm.space.mapShared(new SharedMemoryObject(pages), protection);
        } catch (IllegalStateException e) {
            throw new SyscallException(Errno.ENOMEM, e.getMessage());
        } finally {
            mm.lock.writeUnlock();
        }
    }

    /**
     * munmap: removes the pages {@code [start, start + length)} from the VMAs and the page tables; the
     * frames are released, and the range may be mapped again, once no TLB can translate to them. ENOMEM
     * (on-demand fork found no frame for the private copy of a shared leaf table) before anything visible
     * has changed: the VMAs, the entries and the contents are as they were.
     */
    void munmap(Cpu cpu, Mm mm, long start, long length) {
        checkRange(start, length);
        mm.lock.writeLock(cpu);
        try {
            // the only step that can fail comes first
            prepareLeafTables(cpu, mm.space, mappedParts(mm.space, start, length), "munmap");
            List<Vma> removed = mm.space.unmap(start, length);
            // the range is not handed out again until every CPU has dropped its translations (lazy strategies defer that)
            mm.space.quarantine(removed);
            clearRanges(cpu, mm.space, removed, FlushReason.MUNMAP, () -> mm.space.releaseQuarantine(removed));
            shared.unmapped(cpu, removed);
        } finally {
            mm.lock.writeUnlock();
        }
    }

    /**
     * madvise(DONTNEED): drops the pages of the mapped parts of {@code [start, start + length)}; the next
     * touch of a private page reads zeros, of a shared mapping's page the data its object kept. ENOMEM (no
     * frame for on-demand fork's private table copy) before any page was dropped.
     */
    void madviseDontNeed(Cpu cpu, Mm mm, long start, long length) {
        checkRange(start, length);
        mm.lock.writeLock(cpu);
        try {
            List<Vma> ranges = mappedParts(mm.space, start, length);
            prepareLeafTables(cpu, mm.space, ranges, "madvise");
            clearRanges(cpu, mm.space, ranges, FlushReason.MADVISE, null);
        } finally {
            mm.lock.writeUnlock();
        }
    }

    /**
     * mprotect: sets the protection of the mapped parts of {@code [start, start + length)} and of their
     * entries (see {@link #reprotect}), shooting down every translation it downgraded. ENOMEM (no frame for
     * on-demand fork's private table copy) before anything visible has changed.
     */
    void mprotect(Cpu cpu, Mm mm, long start, long length, int protection) {
        checkRange(start, length);
        checkProtection(protection);
        mm.lock.writeLock(cpu);
        try {
            // the only step that can fail comes first
            List<Vma> changing = new ArrayList<>();
            for (Vma r : mappedParts(mm.space, start, length)) {
                if (r.protection() != protection) {
                    changing.add(r);
                }
            }
            prepareLeafTables(cpu, mm.space, changing, "mprotect");
            List<Vma> changed = mm.space.protect(start, length, protection);
            if (changed.isEmpty()) {
                return;
            }
            AddressSpace space = mm.space;
            try (TlbFlusher.Flush flush = flusher.open(cpu, space, FlushReason.MPROTECT, hullStart(changed), hullEnd(changed))) {
                for (Vma r : changed) {
                    boolean[] downgraded = {false};
                    pageTable.forEachLeaf(space.root(), r.start(), r.end(), (va, slot, table) -> {
                        long e;
                        long next;
                        do {
                            e = PhysicalMemory.laLong(slot);
                            next = reprotect(e, protection);
                        } while (next != e && !PhysicalMemory.casLong(slot, e, next));
                        if (Pte.isPresent(e) && (!Pte.isPresent(next) || (Pte.isWritable(e) && !Pte.isWritable(next)))) {
                            downgraded[0] = true;
                        }
                    });
                    if (downgraded[0]) {
                        flush.addRange(r.start(), (r.end() - r.start()) / PAGE);
                    }
                }
            }
        } finally {
            mm.lock.writeUnlock();
        }
    }

    /**
     * The memory half of fork: copies {@code parent} into the empty {@code child} with the fork strategy,
     * holding the parent's lock for writing; the child's shared areas map their objects too. When it returns,
     * no CPU holds a writable translation to a frame fork shared copy-on-write (invariants 1 and 2); the pages
     * of shared mappings stay writable in both, as they are meant to be shared. @throws OutOfFrames part-way, the
     * child left consistent (the caller tears it down) and the parent unchanged in anything a program can observe
     */
    void fork(Cpu cpu, Mm parent, Mm child) {
        parent.lock.writeLock(cpu);
        try {
            child.space.copyVmasFrom(parent.space);
            shared.forked(child.space);
            fork.copy(cpu, parent.space, child.space);
        } finally {
            parent.lock.writeUnlock();
        }
        cpu.counters().increment(CpuCounter.FORKS);
    }

    /**
     * Frees everything {@code mm} holds. No task may use it any more; CPUs that still have it loaded (lazy
     * idle CPUs, the caller) or hold its ASID-tagged entries drop them first.
     */
    void teardown(Cpu cpu, Mm mm) {
        AddressSpace space = mm.space;
        try (TlbFlusher.Flush flush = flusher.open(cpu, space, FlushReason.TEARDOWN, 0, PageTable.USER_VA_LIMIT)) {
            flush.addAll().onRelease(on -> pageTable.releaseTables(on.id(), space.root(),
                    table -> frames.releaseLeafTableEntries(on, table)));
        }
        shared.unmapped(cpu, space.vmas());
    }

    /** The frame mapped at {@code va}, or -1 (an inspection aid: no fault, no side effect). */
    int frameAt(AddressSpace space, long va) {
        long pte = pageTable.walk(space.root(), va);
        return Pte.isPresent(pte) ? Pte.frame(pte) : -1;
    }

    // ---- the work ----

    /**
     * Clears every entry in {@code ranges} (whose leaf tables were prepared), shoots them down, then drops
     * the frames' references and runs {@code afterFlush} (if any) once no TLB can hold the old
     * translations. Cannot fail.
     */
    private void clearRanges(Cpu cpu, AddressSpace space, List<Vma> ranges, FlushReason reason, Runnable afterFlush) {
        if (ranges.isEmpty()) {
            return;
        }
        IntList released = new IntList();
        try (TlbFlusher.Flush flush = flusher.open(cpu, space, reason, hullStart(ranges), hullEnd(ranges))) {
            for (Vma r : ranges) {
                pageTable.forEachLeaf(space.root(), r.start(), r.end(), (va, slot, table) -> {
                    long e;
                    do {
                        e = PhysicalMemory.laLong(slot);
                    } while (e != 0 && !PhysicalMemory.casLong(slot, e, 0L));
                    if (Pte.holdsFrame(e)) {
                        released.add(Pte.frame(e));
                    }
                });
                flush.addRange(r.start(), (r.end() - r.start()) / PAGE);
            }
            cpu.counters().add(CpuCounter.MODELED_CYCLES, released.size() * CostModel.PTE_UPDATE);
            flush.onRelease(on -> {
                for (int i = 0; i < released.size(); i++) {
                    frames.putFrame(on, released.get(i));
                }
                if (afterFlush != null) {
                    afterFlush.run();
                }
            });
        }
    }

    /**
     * The entry {@code e} under a new protection: parked for PROT_NONE; otherwise present (unparked), and
     * never made writable here. Without WRITE it is write-protected. With WRITE, an entry that stays
     * write-protected gets the COW bit: its frame may be shared (fork shares read-only pages as they are, and
     * the zero frame is mapped read-only), so the next write takes the COW fault, which copies a shared frame,
     * replaces the zero frame and reuses one no one else maps, as Linux's write fault does after mprotect. A
     * shared mapping's entry never gets the COW bit: its write fault makes it writable in place.
     */
    private static long reprotect(long e, int protection) {
        if (!Pte.holdsFrame(e)) {
            return e;
        }
        if (protection == Vma.NONE) {
            return Pte.isPresent(e) ? Pte.without(e, Pte.PRESENT | Pte.WRITABLE) | Pte.PROT_NONE : e;
        }
        long present = Pte.isPresent(e) ? e : Pte.without(e, Pte.PROT_NONE) | Pte.PRESENT;
        if ((protection & Vma.WRITE) == 0) {
            return Pte.without(present, Pte.WRITABLE);
        }
        return Pte.isWritable(present) || Pte.isShared(present) ? present : Pte.with(present, Pte.COW);
    }

    /**
     * The fork strategy's hook for every leaf table under {@code ranges} (on-demand fork makes them
     * private). ENOMEM when a copy finds no frame; the tables already made private stay so, which changes
     * nothing visible.
     */
    private void prepareLeafTables(Cpu cpu, AddressSpace space, List<Vma> ranges, String call) {
        if (!fork.sharesLeafTables()) {
            return;
        }
        try {
            for (Vma r : ranges) {
                for (long va = r.start() & ~(PageTable.LEAF_TABLE_SPAN - 1); va < r.end(); va += PageTable.LEAF_TABLE_SPAN) {
                    fork.beforeLeafTableChange(cpu, space, va);
                }
            }
        } catch (OutOfFrames e) {
            throw new SyscallException(Errno.ENOMEM, call + ": " + e.getMessage());
        }
    }

    /** The mapped parts of the pages {@code [start, start + length)}, each with its VMA's protection, in address order. */
    private static List<Vma> mappedParts(AddressSpace space, long start, long length) {
        long end = pageCeil(start + length);
        List<Vma> parts = new ArrayList<>();
        for (Vma v : space.vmas()) {
            if (v.end() > start && v.start() < end) {
                parts.add(new Vma(Math.max(v.start(), start), Math.min(v.end(), end), v.protection()));
            }
        }
        return parts;
    }

    static void checkRange(long address, long length) {
        if ((address & 0xFFF) != 0 || length <= 0 || !PageTable.isUserAddress(address)
                || !PageTable.isUserAddress(address + length - 1)) {
            throw new SyscallException(Errno.EINVAL, "[0x" + Long.toHexString(address) + ", +" + length
                    + ") is not a page-aligned range of user space");
        }
    }

    static void checkProtection(int protection) {
        if ((protection & ~Vma.READ_WRITE) != 0 || protection == Vma.WRITE) {
            throw new SyscallException(Errno.EINVAL, "protection " + protection
                    + " is not one of NONE (0), READ (1), READ_WRITE (3)");
        }
    }

    /** The lowest start of {@code ranges} (non-empty): a downgrade covers the hull of the ranges one call changes. */
    private static long hullStart(List<Vma> ranges) {
        long s = Long.MAX_VALUE;
        for (Vma r : ranges) {
            s = Math.min(s, r.start());
        }
        return s;
    }

    private static long hullEnd(List<Vma> ranges) {
        long e = Long.MIN_VALUE;
        for (Vma r : ranges) {
            e = Math.max(e, r.end());
        }
        return e;
    }

    private static long pageCeil(long v) {
        return (v + PhysicalMemory.PAGE_OFFSET_MASK) & ~PhysicalMemory.PAGE_OFFSET_MASK;
    }

    /** A growable list of ints without boxing. */
    private static final class IntList {
        private int[] values = new int[64];
        private int size;

        void add(int v) {
            if (size == values.length) {
                values = java.util.Arrays.copyOf(values, size * 2);
            }
            values[size++] = v;
        }

        int size() {
            return size;
        }

        int get(int i) {
            return values[i];
        }
    }
}
