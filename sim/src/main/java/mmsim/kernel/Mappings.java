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
import mmsim.stats.CpuCounter;

/**
 * A process's mappings: mmap (private or shared; also with MAP_FIXED or an address hint), munmap, mremap,
 * mprotect, madvise, the memory half of fork, and teardown, with {@link SharedMemory} keeping each shared
 * object's count of mapped pages. The one owner of {@code mm.lock} for writing: each operation takes
 * it itself (faults take it for reading, in {@link FaultHandler}; every path that adds an entry to a live
 * space holds it one way or the other, so a table this class finds unneeded under the write lock stays so).
 * Every downgrade or removal of a translation goes through a {@link TlbFlusher} bracket, so the frames it
 * drops, and the page tables munmap and mremap leave unneeded, are released only once no TLB can translate
 * to them and no CPU can be walking them (invariants 4, 5).
 *
 * <p>Errors follow Linux's man pages: EINVAL for a range that is not page-aligned user space or an unknown
 * protection, EFAULT for an mremap of a range that is not one mapping, ENOMEM when frames or user space run
 * out; a call that fails changes nothing a program can observe (every step that can fail runs before the
 * first visible change).
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
        cpu.charge(cpu.costs().mmapFixed);   // the VMA work, per call
        try {
            return mm.space.map(length, protection);
        } catch (IllegalStateException e) {
            throw new SyscallException(Errno.ENOMEM, e.getMessage());
        } finally {
            mm.lock.writeUnlock(cpu);
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
        cpu.charge(cpu.costs().mmapFixed);   // the VMA work, per call
        try {
            return mm.space.mapShared(new SharedMemoryObject(pages), protection);
        } catch (IllegalStateException e) {
            throw new SyscallException(Errno.ENOMEM, e.getMessage());
        } finally {
            mm.lock.writeUnlock(cpu);
        }
    }

    /**
     * munmap: removes the pages {@code [start, start + length)} from the VMAs and the page tables; the
     * frames are released, the page tables no VMA needs any more freed, and the range may be mapped again,
     * once no TLB can translate to them. ENOMEM (on-demand fork found no frame for the private copy of a
     * shared leaf table) before anything visible has changed: the VMAs, the entries and the contents are as
     * they were.
     */
    void munmap(Cpu cpu, Mm mm, long start, long length) {
        checkRange(start, length);
        mm.lock.writeLock(cpu);
        cpu.charge(cpu.costs().munmapFixed);   // the VMA work, per call
        try {
            unmapLocked(cpu, mm.space, start, length, "munmap");
        } finally {
            mm.lock.writeUnlock(cpu);
        }
    }

    /**
     * mmap with MAP_FIXED: maps {@code [address, address + length)} (the length rounded up to pages),
     * zero-filled, with {@code protection}, replacing whatever was mapped there, as one operation: the lock is
     * held for writing throughout, so a fault in the range waits and then finds the new mapping, and no thread
     * can observe a gap. The replaced pages' translations are shot down before the call returns under every
     * strategy (the addresses are in use again at once) and their frames released once no TLB can reach them.
     * Over a range that a lazy strategy still holds in quarantine (a munmap whose flush it deferred), every CPU
     * applies its deferred invalidations first, so the new mapping shares no address with a stale
     * translation. Returns {@code address}.
     *
     * <p>Errors, in Linux's order: EINVAL for a length that is not positive, ENOMEM for a range that leaves user
     * space, EINVAL for an address that is not page-aligned or an unknown protection, ENOMEM when on-demand
     * fork's private copy of a shared leaf table finds no frame. A failed call changes nothing.
     */
    long mmapFixed(Cpu cpu, Mm mm, long address, long length, int protection) {
        if (length <= 0) {
            throw new SyscallException(Errno.EINVAL, "mmap length must be positive: " + length);
        }
        if (address < 0 || address >= PageTable.USER_VA_LIMIT || length > PageTable.USER_VA_LIMIT - address) {
            throw new SyscallException(Errno.ENOMEM, "MAP_FIXED at 0x" + Long.toHexString(address) + " of " + length
                    + " bytes: beyond user space");
        }
        if ((address & PhysicalMemory.PAGE_OFFSET_MASK) != 0) {
            throw new SyscallException(Errno.EINVAL, "MAP_FIXED address 0x" + Long.toHexString(address) + " is not page-aligned");
        }
        checkProtection(protection);
        long bytes = pageCeil(length);
        mm.lock.writeLock(cpu);
        cpu.charge(cpu.costs().mmapFixed);   // the VMA work, per call
        try {
            AddressSpace space = mm.space;
            // the only step that can fail comes first
            prepareLeafTables(cpu, space, mappedParts(space, address, bytes), "mmap");
            applyDeferredIfQuarantined(cpu, space, address, address + bytes);
            List<Vma> replaced = space.replace(address, bytes, protection);
            // the new mapping keeps the range's page tables (Linux frees them and the next faults rebuild them)
            clearRanges(cpu, space, replaced, FlushReason.REMAP, false, null);
            shared.unmapped(cpu, replaced);
            return address;
        } finally {
            mm.lock.writeUnlock(cpu);
        }
    }

    /**
     * mmap with an address hint and no MAP_FIXED: as {@link #mmap}, but at {@code hint} rounded up to a page
     * when the range there is free and inside user space; otherwise at the lowest free address, as without a
     * hint. A hint is never an error (mmap(2): "the kernel takes it as a hint about where to place the
     * mapping"); 0 is no hint. A range a lazy strategy still holds in quarantine is not free.
     */
    long mmapHint(Cpu cpu, Mm mm, long hint, long length, int protection) {
        if (length <= 0) {
            throw new SyscallException(Errno.EINVAL, "mmap length must be positive: " + length);
        }
        checkProtection(protection);
        if (length > PageTable.USER_VA_LIMIT) {
            throw new SyscallException(Errno.ENOMEM, "mmap of " + length + " bytes: more than user space");
        }
        long rounded = hint > 0 && hint < PageTable.USER_VA_LIMIT ? pageCeil(hint) : 0;
        mm.lock.writeLock(cpu);
        cpu.charge(cpu.costs().mmapFixed);   // the VMA work, per call
        try {
            return mm.space.map(rounded, length, protection);
        } catch (IllegalStateException e) {
            throw new SyscallException(Errno.ENOMEM, e.getMessage());
        } finally {
            mm.lock.writeUnlock(cpu);
        }
    }

    /**
     * mremap: resizes the mapping at {@code [oldAddress, oldAddress + oldSize)} to {@code newSize} bytes (both
     * rounded up to pages) and returns its address. {@code oldAddress} must be mapped.
     * <ul>
     * <li>Shrinking unmaps the tail exactly as munmap does (and may fail only as munmap does); a size that
     *     rounds to the same pages changes nothing.
     * <li>To grow, the old range must lie in one mapping (adjoining VMAs of one protection count as one, as
     *     Linux merges them).
     * <li>Growing extends the mapping in place when the old range ends where the mapping ends and the pages
     *     after it are free (and inside user space); the new pages read zero. A range a lazy strategy still holds in quarantine there
     *     is flushed first (every CPU applies its deferred invalidations), as for MAP_FIXED.
     * <li>Otherwise, with {@code mayMove} (MREMAP_MAYMOVE), it moves to the lowest free range of the new size:
     *     the entries move there, each frame with its reference (nothing is copied: contents, copy-on-write
     *     state and dirty bits go along), the grown part reads zero, and the old range's translations are shot
     *     down before the call returns, under every strategy (the frames are live at the new addresses, so no
     *     stale translation may keep reaching them). Page tables the old range no longer needs are freed after
     *     that shootdown. Counted as {@link CpuCounter#MREMAP_PAGES_MOVED}.
     * </ul>
     * Errors: EINVAL for an old address that is not page-aligned or a size that is not positive; EFAULT when
     * nothing is mapped at the old address, or the old range of a growth is not inside one mapping; ENOMEM when it cannot grow in place and may not move, when user
     * space has no room for the new size, or when a page table (or on-demand fork's private table copy) finds no
     * frame. A failed call changes nothing (page tables it built for the destination are freed again).
     */
    long mremap(Cpu cpu, Mm mm, long oldAddress, long oldSize, long newSize, boolean mayMove) {
        if ((oldAddress & PhysicalMemory.PAGE_OFFSET_MASK) != 0 || oldSize <= 0 || newSize <= 0) {
            throw new SyscallException(Errno.EINVAL, "mremap of [0x" + Long.toHexString(oldAddress) + ", +" + oldSize
                    + ") to " + newSize + " bytes: the address must be page-aligned and the sizes positive");
        }
        if (oldAddress < 0 || oldAddress >= PageTable.USER_VA_LIMIT || oldSize > PageTable.USER_VA_LIMIT - oldAddress) {
            throw notOneMapping(oldAddress, oldSize);
        }
        if (newSize > PageTable.USER_VA_LIMIT) {
            throw new SyscallException(Errno.ENOMEM, "mremap to " + newSize + " bytes: more than user space");
        }
        long oldLength = pageCeil(oldSize);
        long newLength = pageCeil(newSize);
        mm.lock.writeLock(cpu);
        cpu.charge(cpu.costs().mmapFixed);   // the VMA work, per call
        try {
            AddressSpace space = mm.space;
            Vma mapping = space.mappingAt(oldAddress);
            if (mapping == null) {
                throw notOneMapping(oldAddress, oldSize);
            }
            if (newLength <= oldLength) {
                // Linux always allows a shrink: it unmaps the tail, whatever is mapped there
                if (newLength < oldLength) {
                    unmapLocked(cpu, space, oldAddress + newLength, oldLength - newLength, "mremap");
                }
                return oldAddress;
            }
            if (oldAddress + oldLength > mapping.end()) {
                throw notOneMapping(oldAddress, oldSize);
            }
            if (mapping.isShared()) {
                // Linux grows the shmem object behind it; mmsim's shared objects have a fixed size
                throw new SyscallException(Errno.EINVAL, "mremap: growing the shared mapping at 0x" + Long.toHexString(oldAddress)
                        + " is not modelled (a shared object keeps its size); shrinking or moving it at its size is");
            }
            long oldEnd = oldAddress + oldLength;
            long grownEnd = oldAddress + newLength;
            if (oldEnd == mapping.end() && grownEnd <= PageTable.USER_VA_LIMIT && !space.overlapsVma(oldEnd, grownEnd)) {
                applyDeferredIfQuarantined(cpu, space, oldEnd, grownEnd);
                space.mapFixed(oldEnd, grownEnd - oldEnd, mapping.protection());
                return oldAddress;
            }
            if (!mayMove) {
                throw new SyscallException(Errno.ENOMEM, "mremap: the pages after [0x" + Long.toHexString(oldAddress)
                        + ", 0x" + Long.toHexString(oldEnd) + ") are taken and MREMAP_MAYMOVE was not given");
            }
            long target = space.findRoom(newLength);
            if (target < 0) {
                throw new SyscallException(Errno.ENOMEM, "mremap: no room for " + newLength + " bytes in user space");
            }
            moveLocked(cpu, space, oldAddress, oldLength, target, newLength);
            return target;
        } finally {
            mm.lock.writeUnlock(cpu);
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
        cpu.charge(cpu.costs().madviseFixed);   // the VMA work, per call
        try {
            List<Vma> ranges = mappedParts(mm.space, start, length);
            prepareLeafTables(cpu, mm.space, ranges, "madvise");
            // the range stays mapped: its page tables stay too, as Linux's zap does
            clearRanges(cpu, mm.space, ranges, FlushReason.MADVISE, false, null);
        } finally {
            mm.lock.writeUnlock(cpu);
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
        cpu.charge(cpu.costs().mprotectFixed);   // the VMA work, per call
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
            mm.lock.writeUnlock(cpu);
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
            parent.lock.writeUnlock(cpu);
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

    /** munmap's work, with the lock held for writing (mremap's shrink shares it). */
    private void unmapLocked(Cpu cpu, AddressSpace space, long start, long length, String call) {
        // the only step that can fail comes first
        prepareLeafTables(cpu, space, mappedParts(space, start, length), call);
        List<Vma> removed = space.unmap(start, length);
        // the range is not handed out again until every CPU has dropped its translations (lazy strategies defer that)
        space.quarantine(removed);
        clearRanges(cpu, space, removed, FlushReason.MUNMAP, true, () -> space.releaseQuarantine(removed));
        shared.unmapped(cpu, removed);
    }

    /**
     * mremap's move, with the lock held for writing: {@code [from, from + length)} (inside one mapping) to the
     * free range {@code [to, to + newLength)}. Every step that can fail (making leaf tables private, building
     * the destination's tables) runs before the first visible change.
     */
    private void moveLocked(Cpu cpu, AddressSpace space, long from, long length, long to, long newLength) {
        prepareLeafTables(cpu, space, List.of(new Vma(from, from + length, Vma.NONE), new Vma(to, to + newLength, Vma.NONE)), "mremap");
        int root = space.root();
        try {
            pageTable.forEachLeaf(root, from, from + length, (va, slot, table) -> frames.leafSlotMut(cpu, space, to + (va - from)));
        } catch (OutOfFrames e) {
            // give back what was built for the destination (no VMA needs it yet), then fail having changed nothing
            try (TlbFlusher.Flush flush = flusher.open(cpu, space, FlushReason.REMAP, to, to + newLength)) {
                flush.addRange(to, newLength / PAGE);
                releaseAfter(flush, new IntList(), unlinkUnusedTables(cpu, space, List.of(new Vma(to, to + newLength, Vma.NONE)), flush), null);
            }
            throw new SyscallException(Errno.ENOMEM, "mremap: " + e.getMessage());
        }
        space.move(from, length, to, newLength);
        long[] moved = {0};
        try (TlbFlusher.Flush flush = flusher.open(cpu, space, FlushReason.REMAP, from, from + length)) {
            pageTable.forEachLeaf(root, from, from + length, (va, slot, table) -> {
                long e;
                do {
                    e = PhysicalMemory.laLong(slot);
                } while (e != 0 && !PhysicalMemory.casLong(slot, e, 0L));
                if (e != 0) {
                    // release: the destination is empty and only this call writes it; a walker there sees 0 (and waits for the lock) or this
                    PhysicalMemory.soLong(pageTable.leafSlot(root, to + (va - from)), e);
                    moved[0]++;
                }
            });
            flush.addRange(from, length / PAGE);
            releaseAfter(flush, new IntList(), unlinkUnusedTables(cpu, space, List.of(new Vma(from, from + length, Vma.NONE)), flush), null);
        }
        cpu.counters().add(CpuCounter.MREMAP_PAGES_MOVED, moved[0]);
        cpu.charge(2 * moved[0] * cpu.costs().pteUpdate);
    }

    /**
     * When {@code [start, end)} overlaps a range that a lazy strategy still holds in quarantine, has every CPU
     * apply its deferred invalidations (the quarantine ends with them), so that the range can be mapped now.
     */
    private void applyDeferredIfQuarantined(Cpu cpu, AddressSpace space, long start, long end) {
        if (space.quarantineOverlaps(start, end)) {
            cpu.counters().increment(CpuCounter.SHOOTDOWN_LAZY_FORCED);
            frames.applyDeferredEverywhere(cpu);
        }
    }

    /**
     * Clears every entry in {@code ranges} (whose leaf tables were prepared), shoots them down, then drops
     * the frames' references, frees the page tables no VMA needs any more (with {@code freeTables}) and runs
     * {@code afterFlush} (if any) once no TLB can hold the old translations and no CPU can be walking the
     * tables. Cannot fail.
     */
    private void clearRanges(Cpu cpu, AddressSpace space, List<Vma> ranges, FlushReason reason, boolean freeTables,
                             Runnable afterFlush) {
        if (ranges.isEmpty()) {
            return;
        }
        long pages = 0;
        for (Vma r : ranges) {
            pages += (r.end() - r.start()) / PAGE;
        }
        // sized once for what the ranges can hold (capped): grown by doubling from nothing it allocated twice that
        IntList released = new IntList((int) Math.min(pages, IntList.PRESIZE_CAP));
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
            cpu.charge(released.size() * cpu.costs().pteUpdate);
            IntList tables = freeTables ? unlinkUnusedTables(cpu, space, ranges, flush) : new IntList();
            releaseAfter(flush, released, tables, afterFlush);
        }
    }

    /**
     * Unlinks, inside the open {@code flush}, the page tables under {@code ranges} that no VMA needs any more
     * (see {@link PageTable#unlinkUnusedTables}); returns them, for the flush's release to free. The tables
     * above the leaves go too once they hold no link.
     */
    private IntList unlinkUnusedTables(Cpu cpu, AddressSpace space, List<Vma> ranges, TlbFlusher.Flush flush) {
        IntList tables = new IntList();
        for (Vma r : ranges) {
            pageTable.unlinkUnusedTables(space.root(), r.start(), r.end(), space::overlapsVma, (table, level) -> tables.add(table));
        }
        if (tables.size() > 0) {
            // before the write lock's release: a fault handler that takes the lock then walks again (see Cpu.leafSlotHint)
            space.noteTablesUnlinked();
            flush.freesTables();
            cpu.counters().add(CpuCounter.TABLES_FREED, tables.size());
            cpu.charge(tables.size() * cpu.costs().pteUpdate);
        }
        return tables;
    }

    /**
     * Makes {@code flush}'s release drop the references of {@code pages} and {@code tables} and then run
     * {@code afterFlush} (if any); counts them as pending in {@link SysInfo} until it runs.
     */
    private void releaseAfter(TlbFlusher.Flush flush, IntList pages, IntList tables, Runnable afterFlush) {
        long held = pages.size() + tables.size();
        frames.holdUntilFlushed(held);
        flush.onRelease(on -> {
            for (int i = 0; i < pages.size(); i++) {
                frames.putFrame(on, pages.get(i));
            }
            for (int i = 0; i < tables.size(); i++) {
                frames.putFrame(on, tables.get(i));
            }
            frames.releasedAfterFlush(held);
            if (afterFlush != null) {
                afterFlush.run();
            }
        });
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
        List<Vma> overlapping = space.vmasOverlapping(start, end);
        List<Vma> parts = new ArrayList<>(overlapping.size());
        for (Vma v : overlapping) {
            parts.add(new Vma(Math.max(v.start(), start), Math.min(v.end(), end), v.protection()));
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

    private static SyscallException notOneMapping(long address, long size) {
        return new SyscallException(Errno.EFAULT, "mremap: [0x" + Long.toHexString(address) + ", +" + size
                + ") is not inside one mapping");
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

    /** A growable list of ints without boxing; allocates its array on the first add unless sized. */
    private static final class IntList {
        /** The most a list is sized for up front (16 KiB): beyond, it grows as it fills (a sparse range holds few pages). */
        static final int PRESIZE_CAP = 4096;
        private static final int[] NONE = new int[0];

        private int[] values;
        private int size;

        IntList() {
            this(0);
        }

        IntList(int capacity) {
            values = capacity == 0 ? NONE : new int[capacity];
        }

        void add(int v) {
            if (size == values.length) {
                values = java.util.Arrays.copyOf(values, Math.max(64, size * 2));
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
