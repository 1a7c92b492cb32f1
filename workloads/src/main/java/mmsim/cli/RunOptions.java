package mmsim.cli;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import picocli.CommandLine.Option;

import mmsim.config.ConfigException;
import mmsim.config.MachineConfig;
import mmsim.config.Setting;
import mmsim.run.RunSpec;
import mmsim.workload.Workload;
import mmsim.workload.Workloads;

/**
 * Options that {@code run} and {@code compare} share: the machine, settings, checking, output. Settings
 * are routed by key: machine settings (see {@link MachineConfig#SETTINGS}) to the machine, keys that
 * start with a workload's name to that workload; anything else is an error that lists both.
 */
final class RunOptions {
    @Option(names = "--cpus", paramLabel = "N", description = "Simulated CPUs (machine setting cpus).")
    String cpus;

    @Option(names = "--memory", paramLabel = "SIZE", description = "Simulated physical memory, e.g. 512MiB (machine setting memory).")
    String memory;

    @Option(names = "--seed", paramLabel = "N", description = "The seed every random choice derives from (machine setting seed).")
    String seed;

    @Option(names = "--set", paramLabel = "key=value",
            description = "Any machine or workload setting (repeatable), e.g. --set tlb.asid=true --set snapshot.data=32MiB.")
    List<String> sets = new ArrayList<>();

    @Option(names = "--seconds", paramLabel = "N",
            description = "Host seconds for workloads that run for a time (sets <workload>.seconds, e.g. chaos.seconds); "
                    + "not with --deterministic, which runs for modeled time (e.g. --set chaos.cycles=N).")
    String seconds;

    @Option(names = "--deterministic", description = "Deterministic mode (machine setting sim.deterministic=true): one "
            + "simulated CPU executes at a time, chosen by a fixed rule, so one seed gives the same counters, modeled clocks and "
            + "modeled histograms run after run; workloads that run for a time then run for modeled time (chaos.cycles).")
    boolean deterministic;

    @Option(names = "--check", description = "Checking mode: the stale-translation oracle checks every TLB hit and the "
            + "workload's reads are checked against its model; a violation fails the run (exit status 1).")
    boolean check;

    @Option(names = "--out", paramLabel = "DIR", description = "Where run directories are written (default: ${DEFAULT-VALUE}).")
    Path out = Path.of("runs");

    @Option(names = "--quiet", description = "No progress bar, and only the essential lines of output.")
    boolean quiet;

    @Option(names = "--workload-class", paramLabel = "CLASS",
            description = "Run a workload class of your own from the class path (a public mmsim.workload.Workload with a public no-argument constructor).")
    String workloadClass;

    @Option(names = "--timeout", paramLabel = "MINUTES", defaultValue = "30",
            description = "Watchdog: a run still going after this many host minutes fails as hung (default: ${DEFAULT-VALUE}).")
    int timeoutMinutes;

    /** The workloads named (plus the --workload-class one), resolved. */
    List<Workload> workloads(List<String> names) {
        List<Workload> out = new ArrayList<>();
        try {
            for (String name : names) {
                out.add(Workloads.named(name));
            }
            if (workloadClass != null) {
                out.add(Workloads.ofClass(workloadClass));
            }
        } catch (ConfigException e) {
            throw new Main.BadInput(e.getMessage());
        }
        return out;
    }

    /**
     * Machine settings from the flags and the machine keys of --set, in that order (so --set cpus=8 wins over
     * --cpus), then --deterministic, which a --set of sim.deterministic may not contradict.
     */
    Map<String, String> machineSettings(List<Workload> workloads) {
        Map<String, String> machine = new LinkedHashMap<>();
        putIfSet(machine, MachineConfig.CPUS, cpus);
        putIfSet(machine, MachineConfig.MEMORY, memory);
        putIfSet(machine, MachineConfig.SEED, seed);
        for (String kv : sets) {
            String[] p = split(kv);
            if (isMachineKey(p[0])) {
                machine.put(p[0], p[1]);
            } else if (owner(p[0], workloads) == null) {
                throw new Main.BadInput("unknown setting '" + p[0] + "'; machine settings: " + machineKeys()
                        + workloadKeys(workloads) + " (see 'mmsim list')");
            }
        }
        if (deterministic) {
            String given = machine.get(MachineConfig.SIM_DETERMINISTIC.key());
            if (given != null && !given.trim().equals("true")) {
                throw new Main.BadInput("--deterministic contradicts --set " + MachineConfig.SIM_DETERMINISTIC.key() + "=" + given
                        + ": give one of them");
            }
            machine.put(MachineConfig.SIM_DETERMINISTIC.key(), "true");
        }
        return machine;
    }

    /** {@code workload}'s settings from --set and --seconds. */
    Map<String, String> workloadSettings(Workload workload) {
        Map<String, String> settings = new LinkedHashMap<>();
        for (String kv : sets) {
            String[] p = split(kv);
            if (!isMachineKey(p[0]) && p[0].startsWith(workload.name() + ".")) {
                settings.put(p[0], p[1]);
            }
        }
        if (seconds != null) {
            String key = workload.name() + ".seconds";
            if (workload.settings().stream().noneMatch(s -> s.key().equals(key))) {
                throw new Main.BadInput("--seconds: workload " + workload.name() + " does not run for a time (it has no "
                        + key + " setting); its settings: " + keysOf(workload));
            }
            settings.put(key, seconds);
        }
        return settings;
    }

    /**
     * Where a report command writes: {@code out} itself (created if missing), or a new {@code runs/<prefix>-<time>}
     * when no --out was given; a directory that cannot be created is bad input.
     */
    static Path reportDirectory(Path out, String prefix) {
        try {
            return out != null ? java.nio.file.Files.createDirectories(out) : mmsim.run.RunDirectory.create(Path.of("runs"), prefix);
        } catch (java.io.IOException e) {
            throw new Main.BadInput("--out " + out + ": cannot create it (" + e.getMessage() + ")");
        }
    }

    /** A new run directory {@code <out>/<prefix>-<time>}; an --out that cannot hold one is bad input. */
    Path runDirectory(String prefix) {
        try {
            return mmsim.run.RunDirectory.create(out, prefix);
        } catch (java.io.IOException | SecurityException e) {
            throw new Main.BadInput("--out " + out + ": cannot create a run directory there ("
                    + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage())
                    + "); give a directory that exists or can be created");
        }
    }

    Duration timeout() {
        if (timeoutMinutes < 1) {
            throw new Main.BadInput("--timeout: '" + timeoutMinutes + "' is not allowed; allowed: a whole number of minutes from 1");
        }
        return Duration.ofMinutes(timeoutMinutes);
    }

    private static void putIfSet(Map<String, String> machine, Setting<?> setting, String value) {
        if (value != null) {
            machine.put(setting.key(), value);
        }
    }

    /** {@code key=value} pairs as a map, in order; a pair without {@code =} is bad input. */
    static Map<String, String> keyValues(List<String> pairs) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String kv : pairs) {
            String[] p = split(kv);
            out.put(p[0], p[1]);
        }
        return out;
    }

    private static String[] split(String kv) {
        int eq = kv.indexOf('=');
        if (eq <= 0) {
            throw new Main.BadInput("--set takes key=value; got '" + kv + "'");
        }
        return new String[] {kv.substring(0, eq).trim(), kv.substring(eq + 1)};
    }

    private static boolean isMachineKey(String key) {
        return MachineConfig.SETTINGS.stream().anyMatch(s -> s.key().equals(key));
    }

    private static Workload owner(String key, List<Workload> workloads) {
        for (Workload w : workloads) {
            if (key.startsWith(w.name() + ".")) {
                return w;
            }
        }
        return null;
    }

    private static String machineKeys() {
        return String.join(", ", MachineConfig.SETTINGS.stream().map(Setting::key).toList());
    }

    private static String workloadKeys(List<Workload> workloads) {
        StringBuilder sb = new StringBuilder();
        for (Workload w : workloads) {
            sb.append("; ").append(w.name()).append(" settings: ").append(keysOf(w));
        }
        return sb.toString();
    }

    private static String keysOf(Workload w) {
        List<String> keys = w.settings().stream().map(Setting::key).toList();
        return keys.isEmpty() ? "(none)" : String.join(", ", keys);
    }

    static RunSpec resolve(Workload w, Map<String, String> machine, Map<String, String> settings, boolean check,
                           Duration timeout, List<String> commandLine) {
        try {
            return RunSpec.resolve(w, machine, settings, check, timeout, commandLine);
        } catch (mmsim.run.SetupException e) {
            throw new Main.BadInput(e.getMessage());
        }
    }
}
