package mmsim.paging;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import mmsim.mem.PhysicalMemory;

/**
 * An address space (Linux's {@code mm_struct}): a page-table root, the VMAs that say what may be mapped,
 * the set of CPUs that may cache its translations, and its TLB generation.
 *
 * <p>Concurrency contract: the VMA list is an immutable sorted array published through a volatile
 * field, so {@link #findVma} is lock-free for fault handlers; changes ({@link #map}, {@link #unmap},
 * {@link #protect}) are serialized among themselves. Keeping the page tables consistent with a change
 * (clearing entries, shooting down TLBs) is the kernel's job, done under its own lock.
 */
public final class AddressSpace {
    /** Where {@link #map(long, int)} starts looking for room: above the first 256 MiB, like a typical mmap base. */
    public static final long MMAP_BASE = 0x1000_0000L;

    private static final VarHandle TABLE_UNLINKS;

    static {
        try {
            TABLE_UNLINKS = MethodHandles.lookup().findVarHandle(AddressSpace.class, "tableUnlinks", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final int id;
    private final int root;
    private final CpuMask cpuMask;
    private final AtomicLong tlbGeneration = new AtomicLong();
    private final java.util.Set<Downgrade> downgrades = java.util.concurrent.ConcurrentHashMap.newKeySet();
    /** The lock word of {@link #tryLockTables}: held while this space replaces one of its leaf-table links. */
    private final java.util.concurrent.atomic.AtomicBoolean tablesLocked = new java.util.concurrent.atomic.AtomicBoolean();
    private volatile int asid;
    private volatile Vma[] vmas = new Vma[0];
    /** How many times page tables of this space were unlinked or their links write-protected: see {@link #tableUnlinks}. */
    private volatile long tableUnlinks;

    /**
     * @param id   an identifier for reports
     * @param root a zeroed, claimed table frame ({@link PageTable#allocateTable})
     * @param cpus CPUs of the machine, for the cpumask
     */
    public AddressSpace(int id, int root, int cpus) {
        this.id = id;
        this.root = root;
        this.cpuMask = new CpuMask(cpus);
    }

    public int id() {
        return id;
    }

    /** The root (PML4) table frame. */
    public int root() {
        return root;
    }

    public CpuMask cpuMask() {
        return cpuMask;
    }

    /**
     * How many times page tables of this space have been unlinked ({@link #noteTablesUnlinked}) or leaf tables'
     * links write-protected by on-demand fork ({@link #noteLinksWriteProtected}). A walk that read this before it
     * began and reached a leaf slot may use that slot again while this still reads the same: tables are otherwise
     * only ever added, so the slot is still this space's entry for the walked address (the MMU hands it to the fault
     * handler this way: {@code Cpu.leafSlotHint}, outside on-demand fork; and keeps the leaf tables its walks reached
     * through writable links: its walk memo). The read is volatile (acquire): a walk after it sees every change
     * counted before the value it read. Any thread.
     */
    public long tableUnlinks() {
        return tableUnlinks;
    }

    /**
     * Counts an unlink of page tables of this space: call after unlinking them and before they can be freed, and
     * before the mm write lock that must be held for it is released (the lock makes the count visible to the next
     * fault handler). Leaf tables replaced under the read lock (on-demand fork's copies) are not counted: a fault
     * handler of a space that shares leaf tables must not use a walk's slot again.
     */
    public void noteTablesUnlinked() {
        TABLE_UNLINKS.getAndAdd(this, 1L);
    }

    /**
     * Counts a write-protection of links to leaf tables (on-demand fork's, at fork): a walk through a link the
     * counter's earlier value saw writable must read it again. Call after the links changed and before the flush that
     * removes their translations completes; no lock is needed for the count itself.
     */
    public void noteLinksWriteProtected() {
        TABLE_UNLINKS.getAndAdd(this, 1L);
    }

    /** The TLB generation: incremented by every flush request for this space (Linux's {@code tlb_gen}). */
    public AtomicLong tlbGeneration() {
        return tlbGeneration;
    }

    /**
     * A downgrade or removal of the translations of {@code [start, end)} in flight: from
     * {@link #beginDowngrade} (before the first entry changes) to {@link #endDowngrade} (after its
     * shootdown completed and its frames were released), TLBs may legitimately disagree with the page
     * table on those pages, and only on those. Identity matters: two equal ranges may be in flight at once.
     */
    public static final class Downgrade {
        private final long start;
        private final long end;
        /** Set once the system call that asked for it returned while its flush was still deferred (lazy strategies). */
        private volatile boolean deferredPastReturn;

        private Downgrade(long start, long end) {
            this.start = start;
            this.end = end;
        }

        /** Whether {@code va} lies in this downgrade's range. */
        public boolean covers(long va) {
            return va >= start && va < end;
        }

        public long start() {
            return start;
        }

        public long end() {
            return end;
        }

        /** Records that the initiator's call returned before every CPU had flushed (a lazy strategy deferred it). */
        public void markDeferredPastReturn() {
            deferredPastReturn = true;
        }

        /** Whether the initiator's call returned while this flush was still deferred. */
        public boolean deferredPastReturn() {
            return deferredPastReturn;
        }

        /**
         * From the range, not the identity: equality stays identity (two equal ranges may be in flight at once), and
         * a fresh object's identity hash (installed in its header on first use) cost a copy-on-write fault ~40 % of
         * its host time in the registry's set (JFR, FaultLatencyBenchmark.cowCopy, JDK 25).
         */
        @Override
        public int hashCode() {
            return Long.hashCode(start * 0x9E3779B97F4A7C15L + end);
        }

        @Override
        public boolean equals(Object other) {
            return this == other;
        }

        @Override
        public String toString() {
            return "downgrade [0x" + Long.toHexString(start) + ", 0x" + Long.toHexString(end) + ")";
        }
    }

    /**
     * Marks the start of a downgrade or removal of the translations of {@code [start, end)} (virtual
     * addresses, page aligned; {@code [0, PageTable.USER_VA_LIMIT)} for the whole space). Call before
     * changing the first entry; pass the result to {@link #endDowngrade} once the shootdown completed and
     * the frames were released. Thread-safe; the registration (a concurrent set's insert, a volatile
     * write) is ordered before the entry changes, so a CPU that sees a new entry sees the mark too.
     */
    public Downgrade beginDowngrade(long start, long end) {
        Downgrade d = new Downgrade(start, end);
        downgrades.add(d);
        return d;
    }

    /** Marks the end of a downgrade begun by {@link #beginDowngrade}. Thread-safe. */
    public void endDowngrade(Downgrade downgrade) {
        if (!downgrades.remove(downgrade)) {
            throw new IllegalStateException(downgrade + " of space " + id + " ended twice or was never begun");
        }
    }

    /** The in-flight downgrade covering {@code va}, or null (one of them, when several do). Thread-safe. */
    public Downgrade downgradeCovering(long va) {
        for (Downgrade d : downgrades) {
            if (d.covers(va)) {
                return d;
            }
        }
        return null;
    }

    /**
     * Takes this space's table lock if free: a fork strategy that shares leaf tables holds it while it
     * replaces one of this space's links, so that no other thread of the space drops the space's reference
     * to a table that one is still copying from. Never held across a wait: a holder does no allocation and
     * no shootdown, and a waiter keeps servicing its CPU's interrupts. CAS (acquire); pairs with
     * {@link #unlockTables}.
     */
    public boolean tryLockTables() {
        return tablesLocked.compareAndSet(false, true);
    }

    /** Releases the table lock (a release store). */
    public void unlockTables() {
        tablesLocked.set(false);
    }

    /** Whether the table lock is free now (what a waiter for it waits on). Thread-safe. */
    public boolean tablesUnlocked() {
        return !tablesLocked.get();
    }

    /** Whether {@code downgrade} has begun and not yet ended. Thread-safe. */
    public boolean inFlight(Downgrade downgrade) {
        return downgrades.contains(downgrade);
    }

    /** Downgrades begun and not yet ended. Thread-safe. */
    public int downgradesInFlight() {
        return downgrades.size();
    }

    /** The address-space identifier its TLB entries are tagged with (0 when ASIDs are off). */
    public int asid() {
        return asid;
    }

    public void setAsid(int asid) {
        this.asid = asid;
    }

    /** The VMA containing {@code va}, or null. Lock-free. */
    public Vma findVma(long va) {
        Vma[] list = vmas;
        int lo = 0;
        int hi = list.length - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            Vma v = list[mid];
            if (va < v.start()) {
                hi = mid - 1;
            } else if (va >= v.end()) {
                lo = mid + 1;
            } else {
                return v;
            }
        }
        return null;
    }

    /**
     * The index in {@code list} (sorted, non-overlapping) of the first VMA that ends after {@code va}: the one
     * containing {@code va}, or else the first above it; {@code list.length} when none. Every VMA before it ends at
     * or below {@code va}. A binary search: the VMA-list calls of a process with thousands of VMAs (256 threads of
     * one chaos process each mapping their own) read a few of them, not all.
     */
    private static int firstEndingAfter(Vma[] list, long va) {
        int lo = 0;
        int hi = list.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (list[mid].end() <= va) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    /**
     * Unmapped ranges whose translations may still be cached by some CPU (a lazy shootdown strategy has
     * not yet reached every CPU): {@link #map} does not hand them out until {@link #releaseQuarantine},
     * so a new mapping never shares an address with a stale translation (LATR, ASPLOS'18, §4: the virtual
     * range is reused only after every CPU has invalidated it). Guarded by this object's monitor.
     */
    private final List<Vma> quarantined = new ArrayList<>();

    /** Keeps {@code ranges} (just unmapped) from being mapped again until {@link #releaseQuarantine}. */
    public synchronized void quarantine(List<Vma> ranges) {
        quarantined.addAll(ranges);
    }

    /** Makes {@code ranges}, quarantined earlier, available to {@link #map} again. */
    public synchronized void releaseQuarantine(List<Vma> ranges) {
        for (Vma r : ranges) {
            quarantined.remove(r);
        }
    }

    /** Bytes of virtual address space waiting in quarantine. */
    public synchronized long quarantinedBytes() {
        long sum = 0;
        for (Vma r : quarantined) {
            sum += r.end() - r.start();
        }
        return sum;
    }

    /**
     * A snapshot of every VMA, in address order: an unmodifiable view of the published array, which is never written
     * after it is published (every change publishes a new one), so the view needs no copy.
     */
    public List<Vma> vmas() {
        return java.util.Collections.unmodifiableList(java.util.Arrays.asList(vmas));
    }

    /** The VMAs overlapping {@code [start, end)}, in address order: a view of the published array, as {@link #vmas()}. Lock-free. */
    public List<Vma> vmasOverlapping(long start, long end) {
        Vma[] list = vmas;
        int from = firstEndingAfter(list, start);
        int to = from;
        while (to < list.length && list[to].start() < end) {
            to++;
        }
        return java.util.Collections.unmodifiableList(java.util.Arrays.asList(list).subList(from, to));
    }

    /**
     * Whether {@code [start, end)} overlaps a quarantined range: a lazy strategy may still hold translations
     * of those addresses, so nothing may be mapped there until it released them.
     */
    public synchronized boolean quarantineOverlaps(long start, long end) {
        for (Vma r : quarantined) {
            if (r.start() < end && start < r.end()) {
                return true;
            }
        }
        return false;
    }

    /** Whether a VMA overlaps {@code [start, end)}. Lock-free. */
    public boolean overlapsVma(long start, long end) {
        Vma[] list = vmas;
        int i = firstEndingAfter(list, start);
        return i < list.length && list[i].start() < end;
    }

    /**
     * The mapping containing {@code va} as Linux counts it, or null: its VMA together with the VMAs that
     * adjoin it, on either side, with the same protection. Linux merges such neighbours into one VMA (they
     * arise here from mprotect and from growing a mapping in place, which mmsim keeps as separate VMAs), so
     * mremap treats them as one. Lock-free.
     */
    public Vma mappingAt(long va) {
        Vma[] list = vmas;
        int i = firstEndingAfter(list, va);
        if (i < list.length && list[i].contains(va)) {
            if (list[i].isShared()) {
                return list[i];   // a shared area is a mapping of its own (its object and offsets are its identity)
            }
            int first = i;
            while (first > 0 && list[first - 1].end() == list[first].start()
                    && list[first - 1].protection() == list[i].protection() && !list[first - 1].isShared()) {
                first--;
            }
            int last = i;
            while (last + 1 < list.length && list[last + 1].start() == list[last].end()
                    && list[last + 1].protection() == list[i].protection() && !list[last + 1].isShared()) {
                last++;
            }
            return new Vma(list[first].start(), list[last].end(), list[i].protection());
        }
        return null;
    }

    /**
     * Maps {@code length} bytes (rounded up to pages) at the lowest free address at or above
     * {@link #MMAP_BASE}; returns the start. @throws IllegalStateException when user space has no room
     */
    public synchronized long map(long length, int protection) {
        long bytes = pageRound(length);
        long start = findRoom(bytes);
        if (start < 0) {
            throw new IllegalStateException("no room for " + bytes + " bytes in the user address space");
        }
        insert(new Vma(start, start + bytes, protection));
        return start;
    }

    /**
     * Maps {@code length} bytes (rounded up to pages) at {@code hint} when the range there is free (no VMA,
     * not quarantined) and inside user space; otherwise as {@link #map(long, int)} does. A hint that is not
     * positive or not page-aligned is no hint. Returns the start. @throws IllegalStateException when user
     * space has no room
     */
    public synchronized long map(long hint, long length, int protection) {
        long bytes = pageRound(length);
        if (hint > 0 && (hint & PhysicalMemory.PAGE_OFFSET_MASK) == 0 && bytes > 0 && bytes <= PageTable.USER_VA_LIMIT
                && hint <= PageTable.USER_VA_LIMIT - bytes && isFree(hint, hint + bytes)) {
            insert(new Vma(hint, hint + bytes, protection));
            return hint;
        }
        return map(length, protection);
    }

    /**
     * The lowest page-aligned address at or above {@link #MMAP_BASE} where {@code length} bytes (rounded up to
     * pages) are free of VMAs and quarantined ranges, or -1 when user space has no room.
     */
    public synchronized long findRoom(long length) {
        long bytes = pageRound(length);
        long candidate = MMAP_BASE;
        List<Vma> taken = java.util.Arrays.asList(vmas);
        if (!quarantined.isEmpty()) {
            taken = new ArrayList<>(taken);
            taken.addAll(quarantined);
            taken.sort(java.util.Comparator.comparingLong(Vma::start));
        }
        for (Vma v : taken) {
            if (v.end() <= candidate) {
                continue;
            }
            if (v.start() - candidate >= bytes) {
                break;
            }
            candidate = v.end();
        }
        boolean fits = bytes > 0 && bytes <= PageTable.USER_VA_LIMIT && candidate <= PageTable.USER_VA_LIMIT - bytes;
        return fits ? candidate : -1;
    }

    /**
     * Maps all of {@code object} as one shared area with {@code protection}, placed as {@link #map(long, int)}
     * places a private one; returns the start. The object's count of mapped pages already includes this area
     * (the kernel creates an object for the mapping that creates it).
     */
    public synchronized long mapShared(SharedMemoryObject object, int protection) {
        long start = map((long) object.pages() << PhysicalMemory.PAGE_SHIFT, protection);
        // still under this monitor: no other change sees the private area map() placed; the kernel's mm lock keeps faults out
        Vma[] list = vmas.clone();
        int i = firstEndingAfter(list, start);
        list[i] = new Vma(start, list[i].end(), protection, object, 0);
        vmas = list;
        return start;
    }

    /** Maps {@code [start, start + length)}, which must not overlap an existing VMA or a quarantined range. */
    public synchronized void mapFixed(long start, long length, int protection) {
        long end = start + pageRound(length);
        checkUserRange(start, end);
        if (!isFree(start, end)) {
            throw new IllegalArgumentException("[0x" + Long.toHexString(start) + ", 0x" + Long.toHexString(end)
                    + ") overlaps a mapping or a quarantined range");
        }
        insert(new Vma(start, end, protection));
    }

    /**
     * Replaces whatever is mapped in {@code [start, start + length)} with one VMA of {@code protection}, in one
     * change of the VMA list (MAP_FIXED). Returns the ranges that were mapped there (the pages whose
     * translations the kernel must now remove). @throws IllegalStateException when the range overlaps a
     * quarantined range (the kernel must have its lazy flushes applied first)
     */
    public synchronized List<Vma> replace(long start, long length, int protection) {
        long end = start + pageRound(length);
        checkUserRange(start, end);
        if (quarantineOverlaps(start, end)) {
            throw new IllegalStateException("[0x" + Long.toHexString(start) + ", 0x" + Long.toHexString(end)
                    + ") is still quarantined: a lazy flush of it is outstanding");
        }
        List<Vma> removed = new ArrayList<>();
        vmas = cut(start, end, removed, new Vma(start, end, protection));
        return removed;
    }

    /**
     * Moves the mapping of {@code [oldStart, oldStart + oldLength)}, which must lie in one mapping
     * ({@link #mappingAt}), to {@code [newStart, newStart + newLength)}, which must be free, keeping its
     * protection, in one change of the VMA list (mremap). Only the VMAs change: moving the entries is the
     * kernel's job.
     */
    public synchronized void move(long oldStart, long oldLength, long newStart, long newLength) {
        long oldEnd = oldStart + pageRound(oldLength);
        long newEnd = newStart + pageRound(newLength);
        checkUserRange(oldStart, oldEnd);
        checkUserRange(newStart, newEnd);
        Vma mapping = mappingAt(oldStart);
        if (mapping == null || oldEnd > mapping.end()) {
            throw new IllegalArgumentException("[0x" + Long.toHexString(oldStart) + ", 0x" + Long.toHexString(oldEnd)
                    + ") is not inside one mapping");
        }
        if (!isFree(newStart, newEnd)) {
            throw new IllegalArgumentException("[0x" + Long.toHexString(newStart) + ", 0x" + Long.toHexString(newEnd)
                    + ") overlaps a mapping or a quarantined range");
        }
        if (mapping.isShared() && newEnd - newStart != oldEnd - oldStart) {
            throw new IllegalArgumentException("a shared mapping moves at its size");
        }
        Vma[] rest = cut(oldStart, oldEnd, new ArrayList<>(), null);
        // a shared area keeps its object and the offset of its first page in it
        vmas = inserted(rest, mapping.isShared()
                ? new Vma(newStart, newEnd, mapping.protection(), mapping.shared(), mapping.sharedPageOf(oldStart))
                : new Vma(newStart, newEnd, mapping.protection()));
    }

    /**
     * Removes {@code [start, start + length)} from every VMA, splitting those it cuts. Returns the
     * ranges that were mapped (the pages whose translations the kernel must now remove).
     */
    public synchronized List<Vma> unmap(long start, long length) {
        long end = start + pageRound(length);
        checkUserRange(start, end);
        List<Vma> removed = new ArrayList<>();
        vmas = cut(start, end, removed, null);
        return removed;
    }

    /**
     * The published list with {@code [start, end)} cut out of it, as one new array (not yet published): the VMAs it
     * overlaps are split at its edges, their parts inside go to {@code removed} in address order, and {@code filler}
     * (a VMA of exactly {@code [start, end)}, or null for none) takes the gap. One array allocated and the VMAs
     * outside the range copied once: a process whose threads map thousands of areas (chaos's init on 256 CPUs has
     * ~2,500) pays a copy of its list per change, not the three that a list built piecewise cost.
     */
    private Vma[] cut(long start, long end, List<Vma> removed, Vma filler) {
        Vma[] list = vmas;
        int first = firstEndingAfter(list, start);
        int last = first;
        while (last < list.length && list[last].start() < end) {
            last++;
        }
        // of the VMAs the range overlaps, only the first can start below it and only the last can end above it
        Vma below = first < last && list[first].start() < start ? list[first].withRange(list[first].start(), start) : null;
        Vma above = first < last && list[last - 1].end() > end ? list[last - 1].withRange(end, list[last - 1].end()) : null;
        for (int i = first; i < last; i++) {
            Vma v = list[i];
            removed.add(v.withRange(Math.max(v.start(), start), Math.min(v.end(), end)));
        }
        Vma[] next = new Vma[first + count(below) + count(filler) + count(above) + list.length - last];
        System.arraycopy(list, 0, next, 0, first);
        int at = first;
        if (below != null) {
            next[at++] = below;
        }
        if (filler != null) {
            next[at++] = filler;
        }
        if (above != null) {
            next[at++] = above;
        }
        System.arraycopy(list, last, next, at, list.length - last);
        return next;
    }

    private static int count(Vma v) {
        return v == null ? 0 : 1;
    }

    /** Whether {@code [start, end)} is free of VMAs and quarantined ranges. */
    private boolean isFree(long start, long end) {
        return !overlapsVma(start, end) && !quarantineOverlaps(start, end);
    }

    /**
     * Sets the protection of the mapped parts of {@code [start, start + length)}, splitting VMAs at the
     * edges. Returns the ranges whose protection changed, each with its old protection.
     */
    public synchronized List<Vma> protect(long start, long length, int protection) {
        long end = start + pageRound(length);
        checkUserRange(start, end);
        Vma[] list = vmas;
        int first = firstEndingAfter(list, start);
        int last = first;
        while (last < list.length && list[last].start() < end) {
            last++;
        }
        List<Vma> changed = new ArrayList<>();
        List<Vma> middle = new ArrayList<>(last - first + 2);
        for (int i = first; i < last; i++) {
            Vma v = list[i];
            if (v.protection() == protection) {
                middle.add(v);
                continue;
            }
            long s = Math.max(v.start(), start);
            long e = Math.min(v.end(), end);
            if (v.start() < s) {
                middle.add(v.withRange(v.start(), s));
            }
            middle.add(v.withRange(s, e).withProtection(protection));
            if (v.end() > e) {
                middle.add(v.withRange(e, v.end()));
            }
            changed.add(new Vma(s, e, v.protection()));
        }
        if (!changed.isEmpty()) {
            // the VMAs outside the range stay as they are, copied in bulk around the rebuilt middle
            Vma[] next = new Vma[first + middle.size() + list.length - last];
            System.arraycopy(list, 0, next, 0, first);
            for (int i = 0; i < middle.size(); i++) {
                next[first + i] = middle.get(i);
            }
            System.arraycopy(list, last, next, first + middle.size(), list.length - last);
            vmas = next;
        }
        return changed;
    }

    /** Replaces the VMA list wholesale (fork copies its parent's). */
    public synchronized void copyVmasFrom(AddressSpace other) {
        vmas = other.vmas;
    }

    private void insert(Vma vma) {
        vmas = inserted(vmas, vma);
    }

    /** A copy of {@code list} (sorted, non-overlapping) with {@code vma}, which overlaps none of it, in its place. */
    private static Vma[] inserted(Vma[] list, Vma vma) {
        int i = firstEndingAfter(list, vma.start());
        Vma[] next = new Vma[list.length + 1];
        System.arraycopy(list, 0, next, 0, i);
        next[i] = vma;
        System.arraycopy(list, i, next, i + 1, list.length - i);
        return next;
    }

    private static long pageRound(long length) {
        if (length <= 0) {
            throw new IllegalArgumentException("length must be positive: " + length);
        }
        return (length + PhysicalMemory.PAGE_OFFSET_MASK) & ~PhysicalMemory.PAGE_OFFSET_MASK;
    }

    private static void checkUserRange(long start, long end) {
        if ((start & PhysicalMemory.PAGE_OFFSET_MASK) != 0) {
            throw new IllegalArgumentException("start 0x" + Long.toHexString(start) + " is not page-aligned");
        }
        if (start < 0 || end > PageTable.USER_VA_LIMIT || end <= start) {
            throw new IllegalArgumentException("[0x" + Long.toHexString(start) + ", 0x" + Long.toHexString(end)
                    + ") is not inside user space");
        }
    }

    @Override
    public String toString() {
        return "AddressSpace#" + id + "(root=" + root + ", asid=" + asid + ", cpus=" + cpuMask + ")";
    }
}
