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

    @Test
    void retainHeldCountsExactlyAsRetainDoesWhetherTheFrameIsSharedOrNot() {
        FrameMetadata meta = new FrameMetadata(4);
        meta.claim(1);
        assertEquals(2, meta.retainHeld(1), "a sole holder's frame: the plain path");
        assertEquals(3, meta.retainHeld(1), "a shared frame: the atomic path");
        assertEquals(3, meta.refCount(1));
        assertFalse(meta.release(1));
        assertFalse(meta.release(1));
        assertTrue(meta.release(1), "three references, three releases");
        assertThrows(IllegalStateException.class, () -> meta.retainHeld(1), "a free frame is not held by anyone");
        assertEquals(0, meta.refCount(1), "the refused retain left the count alone");
    }

    @Test
    void aTerabyteOfCountsCostsNothingUntilFramesAreClaimed() {
        int frames = 1 << 28;
        FrameMetadata meta = new FrameMetadata(frames);
        assertEquals(0, meta.refCount(frames - 1));
        assertEquals(0, meta.refCount(123_456_789));
        assertEquals(0, meta.chunksCreated(), "reading a count creates nothing");
        meta.claim(0);
        meta.claim(4095);
        meta.claim(frames - 1);
        assertEquals(2, meta.chunksCreated(), "frames 0 and 4095 share a chunk of counts");
        assertEquals(2, meta.retain(frames - 1));
        assertEquals(3, meta.framesReferenced());
        assertTrue(meta.release(0));
        assertEquals(2, meta.framesReferenced());
        assertThrows(IllegalStateException.class, () -> meta.retain(1 << 20), "a frame never claimed is free");
        assertEquals(0, meta.refCount(1 << 20));
    }

    @Test
    void aFrameOutsideTheMachineIsRejected() {
        FrameMetadata meta = new FrameMetadata(4);
        assertThrows(IndexOutOfBoundsException.class, () -> meta.claim(4));
        assertThrows(IndexOutOfBoundsException.class, () -> meta.refCount(-1));
        assertThrows(IndexOutOfBoundsException.class, () -> meta.release(5000));
    }
}
