package mmsim.sweep;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import mmsim.run.Summary;

/** What the sweep tests share: a tiny deterministic sweep file, directory copies, and merged tables by run without host columns. */
final class SweepFixtures {
    /** Four runs of about a second each: munmap, 4 rounds, under two strategies on 1 and 2 CPUs, deterministic. */
    static final String SMALL = """
            name: small
            workloads: [munmap]
            set:
              sim.deterministic: true
              munmap.rounds: 4
              memory: 64MiB
            vary:
              shootdown.strategy: [linux, latr]
              cpus: [1, 2]
            seeds: [1]
            timeout: 3
            """;

    private static Path smallRun;
    private static mmsim.cli.CommandLineTestAccess.Outcome smallOutcome;

    private SweepFixtures() {
    }

    /**
     * {@link #SMALL} run once per test JVM with {@code mmsim sweep --jobs 2} and merged: its file is
     * {@code <dir>/small.yaml}, its runs and merged.csv are in {@code <dir>/whole}. Deleted when the JVM exits.
     */
    static synchronized Path smallSweep() throws IOException {
        if (smallRun == null) {
            Path dir = Files.createTempDirectory("mmsim-small-sweep");
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    deleteTree(dir);
                } catch (IOException e) {
                    // a temporary directory left behind
                }
            }));
            Path file = write(dir, "small.yaml", SMALL);
            Path out = dir.resolve("whole");
            smallOutcome = mmsim.cli.CommandLineTestAccess.mmsim("sweep", file.toString(), "--out", out.toString(), "--jobs", "2");
            if (smallOutcome.status() != 0) {
                throw new IllegalStateException("the small sweep failed: " + smallOutcome.stdout() + smallOutcome.stderr());
            }
            mmsim.cli.CommandLineTestAccess.mmsim("merge", out.toString());
            smallRun = dir;
        }
        return smallRun;
    }

    /** What {@code mmsim sweep} printed for {@link #smallSweep()}. */
    static synchronized mmsim.cli.CommandLineTestAccess.Outcome smallSweepOutcome() throws IOException {
        smallSweep();
        return smallOutcome;
    }

    static Path write(Path dir, String name, String yaml) throws IOException {
        Files.createDirectories(dir);
        return Files.writeString(dir.resolve(name), yaml, StandardCharsets.UTF_8);
    }

    static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> all = Files.walk(from)) {
            for (Path p : all.sorted().toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
    }

    static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    /**
     * {@code merged.csv} as run → column → value, leaving out what depends on the host: {@code host:} metrics and
     * {@code host.cores}. Two sweeps of the same file in the deterministic mode must give equal tables.
     */
    static Map<String, Map<String, String>> modeledTable(Path mergedCsv) throws IOException {
        Map<String, Map<String, String>> byRun = new TreeMap<>();
        for (Map<String, String> row : Summary.readCsv(mergedCsv)) {
            Map<String, String> kept = new LinkedHashMap<>();
            row.forEach((k, v) -> {
                if (!k.startsWith("host:") && !k.equals("host.cores")) {
                    kept.put(k, v);
                }
            });
            byRun.put(row.get("run"), kept);
        }
        return byRun;
    }

    /** The header of {@code merged.csv}. */
    static List<String> header(Path mergedCsv) throws IOException {
        return Summary.readHeader(mergedCsv);
    }
}
