package mmsim.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Integer settings read budgets as researchers write them (5e7, 50_000_000), exactly, and reject anything else. */
class SettingTest {
    private static final Setting<Long> CYCLES = Setting.longRange("x.cycles", 1, 10_000, 1L << 50, "test");
    private static final Setting<Integer> ROUNDS = Setting.intRange("x.rounds", 1, 1, 1_000_000, "test");
    private static final Setting<Integer> ENTRIES = Setting.powerOfTwo("x.entries", 64, 1, 1 << 20, "test");

    @Test
    void integersReadInEveryExactForm() {
        assertEquals(50_000_000L, CYCLES.parse("50000000"));
        assertEquals(50_000_000L, CYCLES.parse("50_000_000"));
        assertEquals(50_000_000L, CYCLES.parse("5e7"));
        assertEquals(50_000_000L, CYCLES.parse("5E7"));
        assertEquals(1_500_000_000L, CYCLES.parse("1.5e9"));
        assertEquals(12_000_000_000L, CYCLES.parse(" 1.2e10 "));
        assertEquals(2_000, ROUNDS.parse("2e3"));
        assertEquals(4096, ENTRIES.parse("4_096"));
    }

    @Test
    void whatIsNotAnExactIntegerInRangeIsRejectedNamingTheKey() {
        for (String bad : new String[] {"1.5", "1.5e0", "1e-3", "5e7.5", "e7", "5e", "1e19", "1e400", "0x10", "", "five"}) {
            ConfigException e = assertThrows(ConfigException.class, () -> CYCLES.parse(bad), bad);
            assertTrue(e.getMessage().startsWith("x.cycles: '" + bad + "' is not allowed; allowed: an integer from 10000"),
                    e.getMessage());
        }
        assertThrows(ConfigException.class, () -> CYCLES.parse("9e3"), "below the minimum");
        assertThrows(ConfigException.class, () -> ROUNDS.parse("1e7"), "above the maximum");
        assertThrows(ConfigException.class, () -> ROUNDS.parse("5e9"), "beyond an int: out of range, not wrapped");
        assertThrows(ConfigException.class, () -> ENTRIES.parse("3e2"), "not a power of two");
        assertThrows(ConfigException.class, () -> ENTRIES.parse("4294967296"), "2^32: above the maximum (never narrowed to an int)");
    }
}
