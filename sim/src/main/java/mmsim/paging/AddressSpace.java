package mmsim.paging;

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

    private final int id;
    private final int root;
    private final CpuMask cpuMask;
    private final AtomicLong tlbGeneration = new AtomicLong();
    private final java.util.Set<Downgrade> downgrades = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private volatile int asid;
    private volatile Vma[] vmas = new Vma[0];

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

    /** A snapshot of every VMA, in address order. */
    public List<Vma> vmas() {
        return List.of(vmas);
    }

    /**
     * Maps {@code length} bytes (rounded up to pages) at the lowest free address at or above
     * {@link #MMAP_BASE}; returns the start.
     */
    public synchronized long map(long length, int protection) {
        long bytes = pageRound(length);
        long candidate = MMAP_BASE;
        List<Vma> taken = new ArrayList<>(List.of(vmas));
        if (!quarantined.isEmpty()) {
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
        if (candidate + bytes > PageTable.USER_VA_LIMIT) {
            throw new IllegalStateException("no room for " + bytes + " bytes in the user address space");
        }
        insert(new Vma(candidate, candidate + bytes, protection));
        return candidate;
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
        for (int i = 0; i < list.length; i++) {
            if (list[i].start() == start) {
                list[i] = new Vma(start, list[i].end(), protection, object, 0);
            }
        }
        vmas = list;
        return start;
    }

    /** Maps {@code [start, start + length)}, which must not overlap an existing VMA or a quarantined range. */
    public synchronized void mapFixed(long start, long length, int protection) {
        long end = start + pageRound(length);
        checkUserRange(start, end);
        List<Vma> taken = new ArrayList<>(List.of(vmas));
        taken.addAll(quarantined);
        for (Vma v : taken) {
            if (v.start() < end && start < v.end()) {
                throw new IllegalArgumentException("[0x" + Long.toHexString(start) + ", 0x" + Long.toHexString(end)
                        + ") overlaps " + v);
            }
        }
        insert(new Vma(start, end, protection));
    }

    /**
     * Removes {@code [start, start + length)} from every VMA, splitting those it cuts. Returns the
     * ranges that were mapped (the pages whose translations the kernel must now remove).
     */
    public synchronized List<Vma> unmap(long start, long length) {
        long end = start + pageRound(length);
        checkUserRange(start, end);
        List<Vma> kept = new ArrayList<>();
        List<Vma> removed = new ArrayList<>();
        for (Vma v : vmas) {
            if (v.end() <= start || v.start() >= end) {
                kept.add(v);
                continue;
            }
            if (v.start() < start) {
                kept.add(v.withRange(v.start(), start));
            }
            if (v.end() > end) {
                kept.add(v.withRange(end, v.end()));
            }
            removed.add(v.withRange(Math.max(v.start(), start), Math.min(v.end(), end)));
        }
        vmas = kept.toArray(new Vma[0]);
        return removed;
    }

    /**
     * Sets the protection of the mapped parts of {@code [start, start + length)}, splitting VMAs at the
     * edges. Returns the ranges whose protection changed, each with its old protection.
     */
    public synchronized List<Vma> protect(long start, long length, int protection) {
        long end = start + pageRound(length);
        checkUserRange(start, end);
        List<Vma> result = new ArrayList<>();
        List<Vma> changed = new ArrayList<>();
        for (Vma v : vmas) {
            if (v.end() <= start || v.start() >= end || v.protection() == protection) {
                result.add(v);
                continue;
            }
            long s = Math.max(v.start(), start);
            long e = Math.min(v.end(), end);
            if (v.start() < s) {
                result.add(v.withRange(v.start(), s));
            }
            result.add(v.withRange(s, e).withProtection(protection));
            if (v.end() > e) {
                result.add(v.withRange(e, v.end()));
            }
            changed.add(new Vma(s, e, v.protection()));
        }
        vmas = result.toArray(new Vma[0]);
        return changed;
    }

    /** Replaces the VMA list wholesale (fork copies its parent's). */
    public synchronized void copyVmasFrom(AddressSpace other) {
        vmas = other.vmas;
    }

    private void insert(Vma vma) {
        Vma[] old = vmas;
        Vma[] next = new Vma[old.length + 1];
        int i = 0;
        while (i < old.length && old[i].start() < vma.start()) {
            next[i] = old[i];
            i++;
        }
        next[i] = vma;
        System.arraycopy(old, i, next, i + 1, old.length - i);
        vmas = next;
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
