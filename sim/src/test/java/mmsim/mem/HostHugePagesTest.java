package mmsim.mem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import mmsim.Machine;
import mmsim.config.ConfigException;
import mmsim.config.MachineConfig;

/**
 * Simulated memory on host huge pages ({@link HostHugePages}): where this JVM and host offer them (the JDK 25 test
 * run, which enables native access, on a Linux host whose transparent huge pages are not off), a whole chunk is
 * mapped 2 MiB-aligned with the kernel's huge-page advice on its mapping, holds its bytes, and is unmapped on close;
 * elsewhere (the JDK 17 run) they are reported unavailable with the reason, and {@code mem.host_huge_pages=on} is a
 * configuration error that says it.
 */
class HostHugePagesTest {
    private static final long CHUNK = PhysicalMemory.CHUNK_BYTES;

    /** The {@code VmFlags} of the mapping of /proc/self/smaps that contains {@code address}, or null if none does. */
    private static String vmFlagsAt(long address) throws IOException {
        List<String> lines = Files.readAllLines(Path.of("/proc/self/smaps"));
        boolean inside = false;
        for (String line : lines) {
            int dash = line.indexOf('-');
            int space = line.indexOf(' ');
            if (dash > 0 && space > dash && line.substring(0, dash).matches("[0-9a-f]+")) {
                long start = Long.parseUnsignedLong(line.substring(0, dash), 16);
                long end = Long.parseUnsignedLong(line.substring(dash + 1, space), 16);
                inside = Long.compareUnsigned(address, start) >= 0 && Long.compareUnsigned(address, end) < 0;
            } else if (inside && line.startsWith("VmFlags:")) {
                return line.substring("VmFlags:".length()).trim();
            }
        }
        return null;
    }

    private static boolean hostCouldOfferThem() {
        String mode = HostHugePages.hostMode();
        return Runtime.version().feature() >= 22 && mode != null && !mode.equals("never")
                && System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).startsWith("linux");
    }

    @Test
    void availabilityFollowsTheJdkAndTheHostAndGivesAReasonWhenAbsent() {
        if (!hostCouldOfferThem()) {
            assertFalse(HostHugePages.available());
            String reason = HostHugePages.unavailableReason();
            assertNotNull(reason);
            if (Runtime.version().feature() < 22) {
                assertTrue(reason.contains("JDK 22"), reason);
            }
            return;
        }
        // this suite's JDK 22+ run enables native access (sim/pom.xml): nothing else can rule them out
        assertTrue(HostHugePages.available(), HostHugePages.unavailableReason());
        assertNull(HostHugePages.unavailableReason());
    }

    @Test
    void aWholeChunkIsMappedAlignedAdvisedAndUnmappedOnFree() throws IOException {
        assumeTrue(HostHugePages.available(), "no host huge pages here: " + HostHugePages.unavailableReason());
        long bytes = CHUNK + PhysicalMemory.PAGE_SIZE;   // what PhysicalMemory asks for a whole chunk
        long address = HostHugePages.ALLOCATOR.allocate(bytes);
        try {
            assertEquals(0, address & (CHUNK - 1), "2 MiB-aligned: 0x" + Long.toHexString(address));
            String flags = vmFlagsAt(address);
            assertNotNull(flags, "no mapping holds 0x" + Long.toHexString(address));
            assertTrue(List.of(flags.split(" ")).contains("hg"), "the chunk's mapping is not advised MADV_HUGEPAGE: " + flags);
            for (long offset = 0; offset < bytes; offset += PhysicalMemory.PAGE_SIZE) {
                PhysicalMemory.spLong(address + offset + 8, offset ^ 0x5A5A);
            }
            for (long offset = 0; offset < bytes; offset += PhysicalMemory.PAGE_SIZE) {
                assertEquals(offset ^ 0x5A5A, PhysicalMemory.lpLong(address + offset + 8));
            }
        } finally {
            HostHugePages.ALLOCATOR.free(address);
        }
        assertNull(vmFlagsAt(address), "still mapped after free");
    }

    @Test
    void smallerBlocksComeFromMallocAndAreFreedThere() {
        assumeTrue(HostHugePages.available(), "no host huge pages here: " + HostHugePages.unavailableReason());
        long address = HostHugePages.ALLOCATOR.allocate(PhysicalMemory.PAGE_SIZE);
        PhysicalMemory.spLong(address, 42);
        assertEquals(42, PhysicalMemory.lpLong(address));
        HostHugePages.ALLOCATOR.free(address);   // Unsafe.freeMemory: an munmap of a malloc'ed block would fail
    }

    @Test
    void aMachineOnHugePagesHoldsItsBytesAndReportsIt() throws IOException {
        assumeTrue(HostHugePages.available(), "no host huge pages here: " + HostHugePages.unavailableReason());
        int frames = 2 * PhysicalMemory.CHUNK_FRAMES + 3;   // two whole chunks and a partial one
        long firstChunk;
        try (PhysicalMemory m = new PhysicalMemory(frames, true)) {
            assertTrue(m.hostHugePages());
            for (int f = 0; f < frames; f++) {
                m.putLong(f, 16, f * 31L);
            }
            for (int f = 0; f < frames; f++) {
                assertEquals(f * 31L, m.getLong(f, 16));
                assertEquals(f, m.frameOfAddress(m.frameAddress(f) + 16));
            }
            firstChunk = m.frameAddress(0);
            assertEquals(0, firstChunk & (CHUNK - 1));
            assertEquals(0, m.frameAddress(PhysicalMemory.CHUNK_FRAMES) & (CHUNK - 1));
            assertTrue(List.of(vmFlagsAt(firstChunk).split(" ")).contains("hg"));
            assertEquals(3, m.chunksAllocated());
        }
        assertNull(vmFlagsAt(firstChunk), "close unmaps the chunks");

        try (Machine machine = Machine.boot(MachineConfig.parse(Map.of("cpus", "1", "memory", "8MiB",
                "mem.host_huge_pages", "on")))) {
            assertTrue(machine.memory().hostHugePages());
            assertEquals(1, machine.stats().snapshot().value(Machine.HOST_HUGE_PAGES_GAUGE, -1));
        }
    }

    @Test
    void offIsOffAndOnIsAConfigurationErrorWhereUnavailable() {
        try (Machine machine = Machine.boot(MachineConfig.parse(Map.of("cpus", "1", "memory", "8MiB",
                "mem.host_huge_pages", "off")))) {
            assertFalse(machine.memory().hostHugePages());
            assertEquals(0, machine.stats().snapshot().value(Machine.HOST_HUGE_PAGES_GAUGE, -1));
        }
        try (Machine machine = Machine.boot(MachineConfig.parse(Map.of("cpus", "1", "memory", "8MiB")))) {
            assertEquals(HostHugePages.available(), machine.memory().hostHugePages(), "auto: where available");
        }
        if (!HostHugePages.available()) {
            ConfigException e = assertThrows(ConfigException.class,
                    () -> MachineConfig.parse(Map.of("mem.host_huge_pages", "on")));
            assertTrue(e.getMessage().startsWith("mem.host_huge_pages=on: " + HostHugePages.unavailableReason()), e.getMessage());
            assertThrows(IllegalStateException.class, () -> new PhysicalMemory(8, true));
        }
        ConfigException bad = assertThrows(ConfigException.class, () -> MachineConfig.parse(Map.of("mem.host_huge_pages", "yes")));
        assertTrue(bad.getMessage().contains("mem.host_huge_pages") && bad.getMessage().contains("auto, on, off"), bad.getMessage());
    }
}
