package mmsim.cpu;

/**
 * An inter-processor interrupt: work posted to a CPU's inbox and run by whichever thread is executing on
 * that CPU, at its next access boundary or in its idle loop. Implementations are typically preallocated
 * and reused, so that posting allocates nothing.
 */
@FunctionalInterface
public interface Interrupt {
    /** Runs on the target CPU's thread. */
    void handle(Cpu cpu);
}
