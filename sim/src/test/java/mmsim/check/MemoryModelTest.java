package mmsim.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import mmsim.check.MemoryModel.Handoff;
import mmsim.check.MemoryModel.Region;
import mmsim.check.MemoryModel.Word;

class MemoryModelTest {
    private static final long BASE = 0x1000_0000L;

    @Test
    void forkCopiesPrivateRegionsWholeAndHandsTheChosenSharedWordsToTheChild() {
        MemoryModel parent = new MemoryModel();
        Region priv = parent.add(BASE, 1, true);
        Region shared = parent.addShared(BASE + 4096, 1, true, false);
        priv.stored(0, 0, 5);
        shared.stored(0, 0, 6);
        shared.stored(0, 1, 7);
        boolean[] choices = {true, false, false, false};
        int[] asked = {0};
        Handoff h = parent.fork(() -> choices[asked[0]++]);
        assertEquals(4, asked[0], "asked once per owned word of the shared region");
        Region childPriv = h.child().regions().get(0);
        Region childShared = h.child().regions().get(1);
        assertEquals(5, childPriv.expected(0, 0), "a private region is the child's own copy");
        assertTrue(childShared.owns(0, 0) && !parent.regions().get(1).owns(0, 0), "word 0 moved to the child");
        assertEquals(6, childShared.expected(0, 0), "with the value the parent last stored");
        assertFalse(childShared.owns(0, 1), "word 1 stayed with the parent");
        assertEquals(7, shared.expected(0, 1));
        assertThrows(IllegalStateException.class, () -> shared.expected(0, 0), "no value is demanded of a word another sharer owns");
        assertThrows(IllegalStateException.class, () -> shared.stored(0, 0, 1), "nor may a non-owner store to it");
        assertThrows(IllegalStateException.class, () -> shared.zero(0), "madvise keeps a shared region's data");
    }

    @Test
    void takeBackReturnsTheChildsLastValuesThatTheParentMustNowRead() {
        MemoryModel parent = new MemoryModel();
        Region shared = parent.addShared(BASE, 2, true, false);
        Handoff h = parent.fork(() -> true);
        Region childShared = h.child().regions().get(0);
        childShared.stored(1, 3, 42);
        Handoff grandchild = h.child().fork(() -> true);
        grandchild.child().regions().get(0).stored(0, 0, 43);
        h.child().takeBack(grandchild);
        List<Word> back = parent.takeBack(h);
        assertEquals(8, back.size(), "every word handed over comes back");
        assertEquals(42, shared.expected(1, 3), "the child's store");
        assertEquals(43, shared.expected(0, 0), "the grandchild's, through the child");
        assertEquals(0, shared.expected(0, 1), "a word no one stored still reads zero");
        assertThrows(IllegalStateException.class, () -> parent.takeBack(h), "once");
    }

    @Test
    void wordsOfARegionUnmappedMeanwhileAreNotDemanded() {
        MemoryModel parent = new MemoryModel();
        Region shared = parent.addShared(BASE, 1, true, false);
        Handoff h = parent.fork(() -> true);
        parent.remove(shared);
        assertEquals(List.of(), parent.takeBack(h));
    }

    @Test
    void copyGivesTheChildNoWordOfASharedRegion() {
        MemoryModel parent = new MemoryModel();
        parent.addShared(BASE, 1, true, false);
        Region childShared = parent.copy().regions().get(0);
        assertFalse(childShared.owns(0, 0));
        assertTrue(parent.regions().get(0).owns(0, 0), "the parent keeps every word");
    }

    @Test
    void onlyAPinnedSharedRegionIsLentToAThread() {
        MemoryModel main = new MemoryModel();
        Region loose = main.addShared(BASE, 1, true, false);
        Region pinned = main.addShared(BASE + 4096, 1, true, true);
        assertThrows(IllegalArgumentException.class, () -> main.lend(loose, () -> true));
        Handoff h = main.lend(pinned, () -> true);
        assertEquals(1, h.child().regions().size(), "the thread's model holds only the lent region");
        h.child().regions().get(0).stored(0, 2, 9);
        assertEquals(4, main.takeBack(h).size());
        assertEquals(9, pinned.expected(0, 2));
    }
}
