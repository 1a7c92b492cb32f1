package mmsim.mem;

import org.agrona.UnsafeAccess;
import sun.misc.Unsafe;

/**
 * The simulated machine's physical memory: {@code frames × 4096} real bytes off the Java heap.
 *
 * <p>Layout: one contiguous native region from {@code Unsafe.allocateMemory}, addressed with 64-bit
 * offsets, so there is no 2 GiB limit and nothing to chunk: a frame's host address is
 * {@code base + (frame << 12)}, page-aligned, so a TLB entry can hold it with flags in its low bits. The host OS commits pages lazily, so a large machine costs host memory
 * only for what its workloads touch. Frames hold user data and page-table pages alike.
 *
 * <p>Access modes, in method names as in JCTools: {@code lv} volatile load, {@code la} acquire load,
 * {@code lp} plain load, {@code so} ordered (release) store, {@code sp} plain store, {@code cas}
 * compare-and-set (volatile). Page-table entries are read with {@code la}/{@code lv} and changed with
 * {@code cas}/{@code so}; a release store or CAS pairs with an acquire load of the same word.
 * User data is accessed plainly: ordering of a simulated program's own data races is its business.
 *
 * <p>The methods taking a host address perform no bounds check: callers derive addresses only from
 * {@link #frameAddress(int)} of a checked frame. {@link #close()} frees the region; nothing may touch
 * it afterwards.
 */
public final class PhysicalMemory implements AutoCloseable {
    public static final int PAGE_SHIFT = 12;
    public static final int PAGE_SIZE = 1 << PAGE_SHIFT;
    public static final long PAGE_OFFSET_MASK = PAGE_SIZE - 1;

    static final Unsafe UNSAFE = UnsafeAccess.UNSAFE;

    private final int frames;
    /** What allocateMemory returned; {@link #base} is it rounded up to a page boundary. */
    private final long allocation;
    private final long base;
    /** One frame of zeros outside simulated memory: copying it is the fastest way to zero a frame. */
    private final long zeroPage;
    private volatile boolean closed;

    public PhysicalMemory(int frames) {
        if (frames <= 0) {
            throw new IllegalArgumentException("frames must be positive: " + frames);
        }
        this.frames = frames;
        long bytes = (long) frames << PAGE_SHIFT;
        try {
            this.allocation = UNSAFE.allocateMemory(bytes + PAGE_SIZE);
            this.base = (allocation + PAGE_OFFSET_MASK) & ~PAGE_OFFSET_MASK;
        } catch (OutOfMemoryError e) {
            throw new IllegalStateException("the host cannot allocate " + bytes + " bytes of simulated physical memory", e);
        }
        this.zeroPage = UNSAFE.allocateMemory(PAGE_SIZE);
        UNSAFE.setMemory(zeroPage, PAGE_SIZE, (byte) 0);
    }

    public int frames() {
        return frames;
    }

    public long bytes() {
        return (long) frames << PAGE_SHIFT;
    }

    /** The host address of {@code frame}'s first byte. */
    public long frameAddress(int frame) {
        checkFrame(frame);
        return base + ((long) frame << PAGE_SHIFT);
    }

    /** The frame containing host address {@code address}, which must lie in this memory. */
    public int frameOfAddress(long address) {
        long offset = address - base;
        if (offset < 0 || offset >= bytes()) {
            throw new IllegalArgumentException("host address 0x" + Long.toHexString(address) + " is outside physical memory");
        }
        return (int) (offset >>> PAGE_SHIFT);
    }

    public void checkFrame(int frame) {
        if (frame < 0 || frame >= frames) {
            throw new IllegalArgumentException("frame " + frame + " is outside physical memory [0, " + frames + ")");
        }
    }

    /** Fills {@code frame} with zeros. */
    public void zeroFrame(int frame) {
        UNSAFE.copyMemory(zeroPage, frameAddress(frame), PAGE_SIZE);
    }

    /** Copies all 4096 bytes of {@code source} into {@code destination}. */
    public void copyFrame(int source, int destination) {
        UNSAFE.copyMemory(frameAddress(source), frameAddress(destination), PAGE_SIZE);
    }

    // ---- byte-level access by frame and offset: checked, for kernels, tests and tools ----

    public byte getByte(int frame, int offset) {
        return UNSAFE.getByte(checkedAddress(frame, offset, 1));
    }

    public void putByte(int frame, int offset, byte value) {
        UNSAFE.putByte(checkedAddress(frame, offset, 1), value);
    }

    public long getLong(int frame, int offset) {
        return UNSAFE.getLong(checkedAddress(frame, offset, 8));
    }

    public void putLong(int frame, int offset, long value) {
        UNSAFE.putLong(checkedAddress(frame, offset, 8), value);
    }

    /** Copies {@code length} bytes from the frame into {@code target[targetOffset..]}. */
    public void readBytes(int frame, int offset, byte[] target, int targetOffset, int length) {
        long address = checkedAddress(frame, offset, length);
        UNSAFE.copyMemory(null, address, target, Unsafe.ARRAY_BYTE_BASE_OFFSET + (long) targetOffset, length);
    }

    /** Copies {@code length} bytes of {@code source[sourceOffset..]} into the frame. */
    public void writeBytes(int frame, int offset, byte[] source, int sourceOffset, int length) {
        long address = checkedAddress(frame, offset, length);
        UNSAFE.copyMemory(source, Unsafe.ARRAY_BYTE_BASE_OFFSET + (long) sourceOffset, null, address, length);
    }

    private long checkedAddress(int frame, int offset, int length) {
        if (offset < 0 || length < 0 || offset + length > PAGE_SIZE) {
            throw new IllegalArgumentException("bytes [" + offset + ", " + (offset + length) + ") are not inside one frame");
        }
        return frameAddress(frame) + offset;
    }

    // ---- unchecked access by host address: the MMU's and the page table's hot paths ----

    public static byte lpByte(long address) {
        return UNSAFE.getByte(address);
    }

    public static void spByte(long address, byte value) {
        UNSAFE.putByte(address, value);
    }

    public static int lpInt(long address) {
        return UNSAFE.getInt(address);
    }

    public static void spInt(long address, int value) {
        UNSAFE.putInt(address, value);
    }

    public static long lpLong(long address) {
        return UNSAFE.getLong(address);
    }

    public static void spLong(long address, long value) {
        UNSAFE.putLong(address, value);
    }

    /** Volatile load: also orders against later loads and stores. */
    public static long lvLong(long address) {
        return UNSAFE.getLongVolatile(null, address);
    }

    /**
     * Acquire load. sun.misc.Unsafe has no acquire-only load; a volatile load is at least as strong and
     * on x86 and ARMv8 (ldar) costs the same as an acquire.
     */
    public static long laLong(long address) {
        return UNSAFE.getLongVolatile(null, address);
    }

    /** Release store: every earlier store is visible before this one. */
    public static void soLong(long address, long value) {
        UNSAFE.putOrderedLong(null, address, value);
    }

    /** Volatile compare-and-set. */
    public static boolean casLong(long address, long expected, long update) {
        return UNSAFE.compareAndSwapLong(null, address, expected, update);
    }

    /** Copies {@code length} bytes between host addresses inside this memory or from/to a Java array. */
    public static void copy(Object srcBase, long srcOffset, Object dstBase, long dstOffset, long length) {
        UNSAFE.copyMemory(srcBase, srcOffset, dstBase, dstOffset, length);
    }

    public boolean isClosed() {
        return closed;
    }

    /** Frees the native memory. The caller guarantees that no thread touches it again. */
    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            UNSAFE.freeMemory(allocation);
            UNSAFE.freeMemory(zeroPage);
        }
    }
}
