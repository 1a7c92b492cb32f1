package mmsim.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import mmsim.run.RunSpec;
import mmsim.shootdown.Shootdowns;

/** Sweep files: the product they make, in which order, under which names, and every way one can be wrong. */
class SweepFileTest {
    private static final Path FILE = Path.of("study.yaml");

    private static Sweep parse(String yaml) throws SweepException {
        return Sweep.parse(FILE, yaml);
    }

    @Test
    void productIsEveryCombinationOfTheVariedValuesPerWorkloadWithTheSeedInnermost() throws Exception {
        Sweep s = parse("""
                workloads: [munmap, snapshot]
                set: {sim.deterministic: true, munmap.rounds: 4}
                vary:
                  shootdown.strategy: [linux, latr]
                  cpus: [1, 2, 4]
                  snapshot.data: [1MiB, 2MiB]
                seeds: 2
                """);
        assertEquals("study", s.name(), "the name defaults to the file's");
        assertEquals(List.of(1L, 2L), s.seeds(), "seeds: N means 1..N");
        List<SweepPoint> points = s.points();
        assertEquals(2 * 3 * 2 + 2 * 3 * 2 * 2, points.size(), "snapshot.data multiplies only snapshot's runs");
        assertEquals("munmap__shootdown.strategy-linux__cpus-1__seed-1", points.get(0).name());
        assertEquals("munmap__shootdown.strategy-linux__cpus-1__seed-2", points.get(1).name());
        assertEquals("munmap__shootdown.strategy-linux__cpus-2__seed-1", points.get(2).name());
        assertEquals("snapshot__shootdown.strategy-linux__cpus-1__snapshot.data-1MiB__seed-1", points.get(12).name());
        for (int i = 0; i < points.size(); i++) {
            assertEquals(i, points.get(i).position());
        }
        assertEquals(points.size(), points.stream().map(SweepPoint::name).distinct().count(), "names are unique");
    }

    @Test
    void aPointsRunGetsTheBaseSettingsItsValuesAndItsSeed() throws Exception {
        Sweep s = parse("""
                workloads: [munmap]
                set: {sim.deterministic: true, munmap.rounds: 4, memory: 64MiB}
                vary: {cpus: [2, 3]}
                seeds: [7]
                check: true
                timeout: 5
                """);
        SweepPoint p = s.points().get(1);
        RunSpec spec = s.spec(p, List.of("test"));
        assertEquals(3, spec.machine().cpus());
        assertEquals(7, spec.machine().seed());
        assertTrue(spec.machine().deterministic());
        assertEquals(64L << 20, spec.machine().memoryBytes());
        assertEquals("4", spec.settings().asStrings().get("munmap.rounds"));
        assertTrue(spec.check());
        assertEquals(java.time.Duration.ofMinutes(5), spec.timeout());
        assertEquals(List.of("mmsim", "run", "munmap", "--set", "sim.deterministic=true", "--set", "memory=64MiB", "--set", "cpus=3",
                "--set", "seed=7", "--set", "munmap.rounds=4", "--check", "--timeout", "5"), s.runCommand(p));
    }

    @Test
    void excludesLeaveOutEveryPointTheyMatch() throws Exception {
        Sweep s = parse("""
                workloads: [munmap, forkserver]
                vary:
                  shootdown.strategy: [linux, latr]
                  cpus: [1, 2]
                seeds: [1, 2]
                exclude:
                  - {workload: forkserver, cpus: 1}
                  - {shootdown.strategy: latr, seed: 2}
                """);
        for (SweepPoint p : s.points()) {
            assertFalse(p.workload().name().equals("forkserver") && p.values().get("cpus").equals("1"), p.name());
            assertFalse(p.values().get("shootdown.strategy").equals("latr") && p.seed() == 2, p.name());
        }
        assertEquals(16 - 4 - 4 + 1, s.points().size(), "one point matches both");
    }

    @Test
    void allStandsForEveryStrategy() throws Exception {
        Sweep s = parse("workloads: [munmap]\nvary: {shootdown.strategy: all, fork.strategy: all}\n");
        assertEquals(Shootdowns.NAMES, s.vary().get("shootdown.strategy"));
        assertEquals(List.of("eager", "cow", "odf"), s.vary().get("fork.strategy"));
        assertEquals(Shootdowns.NAMES.size() * 3, s.points().size());
    }

    @Test
    void aValueThatIsNotFileSystemSafeGetsAHashSoNamesStayUnique() throws Exception {
        Sweep s = parse("workloads: [munmap]\nvary: {cost.profile: [skylake-server, epyc-zen5-microvm]}\n");
        assertEquals("munmap__cost.profile-skylake-server__seed-1", s.points().get(0).name());
        String a = Sweep.pointName("munmap", Map.of("cost.profile", "a/b.properties"), 1);
        String b = Sweep.pointName("munmap", Map.of("cost.profile", "a_b.properties"), 1);
        assertTrue(a.matches("munmap__cost.profile-a_b.properties__seed-1~[0-9a-f]{10}"), a);
        assertEquals("munmap__cost.profile-a_b.properties__seed-1", b);
        assertEquals(a, Sweep.pointName("munmap", Map.of("cost.profile", "a/b.properties"), 1), "stable");
        String longName = Sweep.pointName("munmap", Map.of("cost.profile", "x".repeat(300)), 1);
        assertTrue(longName.length() <= 191 && longName.matches(".*~[0-9a-f]{10}"), longName);
    }

    @Test
    void theOutputCopyNamesTheSweepWhenTheFileDidNot() throws Exception {
        Sweep s = parse("# a study\nworkloads: [munmap]\n");
        String copy = s.textWithName();
        assertTrue(copy.startsWith("# a study\nname: study "), copy);
        assertEquals("study", Sweep.parse(Path.of("out/sweep.yaml"), copy).name());
        Sweep named = parse("name: other\nworkloads: [munmap]\n");
        assertEquals(named.text(), named.textWithName());
    }

    static Stream<Arguments> badSweeps() {
        return Stream.of(
                Arguments.of("workloads: [munmap]\nvary: {cpu: [1, 2]}\n", "study.yaml:2", "unknown setting 'cpu'", "cpus"),
                Arguments.of("workloads: [munmap]\nset:\n  munmap.round: 4\n", "study.yaml:3", "unknown setting 'munmap.round'", "munmap.rounds"),
                Arguments.of("workloads: [munmap]\nset: {snapshot.data: 1MiB}\n", "study.yaml:2", "unknown setting 'snapshot.data'", "munmap settings"),
                Arguments.of("workloads: [munmap, nosuch]\n", "study.yaml:1", "unknown workload 'nosuch'", "forkserver"),
                Arguments.of("vary: {cpus: [1]}\n", "study.yaml", "no 'workloads'", "munmap"),
                Arguments.of("workloads: [munmap]\nvarry: {cpus: [1]}\n", "study.yaml:2", "unknown key 'varry'", "vary"),
                Arguments.of("workloads: [munmap]\nvary: {cpus: []}\n", "study.yaml:2", "empty list", "at least one value"),
                Arguments.of("workloads: [munmap]\nseeds: []\n", "study.yaml:2", "seeds is an empty list", "at least one seed"),
                Arguments.of("workloads: [munmap]\nvary: {cpus: [1]}\nexclude: [{cpus: 1}]\n", "study.yaml", "no runs", "excludes"),
                Arguments.of("workloads: [munmap]\nvary: {cpus: [1, 2]}\nexclude: [{cpus: 3}]\n", "study.yaml:3", "cpus=3", "1, 2"),
                Arguments.of("workloads: [munmap]\nexclude: [{memory: 1GiB}]\n", "study.yaml:2", "'memory' is not varied", "workload, seed"),
                Arguments.of("workloads: [munmap]\nset: {seed: 3}\n", "study.yaml:2", "seed", "seeds"),
                Arguments.of("workloads: [munmap]\nvary: {cpus: [2, 0]}\n", "study.yaml:2", "cpus: '0' is not allowed", "1 to 1024"),
                Arguments.of("workloads: [munmap]\nset: {munmap.rounds: lots}\n", "study.yaml:2", "munmap.rounds", "allowed"),
                Arguments.of("workloads: [munmap]\nvary: {cpus: 2}\n", "study.yaml:2", "vary: cpus must be a list", "[a, b]"),
                Arguments.of("workloads: [munmap]\nset: {cpus: 2}\nvary: {cpus: [1]}\n", "study.yaml:3", "also under set", "one of them"),
                Arguments.of("workloads: [munmap]\ncheck: maybe\n", "study.yaml:2", "check", "true or false"),
                Arguments.of("workloads: [munmap]\ntimeout: 0\n", "study.yaml:2", "timeout", "from 1"),
                Arguments.of("workloads: [munmap]\nworkloads: [snapshot]\n", "study.yaml:2", "'workloads' is given twice", "sweep file"),
                Arguments.of("workloads: [munmap\n", "study.yaml", "not valid YAML", "expected"),
                Arguments.of("- munmap\n", "study.yaml:1", "a sweep file is a mapping", "workloads"),
                Arguments.of("", "study.yaml", "empty", "workloads"));
    }

    @ParameterizedTest
    @MethodSource("badSweeps")
    void aBadSweepFileIsRefusedWithOneLineNamingTheFileLineAndCulprit(String yaml, String where, String culprit, String allowed) {
        SweepException e = assertThrows(SweepException.class, () -> parse(yaml));
        String m = e.getMessage();
        assertFalse(m.contains("\n"), "one line: " + m);
        assertTrue(m.contains(where), "names " + where + ": " + m);
        assertTrue(m.contains(culprit), "names " + culprit + ": " + m);
        assertTrue(m.contains(allowed), "says " + allowed + ": " + m);
    }

    @Test
    void shardsSplitTheProductRoundRobinDisjointAndWhole() throws Exception {
        Sweep s = parse("workloads: [munmap]\nvary: {cpus: [1, 2, 3, 4, 5, 6, 7]}\n");
        Set<String> seen = new HashSet<>();
        List<List<String>> split = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            List<String> names = s.points(new Shard(i, 3)).stream().map(SweepPoint::name).toList();
            split.add(names);
            for (String n : names) {
                assertTrue(seen.add(n), n + " is in one shard only");
            }
        }
        assertEquals(7, seen.size(), "every run is in a shard");
        assertEquals(List.of("munmap__cpus-1__seed-1", "munmap__cpus-4__seed-1", "munmap__cpus-7__seed-1"), split.get(0));
        assertEquals(List.of("munmap__cpus-2__seed-1", "munmap__cpus-5__seed-1"), split.get(1));
        assertEquals(split.get(1), Sweep.parse(FILE, s.text()).points(Shard.parse("1/3")).stream().map(SweepPoint::name).toList(),
                "the same file and N give the same split");
    }

    @ParameterizedTest
    @ValueSource(strings = {"3/2", "2/2", "-1/2", "0/0", "a/b", "1", "/2", "1/"})
    void aShardOutsideItsCountIsRefused(String text) {
        SweepException e = assertThrows(SweepException.class, () -> Shard.parse(text));
        assertTrue(e.getMessage().contains("--shard") && e.getMessage().contains("0 <= i < N"), e.getMessage());
    }
}
