package mmsim.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The command line's virtual-thread carriers number its machine's host slots (Kernel.carriersFollowSlots): one in the
 * deterministic mode, sim.parallelism in the default mode, each process deciding for itself; the manifest records
 * them. Each case is an mmsim process of its own, since the JDK fixes the carriers once per JVM.
 */
class CommandLineCarriersTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void aDeterministicRunHasOneCarrier(@TempDir Path out) throws Exception {
        JsonNode manifest = runManifest(out, List.of(), "--deterministic");
        assertCarriers(manifest, 1);
    }

    @Test
    void aDefaultModeRunHasOneCarrierPerSlot(@TempDir Path out) throws Exception {
        // 3 differs from the JDK's default (the host's cores) on the 1-, 2- and 4-core hosts the tests run on
        JsonNode manifest = runManifest(out, List.of(), "--set", "sim.parallelism=3");
        assertEquals(3, manifest.get("sim.parallelism").asInt());
        assertCarriers(manifest, 3);
    }

    @Test
    void aCarrierCountTheUserGaveIsKept(@TempDir Path out) throws Exception {
        JsonNode manifest = runManifest(out, List.of("-Djdk.virtualThreadScheduler.parallelism=2"), "--deterministic");
        assertCarriers(manifest, 2);
    }

    private static void assertCarriers(JsonNode manifest, int expected) {
        if (manifest.get("threads").asText().equals("virtual")) {
            assertEquals(expected, manifest.get("vthread.carriers").asInt(), manifest.toPrettyString());
        } else {
            // platform threads (JDK 17 to 23 under sim.threads=auto): no carriers to report
            assertFalse(manifest.has("vthread.carriers"), manifest.toPrettyString());
        }
    }

    /** The manifest of {@code mmsim run munmap ... EXTRA} run in a JVM of its own, like this one plus {@code jvmOptions}. */
    private static JsonNode runManifest(Path out, List<String> jvmOptions, String... extra) throws Exception {
        List<String> args = Stream.concat(Stream.of("run", "munmap", "--cpus", "2", "--seed", "3", "--set", "munmap.rounds=8",
                "--quiet", "--out", out.toString()), Stream.of(extra)).toList();
        JavaCommand self = JavaCommand.current();
        List<String> options = new ArrayList<>(self.jvmOptions());
        options.addAll(jvmOptions);
        Processes.Result r = Processes.run(new JavaCommand(self.java(), options, self.classPath()).command("mmsim.cli.Main", args),
                Map.of(), 120);
        assertEquals(0, r.status(), r.output());
        try (Stream<Path> files = Files.walk(out)) {
            Path manifest = files.filter(p -> p.getFileName().toString().equals("manifest.json")).findFirst()
                    .orElseThrow(() -> new AssertionError("no manifest.json under " + out + "; output: " + r.output()));
            return JSON.readTree(manifest.toFile());
        }
    }
}
