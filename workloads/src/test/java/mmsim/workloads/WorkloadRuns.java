package mmsim.workloads;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import mmsim.kernel.Kernel;
import mmsim.run.Harness;
import mmsim.run.RunResult;
import mmsim.run.RunSpec;
import mmsim.workload.Workload;
import mmsim.workload.Workloads;

/** Runs a workload small, in checking mode (both oracles), as the tests of each workload do. */
final class WorkloadRuns {
    private WorkloadRuns() {
    }

    /** Runs {@code workload} with {@code --check} on the given machine and workload settings. */
    static RunResult checked(String workload, Map<String, String> machine, Map<String, String> settings) throws Exception {
        return run(Workloads.named(workload), machine, settings, null);
    }

    /**
     * Runs {@code workload} with {@code --check}, its kernel's shootdown strategy built by {@code shootdown}
     * instead of the configured one (a broken twin, to prove a check can fail).
     */
    static RunResult checkedWith(Kernel.ShootdownFactory shootdown, String workload, Map<String, String> machine,
                                 Map<String, String> settings) throws Exception {
        RunSpec spec = RunSpec.resolve(Workloads.named(workload), machine, settings, true, Duration.ofMinutes(3), List.of("test"));
        return Harness.run(spec.withShootdown(shootdown), null, null);
    }

    static RunResult run(Workload workload, Map<String, String> machine, Map<String, String> settings, Path hlogDir) throws Exception {
        RunSpec spec = RunSpec.resolve(workload, machine, settings, true, Duration.ofMinutes(3), List.of("test"));
        return Harness.run(spec, hlogDir, null);
    }

    /** A failure message that shows everything a reader needs: problems and the run's settings. */
    static String explain(RunResult r) {
        return "problems: " + r.problems() + "\ninit: " + r.init() + "\nsettings: " + r.spec().settingsAsStrings();
    }
}
