package mmsim.calibrate;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;

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
}
