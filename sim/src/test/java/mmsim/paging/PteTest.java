package mmsim.paging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class PteTest {

    @Test
    void encodesFrameAndFlagsIndependently() {
        int[] frames = {0, 1, 42, 0x7FFF_FFFF};
        long[] flagSets = {Pte.PRESENT, Pte.PRESENT | Pte.WRITABLE | Pte.USER,
                Pte.PRESENT | Pte.ACCESSED | Pte.DIRTY | Pte.COW};
        for (int frame : frames) {
            for (long flags : flagSets) {
                long pte = Pte.make(frame, flags);
                assertEquals(frame, Pte.frame(pte));
                assertEquals(flags, Pte.flags(pte));
            }
        }
    }

    @Test
    void flagPredicatesReadTheirBits() {
        long pte = Pte.make(7, Pte.PRESENT | Pte.DIRTY | Pte.COW);
        assertTrue(Pte.isPresent(pte));
        assertFalse(Pte.isWritable(pte));
        assertFalse(Pte.isUser(pte));
        assertFalse(Pte.isAccessed(pte));
        assertTrue(Pte.isDirty(pte));
        assertTrue(Pte.isCow(pte));
        assertEquals("frame=7 P D COW", Pte.toString(pte));
        assertEquals("empty", Pte.toString(0));
    }

    @Test
    void bitsSitWhereX86PutsThem() {
        assertEquals(1L, Pte.PRESENT);
        assertEquals(2L, Pte.WRITABLE);
        assertEquals(4L, Pte.USER);
        assertEquals(0x20L, Pte.ACCESSED);
        assertEquals(0x40L, Pte.DIRTY);
        assertEquals(0x3000L, Pte.make(3, 0));
    }

    @Test
    void writeProtectForCowClearsWritableAndSetsCowKeepingTheRest() {
        long pte = Pte.make(9, Pte.PRESENT | Pte.WRITABLE | Pte.USER | Pte.ACCESSED | Pte.DIRTY);
        long cow = Pte.writeProtectCow(pte);
        assertFalse(Pte.isWritable(cow));
        assertTrue(Pte.isCow(cow));
        assertTrue(Pte.isDirty(cow) && Pte.isAccessed(cow) && Pte.isUser(cow));
        assertEquals(9, Pte.frame(cow));
        assertEquals(pte, Pte.with(Pte.without(cow, Pte.COW), Pte.WRITABLE));
    }

    @Test
    void flagsCannotCorruptTheFrame() {
        long pte = Pte.make(5, Pte.PRESENT | (0x1234L << 12));
        assertEquals(5, Pte.frame(pte));
        assertThrows(IllegalArgumentException.class, () -> Pte.make(-1, Pte.PRESENT));
    }
}
