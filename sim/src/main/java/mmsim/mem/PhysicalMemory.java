package mmsim.mem;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.agrona.UnsafeAccess;
import sun.misc.Unsafe;

/**
 * The simulated machine's physical memory: {@code frames × 4096} real bytes off the Java heap, taken from
 * the host a chunk at a time, when a frame of the chunk is first used, so that a machine costs host memory
 * in proportion to the frames its workloads touch, not to its size ({@code memory=1TiB} boots on a 24 GiB
 * host).
 *
 * <p>Layout: {@value #CHUNK_FRAMES} frames ({@link #CHUNK_BYTES}, 2 MiB) per chunk. A chunk is one
 * {@code Unsafe.allocateMemory}, made by the first {@link #frameAddress(int)} of any of its frames and kept
 * at the same host address until {@link #close()}: a TLB entry may hold a frame's host address for the life
 * of the machine. A frame's host address is its chunk's base (one load from the chunk table) plus
 * {@code (frame mod 512) << 12}, page-aligned, so a TLB entry can hold it with flags in its low bits. Frames
 * hold user data and page-table pages alike. A machine's last chunk takes only what its frames need, so a
 * 64 KiB machine still costs 64 KiB. A frame's bytes are undefined until written, as they were when all of
 * memory was one {@code allocateMemory}: the kernel zeroes or copies every frame it hands out.
 *
 * <p>Why 2 MiB chunks: the chunk table costs 8 bytes per chunk for the whole machine at boot (4 MiB for
 * 1 TiB, 16 MiB for the 4 TiB maximum), which rules out much smaller chunks; a first touch costs a whole
 * chunk of host memory and one {@code malloc}, which rules out much larger ones. 2 MiB is the span of one
 * leaf page table and of an x86 huge page, and the 256 MiB default machine is 128 chunks.
 *
 * <p>Chunk publication: the first user allocates the chunk and installs its base with a CAS from 0; a loser
 * frees its own allocation and uses the winner's. {@link #frameAddress} reads the table with a plain load: a
 * slot goes from 0 to its chunk's base once and keeps it until {@link #close()}, so a reader sees the base or
 * 0, and 0 sends it to the slow path, whose CAS returns the installed base. (The frame's contents are ordered
 * by whatever handed the frame number over: the frame pool, or the release store of the entry that maps it and
 * the acquire load that read it; a chunk's own bytes are undefined until written.) An acquire load is the same
 * instruction on x86 and ARMv8 but, to C2, a barrier to moving the loads after it: every level of a page walk
 * paid one, and a TLB miss + 4-level walk took 48.97 ns against 46.20 with the plain load, direct-mapped
 * 33.37 against 31.67 (fastest of 4 interleaved forks each, {@code AccessPathBenchmark}, JDK 25, 2 host
 * cores). A frame number reaches a CPU only after the frame was handed out and (for a mapped page) its entry
 * published, so the walk path nearly always finds the chunk installed. If the host refuses a chunk, the access fails with a
 * {@link HostMemoryExhaustedException} saying so.
 *
 * <p>Access modes, in method names as in JCTools: {@code lv} volatile load, {@code la} acquire load,
 * {@code lp} plain load, {@code so} ordered (release) store, {@code sp} plain store, {@code cas}
 * compare-and-set (volatile). Page-table entries are read with {@code la}/{@code lv} and changed with
 * {@code cas}/{@code so}; a release store or CAS pairs with an acquire load of the same word.
 * User data is accessed plainly: ordering of a simulated program's own data races is its business.
 *
 * <p>Thread-safety: every method may be called from any thread until {@link #close()}. The methods taking
 * a host address perform no bounds check: callers derive addresses only from {@link #frameAddress(int)} of
 * a checked frame, and a frame never spans two chunks. {@link #close()} frees every chunk; nothing may touch
 * the memory afterwards.
 */
public final class PhysicalMemory implements AutoCloseable {
    public static final int PAGE_SHIFT = 12;
    public static final int PAGE_SIZE = 1 << PAGE_SHIFT;
    public static final long PAGE_OFFSET_MASK = PAGE_SIZE - 1;
    /** log2 of the frames in one chunk of host memory. */
    public static final int CHUNK_SHIFT = 9;
    /** Frames in one chunk of host memory. */
    public static final int CHUNK_FRAMES = 1 << CHUNK_SHIFT;
    /** Bytes of simulated memory in one chunk: 2 MiB. */
    public static final long CHUNK_BYTES = (long) CHUNK_FRAMES << PAGE_SHIFT;
    /** What a whole chunk takes from the host allocator: its bytes and a page of slack to align them. */
    static final long CHUNK_ALLOCATION_BYTES = CHUNK_BYTES + PAGE_SIZE;

    static final Unsafe UNSAFE = UnsafeAccess.UNSAFE;
    private static final VarHandle CHUNK_BASES = MethodHandles.arrayElementVarHandle(long[].class);
    private static final int FRAME_IN_CHUNK_MASK = CHUNK_FRAMES - 1;

    /** Where the native bytes come from: {@code Unsafe} outside tests. */
    interface HostAllocator {
        HostAllocator UNSAFE_ALLOCATOR = new HostAllocator() {
            @Override
            public long allocate(long bytes) {
                return UNSAFE.allocateMemory(bytes);
            }

            @Override
            public void free(long address) {
                UNSAFE.freeMemory(address);
            }
        };

        /** A new block of {@code bytes}, at least 8-byte aligned; throws {@link OutOfMemoryError} if the host has none. */
        long allocate(long bytes);

        void free(long address);
    }

    /** An installed chunk: its index and what the allocator returned (its base is that, page-aligned). */
    private record Chunk(int index, long allocation) {
    }

    private final int frames;
    private final HostAllocator allocator;
    /** Each chunk's page-aligned base address, or 0 until installed; read with acquire, written once by CAS. */
    private final long[] chunkBases;
    /** The installed chunks by base address: for {@link #frameOfAddress} and {@link #close()}. */
    private final ConcurrentSkipListMap<Long, Chunk> chunksByBase = new ConcurrentSkipListMap<>();
    private final AtomicInteger chunksInstalled = new AtomicInteger();
    /** Bytes the installed chunks took from the host allocator. */
    private final AtomicLong chunkBytesInstalled = new AtomicLong();
    /** One frame of zeros outside simulated memory: copying it is the fastest way to zero a frame. */
    private final long zeroPage;
    private volatile boolean closed;

    /**
     * Reserves nothing but the chunk table (8 bytes per 2 MiB) and a zero page; chunks come on first use.
     *
     * @param frames 4 KiB frames, 0 to frames-1
     */
    public PhysicalMemory(int frames) {
        this(frames, HostAllocator.UNSAFE_ALLOCATOR);
    }

    PhysicalMemory(int frames, HostAllocator allocator) {
        if (frames <= 0) {
            throw new IllegalArgumentException("frames must be positive: " + frames);
        }
        this.frames = frames;
        this.allocator = allocator;
        this.chunkBases = new long[(int) (((long) frames + CHUNK_FRAMES - 1) >>> CHUNK_SHIFT)];
        this.zeroPage = allocateFromHost(PAGE_SIZE, "the zero page");
        UNSAFE.setMemory(zeroPage, PAGE_SIZE, (byte) 0);
    }

    public int frames() {
        return frames;
    }

    public long bytes() {
        return (long) frames << PAGE_SHIFT;
    }

    /**
     * The host address of {@code frame}'s first byte: page-aligned, the same for the life of the machine.
     * The first call for a frame of a chunk not yet used allocates the chunk.
     *
     * @throws HostMemoryExhaustedException when the host cannot allocate that chunk
     */
    public long frameAddress(int frame) {
        checkFrame(frame);
        int chunk = frame >>> CHUNK_SHIFT;
        // plain: the slot only ever goes from 0 to its base, once, so a plain load reads the base or 0, and 0 takes the
        // slow path; an acquire load here was a compiler barrier at every level of every page walk (see the class comment)
        long chunkBase = chunkBases[chunk];
        if (chunkBase == 0) {
            chunkBase = installChunkSlowPath(chunk);
        }
        return chunkBase + ((long) (frame & FRAME_IN_CHUNK_MASK) << PAGE_SHIFT);
    }

    /**
     * The frame containing host address {@code address}, which must lie in a frame of this memory. A lookup
     * in a sorted map of the chunks (O(log chunks)): for checks and tools, not for hot paths.
     */
    public int frameOfAddress(long address) {
        Map.Entry<Long, Chunk> below = chunksByBase.floorEntry(address);
        if (below != null) {
            long offset = address - below.getKey();
            int frame = (below.getValue().index() << CHUNK_SHIFT) + (int) (offset >>> PAGE_SHIFT);
            if (offset < CHUNK_BYTES && frame < frames && chunkBase(below.getValue().index()) == below.getKey()) {
                return frame;
            }
        }
        throw new IllegalArgumentException("host address 0x" + Long.toHexString(address) + " is outside physical memory");
    }

    /** Chunks of host memory allocated so far. Grows with the frames touched; never shrinks before {@link #close()}. */
    public int chunksAllocated() {
        return chunksInstalled.get();
    }

    /**
     * Bytes of host memory this physical memory holds from the host allocator: every chunk allocated so far
     * ({@link #CHUNK_BYTES}, or what the frames of a machine's last, partial chunk need, and a page of
     * alignment slack each) and the zero page. Readable at any time; each chunk counts once it is installed.
     * The chunk table (8 bytes per chunk of the whole machine, on the Java heap) is not included.
     */
    public long hostBytesAllocated() {
        return chunkBytesInstalled.get() + PAGE_SIZE;
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

    /** Frees every chunk and the zero page. The caller guarantees that no thread touches the memory again. */
    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            for (Chunk chunk : chunksByBase.values()) {
                allocator.free(chunk.allocation());
            }
            chunksByBase.clear();
            allocator.free(zeroPage);
        }
    }

    private long chunkBase(int chunk) {
        return (long) CHUNK_BASES.getAcquire(chunkBases, chunk);
    }

    /** Allocates chunk {@code chunk} and installs it, unless another thread installed it first. Returns its base. */
    private long installChunkSlowPath(int chunk) {
        if (closed) {
            throw new IllegalStateException("physical memory is closed");
        }
        int firstFrame = chunk << CHUNK_SHIFT;
        int chunkFrames = Math.min(CHUNK_FRAMES, frames - firstFrame);
        // a small machine's only chunk is only as large as its frames: jcstress builds such machines by the thousand
        long bytes = ((long) chunkFrames << PAGE_SHIFT) + PAGE_SIZE;
        long allocation = allocateFromHost(bytes, "chunk " + chunk + " (frames " + firstFrame + " to "
                + (firstFrame + chunkFrames - 1) + ")");
        long base = (allocation + PAGE_OFFSET_MASK) & ~PAGE_OFFSET_MASK;
        // in the map before the table, so an address anyone can obtain is always found by frameOfAddress
        chunksByBase.put(base, new Chunk(chunk, allocation));
        long witness = (long) CHUNK_BASES.compareAndExchange(chunkBases, chunk, 0L, base);
        if (witness != 0) {
            chunksByBase.remove(base);
            allocator.free(allocation);
            return witness;
        }
        chunkBytesInstalled.addAndGet(bytes);
        chunksInstalled.incrementAndGet();
        return base;
    }

    private long allocateFromHost(long bytes, String what) {
        try {
            return allocator.allocate(bytes);
        } catch (OutOfMemoryError e) {
            throw new HostMemoryExhaustedException("the host cannot allocate " + bytes + " bytes for " + what
                    + " of simulated physical memory (" + frames + " frames, " + chunksInstalled.get()
                    + " chunks of " + (CHUNK_BYTES >> 20) + " MiB already allocated, "
                    + (hostBytesAllocated() >> 20) + " MiB in all): lower the memory setting or the"
                    + " workload's footprint, or give this process more host memory", e);
        }
    }
}
