package mmsim.shootdown;

import mmsim.cpu.Cpu;

/** What the kernel does once a flush is complete (typically: free the frames the change dropped). */
@FunctionalInterface
public interface ReleaseAction {
    /** Runs on the thread executing on {@code cpu}: frames go to that CPU's cache. */
    void release(Cpu cpu);
}
