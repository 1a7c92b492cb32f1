package mmsim.cli;

import mmsim.kernel.ProcessBody;
import mmsim.paging.Vma;
import mmsim.workload.Workload;
import mmsim.workload.WorkloadContext;

/** A planted bug: reports a read that disagrees with its model, so the content oracle must fail the run. */
public final class BrokenReadsWorkload implements Workload {
    @Override
    public String name() {
        return "broken-reads";
    }

    @Override
    public String description() {
        return "checks a read against a wrong expectation";
    }

    @Override
    public ProcessBody prepare(WorkloadContext ctx) {
        return sys -> {
            long a = sys.mmap(4096, Vma.READ_WRITE);
            sys.storeLong(a, 7);
            ctx.content().check(8, sys.loadLong(a), "broken-reads load 0x" + Long.toHexString(a));
            return 0;
        };
    }
}
