package mmsim.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import mmsim.stats.CostModel;
import mmsim.stats.CostModel.Parameter;

class CostProfileTest {

    @Test
    void theDefaultProfileIsSkylakeServerAndEveryParameterHasAValueAndASource() {
        MachineConfig c = MachineConfig.defaults();
        assertEquals("skylake-server", c.costProfile().name());
        CostModel costs = c.costs();
        assertEquals(3.0, costs.ghz);
        assertEquals(2400, costs.ipiDelivery);
        assertEquals(1000, costs.faultEntryExit);
        for (Parameter p : Parameter.values()) {
            String source = c.costProfile().sources().get(p);
            assertTrue(source != null && !source.startsWith("(no source"), p.key() + " has no source in skylake-server");
            assertEquals(c.asStrings().get(p.key()), p == Parameter.GHZ ? "3.0" : Long.toString((long) costs.value(p)),
                    p.key() + " is recorded with the resolved settings");
        }
        assertEquals("skylake-server", c.asStrings().get("cost.profile"));
    }

    @Test
    void aSingleCostSettingOverridesTheProfileAndTheOthersKeepItsValues() {
        MachineConfig c = MachineConfig.parse(Map.of("cost.page_zero", "999"));
        assertEquals(999, c.costs().pageZero);
        assertEquals(600, c.costs().pageCopy);
        MachineConfig back = MachineConfig.parse(c.asStrings());
        assertEquals(c.asStrings(), back.asStrings(), "the recorded settings read back to the same machine");
    }

    @Test
    void aProfileFileWithABaseTakesTheRestFromTheBase(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("mine.properties");
        Files.writeString(file, "profile.name=mine\nprofile.description=a test machine\nprofile.base=skylake-server\n"
                + "host.cores=2\ncost.ghz=2.0\ncost.ghz.source=measured\ncost.page_copy=1234\n");
        MachineConfig c = MachineConfig.parse(Map.of("cost.profile", file.toString()));
        assertEquals("mine", c.costProfile().name());
        assertEquals(file.toString(), c.costProfile().origin());
        assertEquals(2.0, c.costs().ghz);
        assertEquals(1234, c.costs().pageCopy);
        assertEquals(250, c.costs().pageZero, "taken from the base");
        assertEquals("2", c.costProfile().host().get("cores"));
        assertTrue(c.costProfile().sources().get(Parameter.PAGE_ZERO).startsWith("from skylake-server: "));
        // the clock converts the quantum given in microseconds
        MachineConfig q = c.with("sched.quantum.us", "1000");
        assertEquals(2_000_000L, q.schedQuantumCycles(), "1000 us at 2 GHz");
        // with() keeps the profile and changes only what it is given
        assertEquals(1234, q.costs().pageCopy);
        assertEquals(600, q.with("cost.profile", "skylake-server").costs().pageCopy, "a new profile takes effect for every cost not given");
    }

    @Test
    void aProfileReadsBackFromTheTextItWrites() {
        CostProfile p = CostProfile.load("skylake-server");
        CostProfile back = CostProfile.parse(p.toText(List.of("a header")), "text");
        assertEquals(p.values(), back.values());
        assertEquals(p.sources(), back.sources());
        assertEquals(p.name(), back.name());
        assertEquals(p.description(), back.description());
    }

    @Test
    void badProfilesAreRefusedWithTheKeyOrFileNamed(@TempDir Path dir) throws Exception {
        ConfigException unknown = assertThrows(ConfigException.class, () -> MachineConfig.parse(Map.of("cost.profile", "no-such-machine")));
        assertTrue(unknown.getMessage().contains("cost.profile=no-such-machine") && unknown.getMessage().contains("skylake-server"),
                unknown.getMessage());

        Path typo = dir.resolve("typo.properties");
        Files.writeString(typo, "profile.name=t\nprofile.base=skylake-server\ncost.page_zeroo=5\n");
        ConfigException t = assertThrows(ConfigException.class, () -> MachineConfig.parse(Map.of("cost.profile", typo.toString())));
        assertTrue(t.getMessage().contains("cost.page_zeroo") && t.getMessage().contains(typo.toString()), t.getMessage());

        Path incomplete = dir.resolve("incomplete.properties");
        Files.writeString(incomplete, "profile.name=i\ncost.ghz=2\n");
        ConfigException i = assertThrows(ConfigException.class, () -> CostProfile.load(incomplete.toString()));
        assertTrue(i.getMessage().contains("no value for cost.tlb_l1_hit"), i.getMessage());

        Path negative = dir.resolve("negative.properties");
        Files.writeString(negative, "profile.name=n\nprofile.base=skylake-server\ncost.invlpg=-3\n");
        ConfigException n = assertThrows(ConfigException.class, () -> CostProfile.load(negative.toString()));
        assertTrue(n.getMessage().contains("cost.invlpg=-3"), n.getMessage());

        ConfigException setting = assertThrows(ConfigException.class, () -> MachineConfig.parse(Map.of("cost.ghz", "0")));
        assertTrue(setting.getMessage().contains("cost.ghz"), setting.getMessage());
    }
}
