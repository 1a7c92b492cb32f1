package mmsim.replay.lackey;

import java.nio.file.Path;
import java.util.List;

import mmsim.config.ConfigException;
import mmsim.config.Setting;
import mmsim.kernel.ProcessBody;
import mmsim.workload.WorkloadContext;

/** The lackey replay: being built (issue 13); until then replay.format=lackey is refused as bad input. */
public final class LackeyReplay {
    /** This replay's settings, part of the replay workload's. */
    public static final List<Setting<?>> SETTINGS = List.of();

    private LackeyReplay() {
    }

    /** Registers the replay's metrics and returns the init process that replays {@code file}. */
    public static ProcessBody prepare(WorkloadContext ctx, Path file) {
        throw new ConfigException("replay.format=lackey is not built yet");
    }
}
