package mmsim.run;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import mmsim.config.ConfigException;
import mmsim.config.MachineConfig;
import mmsim.kernel.Kernel;
import mmsim.workload.Workload;
import mmsim.workload.WorkloadSettings;

/**
 * Everything one run is made of: the workload, the machine and workload settings (defaults resolved),
 * whether both oracles check it, how long it may take (host time, a watchdog) and the command line that
 * asked for it.
 *
 * <p>{@code shootdown} is null for the strategy the machine settings name; a test may set a factory of its
 * own ({@link #withShootdown}), such as a deliberately broken twin that proves a workload's check can fail.
 * The run's config still records the configured {@code shootdown.strategy}.
 */
public record RunSpec(Workload workload, MachineConfig machine, WorkloadSettings settings, boolean check,
                      Duration timeout, List<String> commandLine, Kernel.ShootdownFactory shootdown) {

    /** Default watchdog: a run still going after this long is reported as hung. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(30);

    public RunSpec {
        Objects.requireNonNull(workload, "workload");
        Objects.requireNonNull(machine, "machine");
        Objects.requireNonNull(settings, "settings");
        Objects.requireNonNull(timeout, "timeout");
        commandLine = List.copyOf(commandLine);
    }

    /** A run under the shootdown strategy its machine settings name. */
    public RunSpec(Workload workload, MachineConfig machine, WorkloadSettings settings, boolean check,
                   Duration timeout, List<String> commandLine) {
        this(workload, machine, settings, check, timeout, commandLine, null);
    }

    /** This run with the kernel's shootdown strategy built by {@code factory} instead of the configured one. */
    public RunSpec withShootdown(Kernel.ShootdownFactory factory) {
        return new RunSpec(workload, machine, settings, check, timeout, commandLine, Objects.requireNonNull(factory, "factory"));
    }

    /**
     * Resolves a run from text settings. Machine settings apply over the workload's
     * {@link Workload#machineDefaults()}; {@code check} turns on checking mode.
     *
     * @throws SetupException naming the setting and what it allows when one is unknown or invalid
     */
    public static RunSpec resolve(Workload workload, Map<String, String> machineSettings, Map<String, String> workloadSettings,
                                  boolean check, Duration timeout, List<String> commandLine) throws SetupException {
        Map<String, String> machine = new LinkedHashMap<>(workload.machineDefaults());
        machine.putAll(machineSettings);
        if (check) {
            machine.put(MachineConfig.CHECKING.key(), "true");
        }
        try {
            return new RunSpec(workload, MachineConfig.parse(machine), WorkloadSettings.parse(workload, workloadSettings),
                    check, timeout, commandLine);
        } catch (ConfigException e) {
            throw new SetupException(e.getMessage());
        }
    }

    /** Every setting of the run, machine then workload, as key → text: what config.json holds. */
    public Map<String, String> settingsAsStrings() {
        Map<String, String> all = new LinkedHashMap<>(machine.asStrings());
        all.putAll(settings.asStrings());
        return all;
    }

    /** A short name for the run from its workload and strategies, e.g. {@code snapshot-linux-cow}. */
    public String label() {
        return workload.name() + "-" + machine.shootdownStrategy() + "-" + machine.forkStrategy();
    }
}
