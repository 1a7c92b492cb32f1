package mmsim.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import mmsim.config.MachineConfig.Replacement;

class TlbArrayTest {
    private static final int ASID = 0;

    private static long tag(TlbArray t, long vpn) {
        return t.tag(ASID, vpn);
    }

    /** Inserts vpn with a recognisable data word (vpn's page as "host address"). */
    private static boolean insert(TlbArray t, long vpn) {
        return t.insert(vpn, tag(t, vpn), vpn << 12, (int) vpn);
    }

    private static boolean holds(TlbArray t, long vpn) {
        int i = t.lookup(vpn, tag(t, vpn));
        return i >= 0 && t.frames[i] == (int) vpn;
    }

    @Test
    void missThenHitAfterInsert() {
        TlbArray t = new TlbArray(8, 2, Replacement.LRU, 1);
        assertEquals(-1, t.lookup(5, tag(t, 5)));
        assertFalse(insert(t, 5));
        int i = t.lookup(5, tag(t, 5));
        assertTrue(i >= 0);
        assertEquals(5L << 12, t.data[i]);
        assertEquals(1, t.validEntries());
    }

    @Test
    void vpnsMapToSetsByTheirLowBits() {
        TlbArray t = new TlbArray(8, 2, Replacement.LRU, 1);  // 4 sets
        insert(t, 1);
        insert(t, 5);
        assertFalse(insert(t, 3), "another set: no eviction");
        assertTrue(insert(t, 9), "set 1 is full: 9 evicts");
        assertFalse(holds(t, 1), "the least recently used of set 1 went");
        assertTrue(holds(t, 5) && holds(t, 9) && holds(t, 3));
    }

    @Test
    void lruEvictsTheEntryUsedLeastRecently() {
        TlbArray t = new TlbArray(2, 2, Replacement.LRU, 1);
        insert(t, 10);
        insert(t, 11);
        assertTrue(holds(t, 10), "a hit refreshes 10");
        assertTrue(insert(t, 12));
        assertTrue(holds(t, 10));
        assertFalse(holds(t, 11));
    }

    @Test
    void fifoEvictsTheOldestInsertWhateverWasHit() {
        TlbArray t = new TlbArray(2, 2, Replacement.FIFO, 1);
        insert(t, 10);
        insert(t, 11);
        assertTrue(holds(t, 10), "a hit does not refresh under FIFO");
        assertTrue(insert(t, 12));
        assertFalse(holds(t, 10));
        assertTrue(holds(t, 11) && holds(t, 12));
    }

    @Test
    void randomReplacementIsReproducibleFromItsSeedAndUsesEveryWay() {
        long[] evictedA = randomEvictions(42);
        long[] evictedB = randomEvictions(42);
        assertEquals(java.util.Arrays.toString(evictedA), java.util.Arrays.toString(evictedB));
        boolean[] wayUsed = new boolean[4];
        for (long way : evictedA) {
            wayUsed[(int) way] = true;
        }
        for (boolean used : wayUsed) {
            assertTrue(used, "every way is chosen at some point");
        }
    }

    /** Fills a 4-way set and records which way each further insert replaced. */
    private static long[] randomEvictions(long seed) {
        TlbArray t = new TlbArray(4, 4, Replacement.RANDOM, seed);
        for (long vpn = 0; vpn < 4; vpn++) {
            insert(t, vpn);
        }
        long[] ways = new long[64];
        for (int k = 0; k < ways.length; k++) {
            long vpn = 100 + k;
            insert(t, vpn);
            ways[k] = t.lookup(vpn, tag(t, vpn));
        }
        return ways;
    }

    @Test
    void reinsertingAPageReplacesItsEntryInPlace() {
        TlbArray t = new TlbArray(2, 2, Replacement.LRU, 1);
        insert(t, 1);
        assertFalse(t.insert(1, tag(t, 1), 0x77000L | TlbArray.DATA_WRITABLE, 1));
        assertEquals(1, t.validEntries());
        assertEquals(0x77000L | TlbArray.DATA_WRITABLE, t.data[t.lookup(1, tag(t, 1))]);
    }

    @Test
    void invalidatePageAsidAndAll() {
        TlbArray t = new TlbArray(16, 4, Replacement.LRU, 1);
        t.insert(1, t.tag(1, 1), 0x1000, 1);
        t.insert(2, t.tag(1, 2), 0x2000, 2);
        t.insert(1, t.tag(2, 1), 0x3000, 3);
        assertEquals(3, t.validEntries());
        assertTrue(t.invalidate(2, t.tag(1, 2)));
        assertFalse(t.invalidate(2, t.tag(1, 2)), "already gone");
        assertEquals(2, t.validEntries());
        assertEquals(1, t.invalidateAsid(1));
        assertTrue(t.lookup(1, t.tag(2, 1)) >= 0, "other ASIDs are untouched");
        t.flushAll();
        assertEquals(0, t.validEntries());
    }

    /**
     * A full flush visits only the sets used since the last one (a bit per set), so it must still drop every
     * valid entry wherever it is: across many sets of a large array (more than 64 sets: several bitmap words),
     * after an earlier flush, and with entries a remote invalidation already removed.
     */
    @Test
    void aFullFlushDropsEveryValidEntryInEverySetItWasInsertedInto() {
        TlbArray t = new TlbArray(1536, 12, Replacement.LRU, 1);
        for (long vpn = 0; vpn < 1000; vpn += 7) {
            insert(t, vpn);
        }
        assertEquals(143, t.validEntries(), "one entry per page inserted");
        t.flushAll();
        assertEquals(0, t.validEntries(), "every valid entry is dropped");
        for (long vpn = 0; vpn < 1000; vpn += 7) {
            assertFalse(holds(t, vpn), "vpn " + vpn + " survived the flush");
        }
        // the sets are used again after the flush, and a remote invalidation removes one entry on its own
        insert(t, 129);
        insert(t, 4095);
        insert(t, 64);
        assertTrue(t.invalidate(64, tag(t, 64)));
        assertEquals(2, t.validEntries(), "the two entries still valid");
        t.flushAll();
        assertEquals(0, t.validEntries());
        for (long vpn : new long[] {129, 4095, 64}) {
            assertFalse(holds(t, vpn), "vpn " + vpn + " survived the second flush");
        }
        t.flushAll();
        assertEquals(0, t.validEntries(), "an empty array stays empty");
    }

    /**
     * A flush starts a new generation instead of zeroing the tags: an entry of an old generation must never match a
     * lookup again, also once the 15-bit generation has wrapped round to the one it was inserted in (then the flush
     * zeroes every tag).
     */
    @Test
    void anEntryOfAnOldGenerationNeverMatchesAgainNotEvenAfterTheGenerationWraps() {
        TlbArray t = new TlbArray(64, 4, Replacement.LRU, 1);
        insert(t, 3);
        t.flushAll();
        insert(t, 9);   // the generation after the first flush: its tag differs from 9's before
        int generations = (int) (TlbArray.GENERATION_MASK >>> TlbArray.GENERATION_SHIFT) + 1;
        for (int i = 0; i < generations - 1; i++) {
            t.flushAll();
        }
        assertEquals(TlbArray.VALID, t.live, "the generation wrapped back to 0");
        assertFalse(holds(t, 3), "the entry of generation 0 matches again");
        t.flushAll();
        assertEquals(TlbArray.VALID | 1L << TlbArray.GENERATION_SHIFT, t.live);
        assertFalse(holds(t, 9), "the entry of generation 1 matches again");
        assertEquals(0, t.validEntries());
        insert(t, 3);
        assertTrue(holds(t, 3), "the array still fills after the wrap");
    }

    /**
     * A remote invalidation (hardware broadcast) names a page, not a generation: it must clear the entry of the
     * owner's current generation, whichever that is, and may clear an old one's; only the valid one counts. An ASID's
     * invalidation clears the valid entries only.
     */
    @Test
    void aRemoteInvalidationClearsThePageInTheOwnersCurrentGeneration() {
        TlbArray t = new TlbArray(16, 4, Replacement.LRU, 1);   // 4 sets: pages 1 and 5 share set 1
        insert(t, 5);
        insert(t, 1);   // way 1, generation 0
        t.flushAll();
        t.flushAll();
        insert(t, 1);   // way 0 (the set is empty again), generation 2; way 1 still holds generation 0's tag of page 1
        assertTrue(t.remoteInvalidate(1, TlbArray.key(ASID, 1)), "the valid entry was cleared");
        assertFalse(holds(t, 1));
        assertEquals(0, t.tagAt(4) | t.tagAt(5), "both generations' entries of the page are gone");
        insert(t, 1);
        insert(t, 2);
        t.flushAll();
        insert(t, 2);
        assertEquals(1, t.remoteInvalidateAsid(ASID), "only the current generation's entry counts");
        assertEquals(0, t.validEntries());
        assertFalse(holds(t, 2));
        assertTrue(t.tagAt(4) != 0, "an old generation's entry is left alone by an ASID's invalidation: a CAS for each dead "
                + "entry would make a broadcast full invalidation after a context switch one locked instruction an entry");
    }

    @Test
    void asidsIsolateTheSamePage() {
        TlbArray t = new TlbArray(16, 4, Replacement.LRU, 1);
        t.insert(7, t.tag(3, 7), 0xA000, 10);
        assertEquals(-1, t.lookup(7, t.tag(4, 7)), "ASID 4 does not see ASID 3's entry");
        t.insert(7, t.tag(4, 7), 0xB000, 11);
        assertEquals(10, t.frames[t.lookup(7, t.tag(3, 7))]);
        assertEquals(11, t.frames[t.lookup(7, t.tag(4, 7))]);
    }

    /**
     * The replacement decisions are exactly those of the textbook structure: a long seeded stream of lookups
     * (inserting on a miss), invalidations and flushes, run against TlbArray and against a plain reference model
     * of a set-associative TLB (each set a list ordered by recency: LRU reorders on hits, FIFO only on inserts;
     * invalid ways are refilled first, lowest way first). Every lookup's outcome and every eviction must agree.
     * Some misses see an invalidation in their set before their fill, some see hits in it (a page fault's handler
     * between the access's lookups and its fills), some fills scan the set afresh.
     * Guards the hot path's optimisations (way hints, a one-pass insert, both recency representations; 32 and 64
     * ways fall back to ages; the MMU's lookup in two steps, mixed at random with the one-call lookup) against changing
     * what is modelled.
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.CsvSource({
            "LRU, 64, 4, false", "LRU, 1536, 12, false", "FIFO, 64, 4, false", "FIFO, 1536, 12, false", "LRU, 16, 1, false",
            "LRU, 64, 4, true", "LRU, 1536, 12, true", "FIFO, 64, 4, true", "FIFO, 1536, 12, true", "LRU, 16, 1, true",
            "LRU, 256, 16, true", "FIFO, 256, 16, true", "LRU, 64, 32, true", "FIFO, 64, 64, true", "LRU, 64, 64, false"})
    void replacementMatchesAReferenceModelOnALongStream(Replacement policy, int entries, int ways, boolean packedRecency) {
        TlbArray t = new TlbArray(entries, ways, policy, 7, packedRecency);
        int sets = entries / ways;
        long[][] wayTag = new long[sets][ways];          // reference: the vpn+1 each way holds (0: invalid)
        java.util.List<java.util.List<Integer>> recency = new java.util.ArrayList<>();  // ways, least recent first
        for (int s = 0; s < sets; s++) {
            java.util.List<Integer> order = new java.util.ArrayList<>();
            for (int w = 0; w < ways; w++) {
                order.add(w);
            }
            recency.add(order);
        }
        java.util.SplittableRandom random = new java.util.SplittableRandom(42);
        java.util.SplittableRandom split = new java.util.SplittableRandom(43);
        int hits = 0;
        int evictions = 0;
        for (int step = 0; step < 200_000; step++) {
            // a skewed stream: mostly a hot range that fits, sometimes far pages that thrash
            long vpn = random.nextInt(10) < 8 ? random.nextInt(entries) : random.nextInt(entries * 8);
            int set = (int) (vpn & (sets - 1));
            int op = random.nextInt(1000);
            if (op == 0) {
                t.flushAll();
                for (long[] w : wayTag) {
                    java.util.Arrays.fill(w, 0);
                }
                continue;
            }
            if (op < 20) {
                boolean had = t.invalidate(vpn, tag(t, vpn));
                int way = indexOf(wayTag[set], vpn + 1);
                assertEquals(way >= 0, had, "invalidate at step " + step);
                if (way >= 0) {
                    wayTag[set][way] = 0;
                }
                continue;
            }
            // the one-call lookup or the MMU's two steps, at random: both must model the same structure
            int i = split.nextBoolean() ? t.lookup(vpn, tag(t, vpn)) : lookupAsTheMmuDoes(t, vpn, tag(t, vpn));
            int way = indexOf(wayTag[set], vpn + 1);
            assertEquals(way >= 0, i >= 0, "lookup of " + vpn + " at step " + step);
            if (way >= 0) {
                hits++;
                assertEquals(set * ways + way, i, "the hit's way at step " + step);
                if (policy == Replacement.LRU) {
                    recency.get(set).remove(Integer.valueOf(way));
                    recency.get(set).add(way);
                }
                continue;
            }
            if (op < 60) {
                // between the miss and its fill, an invalidation in the same set: the fill must see the way it freed
                int k = random.nextInt(ways);
                if (wayTag[set][k] != 0) {
                    long other = wayTag[set][k] - 1;
                    assertTrue(t.invalidate(other, tag(t, other)), "invalidate a resident page at step " + step);
                    wayTag[set][k] = 0;
                }
            } else if (op < 80) {
                t.forgetMiss();   // the fill scans the set itself
            } else if (op < 120) {
                // between the miss and its fill, hits in the same set (a page fault's handler): under LRU they reorder
                // it, and the fill, which keeps the miss's choice, must evict the least recent way as of the fill
                for (int h = 1 + random.nextInt(3); h > 0; h--) {
                    int k = random.nextInt(ways);
                    if (wayTag[set][k] != 0) {
                        long other = wayTag[set][k] - 1;
                        assertEquals(set * ways + k, split.nextBoolean() ? t.lookup(other, tag(t, other))
                                : lookupAsTheMmuDoes(t, other, tag(t, other)), "a hit between a miss and its fill at step " + step);
                        if (policy == Replacement.LRU) {
                            recency.get(set).remove(Integer.valueOf(k));
                            recency.get(set).add(k);
                        }
                    }
                }
            }
            int target = indexOf(wayTag[set], 0);
            boolean expectEviction = target < 0;
            if (expectEviction) {
                target = recency.get(set).get(0);
                evictions++;
            }
            assertEquals(expectEviction, insert(t, vpn), "eviction at step " + step);
            wayTag[set][target] = vpn + 1;
            recency.get(set).remove(Integer.valueOf(target));
            recency.get(set).add(target);
            assertEquals(set * ways + target, t.find(vpn, tag(t, vpn)), "the way filled at step " + step);
        }
        assertTrue(hits > 40_000 && evictions > 5_000, "the stream exercised hits (" + hits + ") and evictions (" + evictions + ")");
    }

    /** The MMU's lookup: the hinted way on its hit path ({@link TlbArray#lookupHinted}), the rest of the set on its miss path. */
    private static int lookupAsTheMmuDoes(TlbArray t, long vpn, long tag) {
        int i = t.lookupHinted(vpn, tag);
        return i >= 0 ? i : t.lookupScan(vpn, tag);
    }

    private static int indexOf(long[] ways, long value) {
        for (int w = 0; w < ways.length; w++) {
            if (ways[w] == value) {
                return w;
            }
        }
        return -1;
    }
}
