package mmsim.paging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

class AddressSpaceTest {
    private static final long PAGE = 4096;

    @Test
    void mapPlacesAreasAtTheFirstFreeAddressAndRoundsToPages() {
        AddressSpace as = new AddressSpace(0, 0, 2);
        long a = as.map(100, Vma.READ_WRITE);
        long b = as.map(3 * PAGE, Vma.READ);
        assertEquals(AddressSpace.MMAP_BASE, a);
        assertEquals(a + PAGE, b);
        assertEquals(new Vma(a, a + PAGE, Vma.READ_WRITE), as.findVma(a + 99));
        assertEquals(new Vma(b, b + 3 * PAGE, Vma.READ), as.findVma(b + 3 * PAGE - 1));
        assertNull(as.findVma(b + 3 * PAGE));
        assertNull(as.findVma(a - 1));
    }

    @Test
    void unmapSplitsAnAreaAndReportsWhatWasRemoved() {
        AddressSpace as = new AddressSpace(0, 0, 2);
        long a = as.map(10 * PAGE, Vma.READ_WRITE);
        List<Vma> removed = as.unmap(a + 2 * PAGE, 3 * PAGE);
        assertEquals(List.of(new Vma(a + 2 * PAGE, a + 5 * PAGE, Vma.READ_WRITE)), removed);
        assertEquals(List.of(new Vma(a, a + 2 * PAGE, Vma.READ_WRITE), new Vma(a + 5 * PAGE, a + 10 * PAGE, Vma.READ_WRITE)),
                as.vmas());
        assertNull(as.findVma(a + 3 * PAGE));
        long reused = as.map(2 * PAGE, Vma.READ);
        assertEquals(a + 2 * PAGE, reused, "the hole is reused");
        assertTrue(as.unmap(a + 100 * PAGE, PAGE).isEmpty(), "unmapping nothing is not an error");
    }

    @Test
    void aSharedAreaSplitByProtectAndUnmapKeepsEachPartOnItsOwnPagesOfTheObject() {
        AddressSpace as = new AddressSpace(0, 0, 2);
        long before = as.map(PAGE, Vma.READ_WRITE);
        SharedMemoryObject object = new SharedMemoryObject(6);
        long a = as.mapShared(object, Vma.READ_WRITE);
        assertEquals(before + PAGE, a, "placed as a private area would be");
        assertEquals(new Vma(a, a + 6 * PAGE, Vma.READ_WRITE, object, 0), as.findVma(a));
        as.protect(a + 2 * PAGE, PAGE, Vma.READ);
        Vma middle = as.findVma(a + 2 * PAGE);
        assertEquals(new Vma(a + 2 * PAGE, a + 3 * PAGE, Vma.READ, object, 2), middle, "mprotect keeps the object and the offset");
        assertEquals(4, as.findVma(a + 4 * PAGE).sharedPageOf(a + 4 * PAGE), "the part after it maps pages 3 to 5");
        List<Vma> removed = as.unmap(a + 4 * PAGE, PAGE);
        assertEquals(List.of(new Vma(a + 4 * PAGE, a + 5 * PAGE, Vma.READ_WRITE, object, 4)), removed);
        assertEquals(new Vma(a + 5 * PAGE, a + 6 * PAGE, Vma.READ_WRITE, object, 5), as.findVma(a + 5 * PAGE));
        assertTrue(as.findVma(before).shared() == null, "the private area is untouched");
        assertThrows(IllegalArgumentException.class, () -> new Vma(a, a + 7 * PAGE, Vma.READ, object, 0),
                "an area cannot map past the object's end");
    }

    @Test
    void protectSplitsAtTheEdgesAndReportsOldProtections() {
        AddressSpace as = new AddressSpace(0, 0, 2);
        long a = as.map(4 * PAGE, Vma.READ_WRITE);
        List<Vma> changed = as.protect(a + PAGE, 2 * PAGE, Vma.READ);
        assertEquals(List.of(new Vma(a + PAGE, a + 3 * PAGE, Vma.READ_WRITE)), changed);
        assertEquals(3, as.vmas().size());
        assertEquals(Vma.READ, as.findVma(a + PAGE).protection());
        assertEquals(Vma.READ_WRITE, as.findVma(a + 3 * PAGE).protection());
        assertTrue(as.protect(a + PAGE, PAGE, Vma.READ).isEmpty(), "no change, nothing reported");
    }

    @Test
    void fixedMappingsMayNotOverlapOrLeaveUserSpace() {
        AddressSpace as = new AddressSpace(0, 0, 2);
        as.mapFixed(0x10000, 2 * PAGE, Vma.READ);
        assertThrows(IllegalArgumentException.class, () -> as.mapFixed(0x11000, PAGE, Vma.READ));
        assertThrows(IllegalArgumentException.class, () -> as.mapFixed(PageTable.USER_VA_LIMIT - PAGE, 2 * PAGE, Vma.READ));
        assertThrows(IllegalArgumentException.class, () -> as.mapFixed(0x10001, PAGE, Vma.READ));
        assertThrows(IllegalArgumentException.class, () -> as.map(0, Vma.READ));
    }

    @Test
    void aHintIsUsedWhenItsRangeIsFreeAndIgnoredOtherwise() {
        AddressSpace as = new AddressSpace(0, 0, 2);
        long a = as.map(4 * PAGE, Vma.READ_WRITE);
        long free = a + 64 * PAGE;
        assertEquals(free, as.map(free, 2 * PAGE, Vma.READ), "a free hint");
        assertEquals(a + 4 * PAGE, as.map(a + PAGE, PAGE, Vma.READ), "an overlapping hint: the lowest fit");
        assertEquals(a + 5 * PAGE, as.map(free + 1, PAGE, Vma.READ), "an unaligned hint is no hint");
        assertEquals(a + 6 * PAGE, as.map(PageTable.USER_VA_LIMIT - PAGE, 2 * PAGE, Vma.READ), "a hint leaving user space is no hint");
        as.quarantine(List.of(new Vma(free + 8 * PAGE, free + 9 * PAGE, Vma.READ)));
        assertEquals(a + 8 * PAGE, as.map(free + 8 * PAGE, PAGE, Vma.READ), "a quarantined hint is not free");
    }

    @Test
    void replaceSwapsWhatIsMappedForOneVmaInOneChange() {
        AddressSpace as = new AddressSpace(0, 0, 2);
        long a = as.map(2 * PAGE, Vma.READ_WRITE);
        long b = as.map(2 * PAGE, Vma.READ);
        List<Vma> removed = as.replace(a + PAGE, 2 * PAGE, Vma.NONE);
        assertEquals(List.of(new Vma(a + PAGE, a + 2 * PAGE, Vma.READ_WRITE), new Vma(b, b + PAGE, Vma.READ)), removed);
        assertEquals(List.of(new Vma(a, a + PAGE, Vma.READ_WRITE), new Vma(a + PAGE, a + 3 * PAGE, Vma.NONE),
                new Vma(b + PAGE, b + 2 * PAGE, Vma.READ)), as.vmas());
        as.quarantine(List.of(new Vma(a + 8 * PAGE, a + 9 * PAGE, Vma.READ)));
        assertThrows(IllegalStateException.class, () -> as.replace(a + 8 * PAGE, PAGE, Vma.READ), "quarantined");
    }

    @Test
    void mappingAtMergesAdjoiningVmasOfOneProtectionAsLinuxWould() {
        AddressSpace as = new AddressSpace(0, 0, 2);
        long a = as.map(6 * PAGE, Vma.READ_WRITE);
        as.protect(a + PAGE, PAGE, Vma.READ);
        as.protect(a + PAGE, PAGE, Vma.READ_WRITE);
        as.protect(a + 4 * PAGE, PAGE, Vma.READ);
        assertEquals(5, as.vmas().size(), "mmsim keeps split VMAs apart: " + as.vmas());
        assertEquals(new Vma(a, a + 4 * PAGE, Vma.READ_WRITE), as.mappingAt(a + 2 * PAGE));
        assertEquals(new Vma(a + 4 * PAGE, a + 5 * PAGE, Vma.READ), as.mappingAt(a + 4 * PAGE));
        assertNull(as.mappingAt(a + 6 * PAGE));
    }

    @Test
    void moveTakesPartOfAMappingToAFreeRangeWithItsProtection() {
        AddressSpace as = new AddressSpace(0, 0, 2);
        long a = as.map(4 * PAGE, Vma.READ);
        long to = as.findRoom(8 * PAGE);
        assertEquals(a + 4 * PAGE, to);
        as.move(a + PAGE, 2 * PAGE, to, 8 * PAGE);
        assertEquals(List.of(new Vma(a, a + PAGE, Vma.READ), new Vma(a + 3 * PAGE, a + 4 * PAGE, Vma.READ),
                new Vma(to, to + 8 * PAGE, Vma.READ)), as.vmas());
        assertThrows(IllegalArgumentException.class, () -> as.move(a, 2 * PAGE, to + 8 * PAGE, PAGE), "not one mapping");
        assertThrows(IllegalArgumentException.class, () -> as.move(a, PAGE, to, PAGE), "the target is taken");
    }

    @Test
    void cpuMaskTracksMembershipAcrossWords() {
        CpuMask mask = new CpuMask(130);
        mask.set(0);
        mask.set(64);
        mask.set(129);
        mask.set(129);
        assertEquals(3, mask.count());
        assertTrue(mask.contains(64) && mask.contains(129) && !mask.contains(1));
        mask.clear(64);
        assertEquals("{0,129}", mask.toString());
        assertEquals(3, mask.wordCount());
    }

    /**
     * A random sequence of map, mapFixed, unmap, protect, replace, move, quarantine and its release against a reference
     * that keeps one protection per page and which pages are quarantined: after every change the VMA list is sorted,
     * non-overlapping and covers exactly the reference's mapped pages with their protections, map places an area at
     * the lowest page where it fits clear of both, what unmap and replace report removed is exactly what was mapped in
     * the range, and what protect reports changed had the old protection it names; a change refused leaves the list
     * as it was. 48 pages keep the list short and crowded; 900 let it grow past a hundred VMAs.
     */
    @Test
    void randomChangesKeepTheListEqualToAPerPageReference() {
        randomChanges(48, 400);
        randomChanges(900, 1_500);
    }

    private static void randomChanges(int pages, int steps) {
        final long base = AddressSpace.MMAP_BASE;
        for (long seed = 1; seed <= 20; seed++) {
            java.util.SplittableRandom random = new java.util.SplittableRandom(seed);
            AddressSpace as = new AddressSpace(0, 0, 2);
            int[] ref = new int[pages];
            java.util.Arrays.fill(ref, -1);
            boolean[] held = new boolean[pages];
            List<Vma> quarantined = new java.util.ArrayList<>();
            int most = 0;
            for (int step = 0; step < steps; step++) {
                int first = random.nextInt(pages);
                int length = 1 + random.nextInt(Math.min(8, pages - first));
                long start = base + first * PAGE;
                int protection = random.nextInt(4);
                String what = pages + " pages, seed " + seed + ", step " + step;
                List<Vma> before = as.vmas();
                boolean clear = mapped(ref, first, length) == 0 && !anyHeld(held, first, length);
                switch (random.nextInt(8)) {
                    case 5 -> {
                        int fit = lowestFit(ref, held, length);
                        if (fit >= 0) {
                            assertEquals(base + fit * PAGE, as.map(length * PAGE, protection), what + ": map's place");
                            java.util.Arrays.fill(ref, fit, fit + length, protection);
                        }
                    }
                    case 6 -> {
                        if (clear) {
                            Vma range = new Vma(start, start + length * PAGE, Vma.READ);
                            as.quarantine(List.of(range));
                            quarantined.add(range);
                            java.util.Arrays.fill(held, first, first + length, true);
                        }
                    }
                    case 7 -> {
                        if (!quarantined.isEmpty()) {
                            Vma range = quarantined.remove(random.nextInt(quarantined.size()));
                            as.releaseQuarantine(List.of(range));
                            java.util.Arrays.fill(held, (int) ((range.start() - base) / PAGE), (int) ((range.end() - base) / PAGE), false);
                        }
                    }
                    case 0 -> {
                        if (clear) {
                            as.mapFixed(start, length * PAGE, protection);
                            java.util.Arrays.fill(ref, first, first + length, protection);
                        } else {
                            assertThrows(IllegalArgumentException.class, () -> as.mapFixed(start, length * PAGE, protection), what);
                        }
                    }
                    case 1 -> {
                        assertRemoved(ref, first, length, as.unmap(start, length * PAGE), what);
                        java.util.Arrays.fill(ref, first, first + length, -1);
                    }
                    case 2 -> {
                        for (Vma changed : as.protect(start, length * PAGE, protection)) {
                            for (long va = changed.start(); va < changed.end(); va += PAGE) {
                                int page = (int) ((va - base) / PAGE);
                                assertEquals(changed.protection(), ref[page], what + ": the old protection of page " + page);
                                assertTrue(ref[page] != protection, what + ": page " + page + " reported changed to what it had");
                            }
                        }
                        for (int page = first; page < first + length; page++) {
                            ref[page] = ref[page] < 0 ? -1 : protection;
                        }
                    }
                    case 3 -> {
                        if (anyHeld(held, first, length)) {
                            assertThrows(IllegalStateException.class, () -> as.replace(start, length * PAGE, protection), what);
                            assertEquals(before, as.vmas(), what + ": a refused replace changed the list");
                        } else {
                            assertRemoved(ref, first, length, as.replace(start, length * PAGE, protection), what);
                            java.util.Arrays.fill(ref, first, first + length, protection);
                        }
                    }
                    default -> {
                        int to = random.nextInt(pages);
                        int newLength = 1 + random.nextInt(Math.min(8, pages - to));
                        long newStart = base + to * PAGE;
                        boolean inOneMapping = ref[first] >= 0;
                        for (int page = first; page < first + length; page++) {
                            inOneMapping &= ref[page] == ref[first];
                        }
                        if (inOneMapping && mapped(ref, to, newLength) == 0 && !anyHeld(held, to, newLength)) {
                            int moved = ref[first];
                            as.move(start, length * PAGE, newStart, newLength * PAGE);
                            java.util.Arrays.fill(ref, first, first + length, -1);
                            java.util.Arrays.fill(ref, to, to + newLength, moved);
                        } else {
                            assertThrows(IllegalArgumentException.class, () -> as.move(start, length * PAGE, newStart, newLength * PAGE), what);
                            assertEquals(before, as.vmas(), what + ": a refused move changed the list");
                        }
                    }
                }
                assertMatches(ref, as, what);
                most = Math.max(most, as.vmas().size());
            }
            if (pages > 100) {
                assertTrue(most > 100, "seed " + seed + ": the list never grew past 100 VMAs (" + most + " at most)");
            }
        }
    }

    private static boolean anyHeld(boolean[] held, int first, int length) {
        for (int page = first; page < first + length; page++) {
            if (held[page]) {
                return true;
            }
        }
        return false;
    }

    /** The lowest page where {@code length} pages are neither mapped nor quarantined, or -1. */
    private static int lowestFit(int[] ref, boolean[] held, int length) {
        int run = 0;
        for (int page = 0; page < ref.length; page++) {
            run = ref[page] < 0 && !held[page] ? run + 1 : 0;
            if (run == length) {
                return page - length + 1;
            }
        }
        return -1;
    }

    private static int mapped(int[] ref, int first, int length) {
        int n = 0;
        for (int page = first; page < first + length; page++) {
            n += ref[page] >= 0 ? 1 : 0;
        }
        return n;
    }

    /** {@code removed} is, in address order, exactly the mapped pages of the range, each with its protection. */
    private static void assertRemoved(int[] ref, int first, int length, List<Vma> removed, String what) {
        long base = AddressSpace.MMAP_BASE;
        long previousEnd = Long.MIN_VALUE;
        int pages = 0;
        for (Vma v : removed) {
            assertTrue(v.start() >= previousEnd, what + ": removed out of order: " + removed);
            previousEnd = v.end();
            for (long va = v.start(); va < v.end(); va += PAGE) {
                int page = (int) ((va - base) / PAGE);
                assertTrue(page >= first && page < first + length, what + ": removed page " + page + " outside the range");
                assertEquals(ref[page], v.protection(), what + ": removed page " + page);
                pages++;
            }
        }
        assertEquals(mapped(ref, first, length), pages, what + ": pages removed");
    }

    /** The list is sorted, non-overlapping, and maps exactly the reference's pages with their protections. */
    private static void assertMatches(int[] ref, AddressSpace as, String what) {
        long base = AddressSpace.MMAP_BASE;
        int[] seen = new int[ref.length];
        java.util.Arrays.fill(seen, -1);
        long previousEnd = Long.MIN_VALUE;
        // messages built only on a failure: this runs after every step of the random tests
        for (Vma v : as.vmas()) {
            assertTrue(v.start() < v.end() && v.start() >= previousEnd, () -> what + ": unsorted, overlapping or empty: " + as.vmas());
            previousEnd = v.end();
            for (long va = v.start(); va < v.end(); va += PAGE) {
                seen[(int) ((va - base) / PAGE)] = v.protection();
            }
        }
        if (!java.util.Arrays.equals(ref, seen)) {
            assertEquals(java.util.Arrays.toString(ref), java.util.Arrays.toString(seen), what + ": " + as.vmas());
        }
        for (int page = 0; page < ref.length; page++) {
            Vma found = as.findVma(base + page * PAGE);
            int p = page;
            assertEquals(ref[page] >= 0, found != null, () -> what + ": findVma of page " + p);
        }
    }
}
