package mmsim.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

class ContentOracleTest {
    @Test
    void countsEveryCheckAndKeepsTheFirstMismatchesDescribed() {
        ContentOracle oracle = new ContentOracle();
        assertTrue(oracle.check(5, 5, "a"));
        assertFalse(oracle.check(5, 6, "load 0x1000"));
        assertTrue(oracle.check(7, 7));
        assertFalse(oracle.check(7, 8));
        oracle.describeMismatch(7, 8, "load 0x2000");
        assertEquals(4, oracle.checks());
        assertEquals(2, oracle.mismatches());
        assertEquals(List.of("load 0x1000: expected 5 but read 6", "load 0x2000: expected 7 but read 8"), oracle.firstMismatches());
    }

    @Test
    void keepsSixteenDescriptionsAndCountsThemAll() {
        ContentOracle oracle = new ContentOracle();
        for (int i = 0; i < 40; i++) {
            assertFalse(oracle.check(i, -1, "read " + i));
        }
        assertEquals(40, oracle.mismatches());
        assertEquals(16, oracle.firstMismatches().size());
        assertEquals("read 0: expected 0 but read -1", oracle.firstMismatches().get(0));
    }
}
