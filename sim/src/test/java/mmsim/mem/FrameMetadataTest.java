package mmsim.mem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class FrameMetadataTest {

    @Test
    void lastReleaseSaysTheFrameIsFree() {
        FrameMetadata meta = new FrameMetadata(4);
        meta.claim(2);
        assertEquals(2, meta.retain(2));
        assertFalse(meta.release(2));
        assertTrue(meta.release(2));
        assertEquals(0, meta.refCount(2));
        assertEquals(0, meta.framesReferenced());
    }

    @Test
    void misuseIsCaughtAndLeavesTheCountAlone() {
        FrameMetadata meta = new FrameMetadata(4);
        assertThrows(IllegalStateException.class, () -> meta.release(1));
        assertThrows(IllegalStateException.class, () -> meta.retain(1));
        assertEquals(0, meta.refCount(1));
        meta.claim(1);
        assertThrows(IllegalStateException.class, () -> meta.claim(1));
        assertEquals(1, meta.refCount(1));
        assertEquals(1, meta.framesReferenced());
    }
}
