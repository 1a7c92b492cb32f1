package mmsim.mem;

import java.io.IOException;
import java.lang.invoke.MethodHandle;
import java.lang.reflect.Array;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Simulated memory on the host's transparent huge pages: each 2 MiB chunk of {@link PhysicalMemory} mapped at a
 * 2 MiB-aligned host address ({@code mmap}, then {@code munmap} of the unaligned ends) and advised
 * {@code madvise(MADV_HUGEPAGE)}, so the host kernel backs it with one 2 MiB page instead of 512 pages of 4 KiB.
 *
 * <p>Why: a large simulated machine touches hundreds of megabytes of simulated memory (chaos on 256 CPUs: 600 MB),
 * and each walk of a simulated page table reads four frames that may lie anywhere in it. On 4 KiB host pages every
 * first touch is a host page fault (on a virtual machine, microseconds each) and most of those reads miss the host's
 * own TLB; on 2 MiB pages a chunk takes one fault and one host TLB entry. The chunk layout already matches: a chunk
 * is 2 MiB, the span of one leaf page table. {@code malloc}'ed chunks are not 2 MiB-aligned, so the host could never
 * back them with huge pages, and the host kernel's default mode ({@code madvise}) wants the advice anyway. Measured
 * numbers: benchmarks/README.md, "Simulated memory on host huge pages".
 *
 * <p>How: the calls go through the Foreign Function and Memory API (JDK 22+), looked up by reflection so that the
 * release-17 build carries this class and a JDK 17 simply reports it unavailable, as {@code mmsim.kernel.TaskThreads}
 * does for virtual threads. Linux on x86-64 or AArch64 only (the {@code mmap} and {@code madvise} constants below are
 * theirs). A process that has not enabled native access ({@code --enable-native-access=ALL-UNNAMED}, which
 * {@code ./mmsim} passes) is reported unavailable too, rather than have the JDK print a warning for it.
 *
 * <p>Which chunks: only whole ones (a machine's last, partial chunk and the zero page are smaller than a huge page
 * and come from {@code Unsafe.allocateMemory} as before). Memory from {@code mmap} is zeroed, {@code malloc}'s need
 * not be; {@link PhysicalMemory} promises nothing about a frame's bytes before it is written either way. Host memory
 * then grows by 2 MiB at a chunk's first touch instead of 4 KiB at each page's: the frame pool hands frames out
 * densely, so a run's resident size moves little (chaos on 256 CPUs: 1.3-1.5 GB either way).
 *
 * <p>Thread-safety: {@link #ALLOCATOR} may be used from any thread; the availability check runs once, when this class
 * is initialised.
 */
public final class HostHugePages {
    private static final int PROT_READ = 0x1;
    private static final int PROT_WRITE = 0x2;
    private static final int MAP_PRIVATE = 0x02;
    private static final int MAP_ANONYMOUS = 0x20;
    private static final int MADV_HUGEPAGE = 14;
    private static final long MAP_FAILED = -1L;
    /** The host's transparent-huge-page mode: {@code always}, {@code madvise} or {@code never} in brackets. */
    static final Path THP_MODE = Path.of("/sys/kernel/mm/transparent_hugepage/enabled");

    private static final MethodHandle MMAP;
    private static final MethodHandle MUNMAP;
    private static final MethodHandle MADVISE;
    /** Null when huge pages can be used, else why not. */
    private static final String UNAVAILABLE;

    static {
        MethodHandle mmap = null;
        MethodHandle munmap = null;
        MethodHandle madvise = null;
        String why = hostReason();
        if (why == null) {
            try {
                NativeCalls calls = new NativeCalls();
                mmap = calls.handle("mmap", "long", "long", "long", "int", "int", "int", "long");
                munmap = calls.handle("munmap", "int", "long", "long");
                madvise = calls.handle("madvise", "int", "long", "long", "int");
            } catch (ReflectiveOperationException | RuntimeException e) {
                why = "the JDK's foreign function API did not link mmap, munmap and madvise (" + e + ")";
            }
        }
        MMAP = mmap;
        MUNMAP = munmap;
        MADVISE = madvise;
        if (why == null) {
            why = probe();
        }
        UNAVAILABLE = why;
    }

    /** Whole chunks from {@code mmap}, 2 MiB-aligned and advised; anything smaller from {@code Unsafe}. */
    static final PhysicalMemory.HostAllocator ALLOCATOR = new PhysicalMemory.HostAllocator() {
        /** The length of each mapping this allocator made, by address: {@code munmap} needs it. */
        private final Map<Long, Long> mapped = new ConcurrentHashMap<>();

        @Override
        public long allocate(long bytes) {
            long length = (bytes + PhysicalMemory.PAGE_OFFSET_MASK) & ~PhysicalMemory.PAGE_OFFSET_MASK;
            if (length < PhysicalMemory.CHUNK_BYTES) {
                return PhysicalMemory.HostAllocator.UNSAFE_ALLOCATOR.allocate(bytes);
            }
            long address = mapHugeAligned(length);
            if (address == 0) {
                throw new OutOfMemoryError("the host refused a mapping of " + length + " bytes (mmap)");
            }
            mapped.put(address, length);
            return address;
        }

        @Override
        public void free(long address) {
            Long length = mapped.remove(address);
            if (length == null) {
                PhysicalMemory.HostAllocator.UNSAFE_ALLOCATOR.free(address);
            } else {
                unmap(address, length);
            }
        }
    };

    private HostHugePages() {
    }

    /** Whether simulated memory can be put on huge pages in this JVM on this host. */
    public static boolean available() {
        return UNAVAILABLE == null;
    }

    /** Why {@link #available()} is false (one sentence, for an error message); null when it is true. */
    public static String unavailableReason() {
        return UNAVAILABLE;
    }

    /** The host's transparent-huge-page mode ({@code always}, {@code madvise}, {@code never}), or null if unknown. */
    static String hostMode() {
        try {
            String line = Files.readString(THP_MODE).trim();
            int open = line.indexOf('[');
            int close = line.indexOf(']', open + 1);
            return open >= 0 && close > open ? line.substring(open + 1, close) : null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** Why the host or this JVM rules huge pages out before any native call, or null. */
    private static String hostReason() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "");
        if (!os.startsWith("linux") || !(arch.equals("amd64") || arch.equals("x86_64") || arch.equals("aarch64"))) {
            return "host huge pages are implemented for Linux on x86-64 and AArch64; this host is " + os + " " + arch;
        }
        if (Runtime.version().feature() < 22) {
            return "host huge pages need JDK 22 or newer (its foreign function API); this JVM is " + Runtime.version();
        }
        String mode = hostMode();
        if (mode == null) {
            return "the host kernel has no transparent huge pages (" + THP_MODE + " is missing or unreadable)";
        }
        if (mode.equals("never")) {
            return "the host kernel's transparent huge pages are off (" + THP_MODE + " says never)";
        }
        try {
            Method enabled = Module.class.getMethod("isNativeAccessEnabled");
            if (!(Boolean) enabled.invoke(HostHugePages.class.getModule())) {
                return "native access is not enabled for mmsim (run java with --enable-native-access=ALL-UNNAMED, as ./mmsim does)";
            }
        } catch (ReflectiveOperationException e) {
            return "this JVM cannot tell whether native access is enabled (" + e + ")";
        }
        return null;
    }

    /** Maps and advises one huge-page-sized region and unmaps it again; why that failed, or null. */
    private static String probe() {
        long address = mapHugeAligned(PhysicalMemory.CHUNK_BYTES);
        if (address == 0) {
            return "a test mapping of " + PhysicalMemory.CHUNK_BYTES + " bytes failed (mmap or madvise returned -1)";
        }
        unmap(address, PhysicalMemory.CHUNK_BYTES);
        return null;
    }

    /**
     * Maps {@code length} bytes (page multiple, at least 2 MiB) at a 2 MiB-aligned address and advises its whole
     * huge pages; returns the address, or 0 if the host refused the mapping or the advice (nothing stays mapped).
     */
    private static long mapHugeAligned(long length) {
        long span = length + PhysicalMemory.CHUNK_BYTES;   // room to slide to a 2 MiB boundary
        long start;
        try {
            start = (long) MMAP.invokeExact(0L, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0L);
        } catch (Throwable t) {
            throw new IllegalStateException("mmap failed", t);
        }
        if (start == MAP_FAILED || start == 0) {
            return 0;
        }
        long aligned = (start + PhysicalMemory.CHUNK_BYTES - 1) & -PhysicalMemory.CHUNK_BYTES;
        long end = aligned + length;
        if (aligned > start) {
            unmap(start, aligned - start);
        }
        if (start + span > end) {
            unmap(end, start + span - end);
        }
        int advised;
        try {
            advised = (int) MADVISE.invokeExact(aligned, length & -PhysicalMemory.CHUNK_BYTES, MADV_HUGEPAGE);
        } catch (Throwable t) {
            throw new IllegalStateException("madvise failed", t);
        }
        if (advised != 0) {
            unmap(aligned, length);
            return 0;
        }
        return aligned;
    }

    private static void unmap(long address, long length) {
        int result;
        try {
            result = (int) MUNMAP.invokeExact(address, length);
        } catch (Throwable t) {
            throw new IllegalStateException("munmap failed", t);
        }
        if (result != 0) {
            throw new IllegalStateException("munmap(0x" + Long.toHexString(address) + ", " + length + ") failed");
        }
    }

    /**
     * Downcall handles through {@code java.lang.foreign} (JDK 22+), by reflection: the project compiles for release 17.
     * Each C type is given as {@code long} (a pointer or {@code size_t}/{@code off_t}: 64 bits on the two supported
     * targets) or {@code int}.
     */
    private static final class NativeCalls {
        private final Object linker;
        private final Object lookup;
        private final Class<?> layoutType;
        private final Method find;
        private final Method descriptorOf;
        private final Method downcall;
        private final Object noOptions;
        private final Object longLayout;
        private final Object intLayout;

        NativeCalls() throws ReflectiveOperationException {
            Class<?> linkerType = Class.forName("java.lang.foreign.Linker");
            Class<?> lookupType = Class.forName("java.lang.foreign.SymbolLookup");
            Class<?> descriptorType = Class.forName("java.lang.foreign.FunctionDescriptor");
            Class<?> segmentType = Class.forName("java.lang.foreign.MemorySegment");
            Class<?> optionType = Class.forName("java.lang.foreign.Linker$Option");
            Class<?> valueLayoutType = Class.forName("java.lang.foreign.ValueLayout");
            layoutType = Class.forName("java.lang.foreign.MemoryLayout");
            linker = linkerType.getMethod("nativeLinker").invoke(null);
            lookup = linkerType.getMethod("defaultLookup").invoke(linker);
            find = lookupType.getMethod("find", String.class);
            Class<?> layouts = Array.newInstance(layoutType, 0).getClass();
            descriptorOf = descriptorType.getMethod("of", layoutType, layouts);
            noOptions = Array.newInstance(optionType, 0);
            downcall = linkerType.getMethod("downcallHandle", segmentType, descriptorType, noOptions.getClass());
            longLayout = valueLayoutType.getField("JAVA_LONG").get(null);
            intLayout = valueLayoutType.getField("JAVA_INT").get(null);
        }

        MethodHandle handle(String name, String result, String... parameters) throws ReflectiveOperationException {
            Optional<?> symbol = (Optional<?>) find.invoke(lookup, name);
            if (symbol.isEmpty()) {
                throw new NoSuchMethodException("no symbol " + name + " in the default native library lookup");
            }
            Object arguments = Array.newInstance(layoutType, parameters.length);
            for (int i = 0; i < parameters.length; i++) {
                Array.set(arguments, i, layout(parameters[i]));
            }
            Object descriptor = descriptorOf.invoke(null, layout(result), arguments);
            return (MethodHandle) downcall.invoke(linker, symbol.get(), descriptor, noOptions);
        }

        private Object layout(String type) {
            return type.equals("long") ? longLayout : intLayout;
        }
    }
}
