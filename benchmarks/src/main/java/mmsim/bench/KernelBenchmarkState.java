package mmsim.bench;

import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.runner.IterationType;

import mmsim.Machine;
import mmsim.kernel.Kernel;

/**
 * What every benchmark of a running kernel shares: the machine and kernel its trial boots, the host-latency log it
 * records into (measurement iterations only), and the trial's end, which checks that every frame came back before it
 * closes the machine and prints the log. Subclasses assign the three fields in their own trial setup.
 */
public abstract class KernelBenchmarkState {
    protected Machine machine;
    protected Kernel kernel;
    protected HostLatencyLog log;

    @Setup(Level.Iteration)
    public void beginIteration(IterationParams iteration) {
        log.beginIteration(iteration.getType() == IterationType.MEASUREMENT);
    }

    @TearDown(Level.Iteration)
    public void endIteration() {
        log.endIteration();
    }

    @TearDown(Level.Trial)
    public void shutdown() throws Exception {
        kernel.close();
        CheckedKernelRun.checkFramesConserved(machine);
        machine.close();
        log.writeAndPrint();
    }
}
