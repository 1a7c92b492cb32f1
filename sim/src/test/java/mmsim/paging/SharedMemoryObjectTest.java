package mmsim.paging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SharedMemoryObjectTest {

    @Test
    void aSlotIsFilledOnceAndTheFirstFaultWins() {
        SharedMemoryObject object = new SharedMemoryObject(2);
        assertEquals(SharedMemoryObject.NO_FRAME, object.frame(1), "untouched");
        assertEquals(7, object.install(1, 7), "the first fault fills the slot");
        assertEquals(7, object.install(1, 9), "a later one gets the winner's frame and gives its own back");
        assertEquals(7, object.takeFrame(1));
        assertEquals(SharedMemoryObject.NO_FRAME, object.frame(1), "emptied");
    }

    @Test
    void theCountOfMappedPagesSaysWhenTheLastMappingWent() {
        SharedMemoryObject object = new SharedMemoryObject(4);
        assertEquals(4, object.mappedPages(), "the creating mapping maps every page");
        object.mapped(4);                                      // a fork
        assertFalse(object.unmapped(1), "part of the parent's mapping went");
        assertFalse(object.unmapped(4), "the child exited");
        assertTrue(object.unmapped(3), "the rest of the parent's went: the last");
        assertThrows(IllegalStateException.class, () -> object.mapped(1), "nothing maps it again");
        assertEquals(0, object.mappedPages());
        assertThrows(IllegalStateException.class, () -> object.unmapped(1), "more unmapped than mapped is a kernel bug");
    }
}
