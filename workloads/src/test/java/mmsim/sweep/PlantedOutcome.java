package mmsim.sweep;

import java.util.List;

import mmsim.config.Setting;
import mmsim.kernel.ProcessBody;
import mmsim.workload.Workload;
import mmsim.workload.WorkloadContext;

/**
 * A test workload whose outcome is a setting: {@code planted.outcome=pass} passes, {@code fail} fails its own
 * check, {@code halt} halts its JVM (status 42) before it runs, {@code hang} never returns (after printing
 * {@value #HANGING} and its JVM's pid): what a sweep must record as passed, failed, error and killed. Registered by
 * name for the sweep tests, whose runs start new JVMs that find it on the class path.
 */
public final class PlantedOutcome implements Workload {
    static final Setting<String> OUTCOME = Setting.oneOfStrings("planted.outcome", "pass", List.of("pass", "fail", "halt", "hang"),
            "What the run does: pass, fail its check, halt its JVM, or hang.");
    /** What a hanging run prints before its JVM's pid. */
    static final String HANGING = "planted: hanging in the JVM with pid ";

    @Override
    public String name() {
        return "planted";
    }

    @Override
    public String description() {
        return "a test workload that passes, fails, halts its JVM or hangs, as told";
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
        if (outcome.equals("hang")) {
            System.out.println(HANGING + ProcessHandle.current().pid());
            System.out.flush();
            while (true) {
                java.util.concurrent.locks.LockSupport.park();   // outside any simulated CPU: no watchdog of the run ends it
            }
        }
        return sys -> {
            if (outcome.equals("fail")) {
                ctx.fail("planted failure");
            }
            return 0;
        };
    }
}
