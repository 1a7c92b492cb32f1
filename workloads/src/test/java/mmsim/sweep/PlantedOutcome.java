package mmsim.sweep;

import java.util.List;

import mmsim.config.Setting;
import mmsim.kernel.ProcessBody;
import mmsim.workload.Workload;
import mmsim.workload.WorkloadContext;

/**
 * A test workload whose outcome is a setting: {@code planted.outcome=pass} passes, {@code fail} fails its own
 * check, {@code halt} halts its JVM (status 42) before it runs: what a sweep must record as passed, failed and
 * error. Registered by name for the sweep tests, whose runs start new JVMs that find it on the class path.
 */
public final class PlantedOutcome implements Workload {
    static final Setting<String> OUTCOME = Setting.oneOfStrings("planted.outcome", "pass", List.of("pass", "fail", "halt"),
            "What the run does: pass, fail its check, or halt its JVM.");

    @Override
    public String name() {
        return "planted";
    }

    @Override
    public String description() {
        return "a test workload that passes, fails or halts its JVM, as told";
    }

    @Override
    public List<Setting<?>> settings() {
        return List.of(OUTCOME);
    }

    @Override
    public ProcessBody prepare(WorkloadContext ctx) {
        String outcome = ctx.get(OUTCOME);
        if (outcome.equals("halt")) {
            Runtime.getRuntime().halt(42);
        }
        return sys -> {
            if (outcome.equals("fail")) {
                ctx.fail("planted failure");
            }
            return 0;
        };
    }
}
