package mmsim.workloads;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import mmsim.shootdown.Shootdowns;
import mmsim.stats.CpuCounter;

/** A short randomized soak for every shootdown strategy × fork strategy, both oracles on. */
class SoakTest {

    static Stream<String> machines() {
        return Shootdowns.NAMES.stream().flatMap(s -> Stream.of("eager", "cow", "odf").map(f -> s + "/" + f));
    }

    @ParameterizedTest
    @MethodSource("machines")
    void aShortSoakRunsClean(String machine) throws Exception {
        String[] parts = machine.split("/");
        long seed = 20261121L + machine.hashCode();
        Soak.Result r = Soak.run(new Soak.Options(1200, seed, 3, parts[0], parts[1], "128MiB"));
        assertEquals(List.of(), r.problems(), "seed " + seed + "\n" + Soak.describe(r));
        assertTrue(r.ops().get(Soak.Op.FORK) > 0 && r.ops().get(Soak.Op.MUNMAP) > 0 && r.contentChecks() > 1000,
                "the soak did real work: " + Soak.describe(r));
        assertTrue(r.counters().get(CpuCounter.SHOOTDOWNS) > 0);
    }
}
