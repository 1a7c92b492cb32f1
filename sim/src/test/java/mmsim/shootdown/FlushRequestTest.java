package mmsim.shootdown;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import mmsim.Machine;
import mmsim.TestMachines;
import mmsim.mem.FramePool;
import mmsim.paging.AddressSpace;

class FlushRequestTest {

    /** The first range lives in the request's own fields, the rest in its arrays: both read back, and copy, alike. */
    @Test
    void rangesReadBackInOrderAndCopyWhole() {
        try (Machine m = TestMachines.boot(1, "1MiB")) {
            AddressSpace space = m.newAddressSpace(FramePool.NO_CPU);
            FlushRequest r = new FlushRequest().begin(space, FlushReason.MUNMAP)
                    .addRange(0x1000, 2).addRange(0x9000, 0).addRange(0x20000, 5).addRange(0x40000, 1);
            assertEquals(3, r.ranges(), "an empty range adds nothing");
            assertEquals(8, r.totalPages());
            FlushRequest copy = new FlushRequest();
            copy.copyFrom(r);
            for (FlushRequest q : new FlushRequest[] {r, copy}) {
                assertEquals(0x1000, q.start(0));
                assertEquals(2, q.pages(0));
                assertEquals(0x20000, q.start(1));
                assertEquals(5, q.pages(1));
                assertEquals(0x40000, q.start(2));
                assertEquals(1, q.pages(2));
                assertThrows(IndexOutOfBoundsException.class, () -> q.start(3));
            }
            assertEquals(8, copy.totalPages());
            assertEquals(space, copy.space());

            // reused for a one-range request: nothing of the last one shows
            r.begin(space, FlushReason.COW_REPLACE).addRange(0x7000, 1);
            copy.copyFrom(r);
            assertEquals(1, copy.ranges());
            assertEquals(0x7000, copy.start(0));
            assertEquals(1, copy.totalPages());
            assertThrows(IndexOutOfBoundsException.class, () -> copy.pages(1));
        }
    }

    @Test
    void tooManyRangesBecomeAFullFlush() {
        try (Machine m = TestMachines.boot(1, "1MiB")) {
            FlushRequest r = new FlushRequest().begin(m.newAddressSpace(FramePool.NO_CPU), FlushReason.MPROTECT);
            for (int i = 0; i < FlushRequest.MAX_RANGES; i++) {
                r.addRange(i * 0x2000L, 1);
            }
            assertFalse(r.isAll());
            assertEquals(FlushRequest.MAX_RANGES, r.totalPages());
            r.addRange(0x100_0000, 1);
            assertTrue(r.isAll());
        }
    }
}
