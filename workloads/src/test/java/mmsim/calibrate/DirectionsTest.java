package mmsim.calibrate;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Each published direction holds in modeled time, under the bare-metal profile and under this host kind's measured one. */
class DirectionsTest {

    @ParameterizedTest
    @ValueSource(strings = {"skylake-server", "epyc-zen5-microvm"})
    void latrCutsMunmapLatencyAgainstLinux(String profile) {
        Directions.Direction d = Directions.latr(Map.of("cost.profile", profile));
        System.out.println(profile + ": " + d);
        assertTrue(d.holds(), d.evidence());
    }

    @ParameterizedTest
    @ValueSource(strings = {"skylake-server", "epyc-zen5-microvm"})
    void batchingCutsIpisPerUnmappedPage(String profile) {
        Directions.Direction d = Directions.batching(Map.of("cost.profile", profile));
        System.out.println(profile + ": " + d);
        assertTrue(d.holds(), d.evidence());
    }

    @ParameterizedTest
    @ValueSource(strings = {"skylake-server", "epyc-zen5-microvm"})
    void hardwareBroadcastInterruptsNobody(String profile) {
        Directions.Direction d = Directions.hardwareBroadcast(Map.of("cost.profile", profile));
        System.out.println(profile + ": " + d);
        assertTrue(d.holds(), d.evidence());
    }

    @ParameterizedTest
    @ValueSource(strings = {"skylake-server", "epyc-zen5-microvm"})
    void linuxShootdownCostGrowsWithCpus(String profile) {
        Directions.Direction d = Directions.linuxGrowth(Map.of("cost.profile", profile));
        System.out.println(profile + ": " + d);
        assertTrue(d.holds(), d.evidence());
    }
}
