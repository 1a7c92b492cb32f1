package mmsim.cli;

import mmsim.kernel.ProcessBody;
import mmsim.workload.Workload;
import mmsim.workload.WorkloadContext;

/** A workload class whose constructor throws: the command line must say so in one line, exit 2. */
public final class ThrowingWorkload implements Workload {
    public ThrowingWorkload() {
        throw new IllegalStateException("no licence file");
    }

    @Override
    public String name() {
        return "throwing";
    }

    @Override
    public String description() {
        return "never built";
    }

    @Override
    public ProcessBody prepare(WorkloadContext ctx) {
        return sys -> 0;
    }
}
