package mmsim.calibrate;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Each published direction holds in modeled time, under the bare-metal profile and under this host kind's measured one. */
class DirectionsTest {

    static Stream<Arguments> directionsUnderEachProfile() {
        Map<String, Function<Map<String, String>, Directions.Direction>> directions = Map.of(
                "LATR cuts munmap latency against linux", Directions::latr,
                "batching cuts IPIs per unmapped page", Directions::batching,
                "hardware broadcast interrupts nobody", Directions::hardwareBroadcast,
                "linux's shootdown cost grows with CPUs", Directions::linuxGrowth);
        return directions.entrySet().stream().flatMap(d -> Stream.of("skylake-server", "epyc-zen5-microvm")
                .map(profile -> Arguments.of(d.getKey(), profile, d.getValue())));
    }

    @ParameterizedTest(name = "{0} under {1}")
    @MethodSource("directionsUnderEachProfile")
    void holds(String claim, String profile, Function<Map<String, String>, Directions.Direction> check) {
        Directions.Direction d = check.apply(Map.of("cost.profile", profile));
        System.out.println(profile + ": " + d);
        assertTrue(d.holds(), d.evidence());
    }

    /** The research strategies' directions under the bare-metal profile (issue: abis, early-ack, multicast, didi, NUMA linux). */
    @Test
    void theResearchDirectionsHoldOnBareMetal() {
        List<Directions.Direction> research = Directions.research(Map.of("cost.profile", "skylake-server"));
        assertTrue(research.size() == 5, research.toString());
        for (Directions.Direction d : research) {
            System.out.println("skylake-server: " + d);
            assertTrue(d.holds(), d.name() + ": " + d.evidence());
        }
    }

    /** A virtualised profile's report leaves the bare-metal research directions out rather than judging them on borrowed costs. */
    @Test
    void aVirtualisedProfileLeavesTheResearchDirectionsOut() {
        assertTrue(Directions.check(Map.of("cost.profile", "epyc-zen5-microvm")).stream()
                .noneMatch(d -> d.name().equals("multicast-flat")));
        assertTrue(Directions.check(Map.of("cost.profile", "skylake-server")).stream()
                .anyMatch(d -> d.name().equals("multicast-flat")));
    }

    /** Each research direction fails for a strategy that lacks the property (the check can fail). */
    @Test
    void eachResearchDirectionFailsForAStrategyWithoutItsProperty() {
        Map<String, String> bare = Map.of("cost.profile", "skylake-server");
        assertFalse(Directions.abis(bare, "linux").holds(), "linux has no access tracking");
        assertFalse(Directions.earlyAck(bare, "linux").holds(), "linux acknowledges after flushing");
        assertFalse(Directions.didi(bare, "linux").holds(), "linux interrupts");
        assertFalse(Directions.didi(bare, "hw-broadcast").holds(), "hw-broadcast invalidates every CPU of the cpumask");
        double[] linux = Directions.numaSeries(bare, "linux");
        assertFalse(Directions.multicastFlat(linux, linux).holds(), "linux's own growth is not flat");
        double[] flat = {1, 1, 1, 1, 1};
        assertFalse(Directions.linuxNumaGrowth(flat).holds(), "a strategy whose cost does not grow");
    }
}
