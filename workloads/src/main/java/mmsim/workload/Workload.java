package mmsim.workload;

import java.util.List;
import java.util.Map;

import mmsim.config.Setting;
import mmsim.kernel.ProcessBody;

/**
 * A named experiment: its own documented settings and the code of the init process that a
 * {@link mmsim.run.Harness} runs on a booted machine.
 *
 * <p>Contract, so that every workload can run unchanged under the deterministic mode to come:
 * <ul>
 *   <li>Simulated processes and threads synchronise only through the simulated kernel: pipes
 *       ({@link PipeBarrier} is a barrier built from them), {@code waitpid}, {@code joinThread}, and
 *       values in simulated memory polled with {@code sys.yield()} between reads. Never through host
 *       atomics, locks, host sleeps or host time.</li>
 *   <li>Every random choice derives from {@link WorkloadContext#seed()}.</li>
 *   <li>Host time is only measured, into the host-kind metrics the workload registers
 *       ({@link WorkloadContext#latency}); it never decides what the workload does next.</li>
 *   <li>A violated correctness condition is reported with {@link WorkloadContext#fail} (or a non-zero
 *       exit code of the init process); the run then fails with exit status 1.</li>
 * </ul>
 *
 * <p>A researcher's own workload is a public class with a public no-argument constructor, named on the
 * command line with {@code --workload-class}, or listed in
 * {@code META-INF/services/mmsim.workload.Workload} to be found by name. Implementations must be
 * stateless between {@link #prepare} calls: one instance may run many times.
 */
public interface Workload {
    /** The name used on the command line and in summaries: lower case letters, digits and '-'. */
    String name();

    /** One line for {@code mmsim list}: what the workload models and what it reports. */
    String description();

    /**
     * The workload's own settings, each keyed {@code <name>.<setting>} (for example
     * {@code snapshot.data}), with a default, a doc and a strict parser.
     */
    default List<Setting<?>> settings() {
        return List.of();
    }

    /**
     * Machine settings this workload needs unless the user overrides them (for example more memory
     * than the machine's default for its default sizes). Applied under the user's own settings.
     */
    default Map<String, String> machineDefaults() {
        return Map.of();
    }

    /**
     * The metric names (its own, or the machine's such as {@code faults.cow_copy}) that
     * {@code mmsim compare} shows for this workload, in order.
     */
    default List<String> headline() {
        return List.of();
    }

    /**
     * Registers the workload's metrics with {@code context} and returns the body of the init process.
     * Called once per run, before the kernel runs anything.
     */
    ProcessBody prepare(WorkloadContext context);
}
