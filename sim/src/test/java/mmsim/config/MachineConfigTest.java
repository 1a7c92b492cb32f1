package mmsim.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;

import org.junit.jupiter.api.Test;

class MachineConfigTest {

    @Test
    void defaultsResolveEverySetting() {
        MachineConfig c = MachineConfig.defaults();
        assertEquals(2, c.cpus());
        assertEquals(256L << 20, c.memoryBytes());
        assertEquals(65536, c.frames());
        assertEquals(MachineConfig.SETTINGS.size(), c.asStrings().size());
        assertEquals("256MiB", c.asStrings().get("memory"));
        assertEquals("lru", c.asStrings().get("tlb.replacement"));
    }

    @Test
    void resolvedSettingsReadBackToTheSameConfig() {
        MachineConfig c = MachineConfig.parse(Map.of("cpus", "8", "memory", "3GiB", "tlb.replacement", "fifo",
                "tlb.asid", "true", "seed", "0xdeadbeef"));
        MachineConfig again = MachineConfig.parse(c.asStrings());
        assertEquals(c.asStrings(), again.asStrings());
        assertEquals(8, again.cpus());
        assertEquals(3L << 30, again.memoryBytes());
        assertEquals(0xdeadbeefL, again.seed());
    }

    @Test
    void unknownKeyIsRejectedWithTheKnownKeys() {
        ConfigException e = assertThrows(ConfigException.class, () -> MachineConfig.parse(Map.of("cpu", "4")));
        assertTrue(e.getMessage().contains("unknown setting 'cpu'"), e.getMessage());
        assertTrue(e.getMessage().contains("cpus"), e.getMessage());
    }

    @Test
    void invalidValueNamesTheKeyAndWhatIsAllowed() {
        ConfigException e = assertThrows(ConfigException.class, () -> MachineConfig.parse(Map.of("cpus", "0")));
        assertEquals("cpus: '0' is not allowed; allowed: an integer from 1 to 1024", e.getMessage());
        e = assertThrows(ConfigException.class, () -> MachineConfig.parse(Map.of("tlb.replacement", "plru")));
        assertTrue(e.getMessage().startsWith("tlb.replacement:"), e.getMessage());
        assertTrue(e.getMessage().contains("one of lru, fifo, random"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> MachineConfig.parse(Map.of("memory", "1000")));
        assertTrue(e.getMessage().startsWith("memory:") && e.getMessage().contains("multiple of 4KiB"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> MachineConfig.parse(Map.of("tlb.asid", "yes")));
        assertEquals("tlb.asid: 'yes' is not allowed; allowed: true or false", e.getMessage());
        e = assertThrows(ConfigException.class, () -> MachineConfig.parse(Map.of("page.size", "2MiB")));
        assertTrue(e.getMessage().startsWith("page.size:"), e.getMessage());
    }

    @Test
    void tlbGeometryMustGivePowerOfTwoSets() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> MachineConfig.parse(Map.of("tlb.l1.entries", "48", "tlb.l1.ways", "4")));
        assertTrue(e.getMessage().contains("tlb.l1.entries=48 and tlb.l1.ways=4"), e.getMessage());
        // 1536 entries of 12 ways is 128 sets: Skylake's STLB, allowed.
        assertEquals(1536, MachineConfig.parse(Map.of("tlb.l2.entries", "1536", "tlb.l2.ways", "12")).tlbL2Entries());
        // The L2's geometry does not matter with one level.
        assertEquals(1, MachineConfig.parse(Map.of("tlb.levels", "1", "tlb.l2.entries", "100")).tlbLevels());
    }

    @Test
    void withOverridesOneSetting() {
        MachineConfig c = MachineConfig.defaults().with("cpus", "4");
        assertEquals(4, c.cpus());
        assertEquals(MachineConfig.defaults().memoryBytes(), c.memoryBytes());
    }

    @Test
    void theQuantumCanBeGivenInModeledMicrosecondsOrCyclesButNotTwoDifferentWays() {
        assertEquals(6_000_000L, MachineConfig.defaults().schedQuantumCycles());
        assertEquals(1_500_000L, MachineConfig.parse(Map.of("sched.quantum.us", "500")).schedQuantumCycles());
        MachineConfig cycles = MachineConfig.parse(Map.of("sched.quantum.cycles", "300000"));
        assertEquals(100, cycles.schedQuantumMicros());
        assertEquals(cycles.asStrings(), MachineConfig.parse(cycles.asStrings()).asStrings(), "reads back");
        ConfigException e = assertThrows(ConfigException.class,
                () -> MachineConfig.parse(Map.of("sched.quantum.us", "500", "sched.quantum.cycles", "300000")));
        assertTrue(e.getMessage().contains("sched.quantum.us=500") && e.getMessage().contains("sched.quantum.cycles=300000"),
                e.getMessage());
    }

    @Test
    void parallelismDefaultsToTheHostsCoresAndIsOneInTheDeterministicMode() {
        assertEquals(Runtime.getRuntime().availableProcessors(), MachineConfig.defaults().simParallelism());
        assertEquals(3, MachineConfig.parse(Map.of("sim.parallelism", "3")).simParallelism());
        MachineConfig det = MachineConfig.parse(Map.of("sim.deterministic", "true"));
        assertEquals(1, det.simParallelism());
        assertTrue(det.deterministic());
        assertEquals(1, MachineConfig.parse(Map.of("sim.deterministic", "true", "sim.parallelism", "1")).simParallelism());
        ConfigException e = assertThrows(ConfigException.class,
                () -> MachineConfig.parse(Map.of("sim.deterministic", "true", "sim.parallelism", "2")));
        assertTrue(e.getMessage().contains("sim.parallelism=2") && e.getMessage().contains("sim.deterministic"), e.getMessage());
        ConfigException threads = assertThrows(ConfigException.class, () -> MachineConfig.parse(Map.of("sim.threads", "green")));
        assertEquals("sim.threads: 'green' is not allowed; allowed: one of auto, virtual, platform", threads.getMessage());
    }

    @Test
    void theTopologyResolvesEitherSettingFromTheOtherAndRefusesOnesThatDoNotDivideTheCpus() {
        MachineConfig one = MachineConfig.parse(Map.of("cpus", "8"));
        assertEquals(1, one.sockets());
        assertEquals(8, one.coresPerSocket());
        MachineConfig two = MachineConfig.parse(Map.of("cpus", "8", "topology.sockets", "2"));
        assertEquals(4, two.coresPerSocket());
        assertEquals(0, two.socketOf(3));
        assertEquals(1, two.socketOf(4));
        assertEquals("4", two.asStrings().get("topology.cores_per_socket"), "the resolved value is what a run records");
        MachineConfig byCores = MachineConfig.parse(Map.of("cpus", "32", "topology.cores_per_socket", "4"));
        assertEquals(8, byCores.sockets());
        assertEquals(8, MachineConfig.parse(Map.of("cpus", "32", "topology.sockets", "8", "topology.cores_per_socket", "4")).sockets());

        ConfigException uneven = assertThrows(ConfigException.class, () -> MachineConfig.parse(Map.of("cpus", "6", "topology.sockets", "4")));
        assertTrue(uneven.getMessage().startsWith("topology.sockets=4 does not divide cpus=6"), uneven.getMessage());
        ConfigException cores = assertThrows(ConfigException.class,
                () -> MachineConfig.parse(Map.of("cpus", "6", "topology.cores_per_socket", "4")));
        assertTrue(cores.getMessage().startsWith("topology.cores_per_socket=4 does not divide cpus=6"), cores.getMessage());
        ConfigException both = assertThrows(ConfigException.class,
                () -> MachineConfig.parse(Map.of("cpus", "8", "topology.sockets", "2", "topology.cores_per_socket", "2")));
        assertEquals("topology.sockets=2 times topology.cores_per_socket=2 is 4, not cpus=8", both.getMessage());
        ConfigException zero = assertThrows(ConfigException.class, () -> MachineConfig.parse(Map.of("topology.sockets", "0")));
        assertTrue(zero.getMessage().contains("topology.sockets"), zero.getMessage());
    }

    /** Every strategy the shootdown package builds is a value of the setting, and the other way round. */
    @Test
    void everyShootdownStrategyIsASettingValue() {
        for (String name : mmsim.shootdown.Shootdowns.NAMES) {
            assertEquals(name, MachineConfig.parse(Map.of("shootdown.strategy", name)).shootdownStrategy().toString());
        }
        assertEquals(mmsim.shootdown.Shootdowns.NAMES.size(), MachineConfig.Shootdown.values().length);
    }
}
