package mmsim.kernel;

/**
 * Unwinds a task's thread when its process exits or is killed. An Error, not an exception, so that a
 * workload's {@code catch (Exception e)} does not swallow its own death.
 */
final class ProcessExit extends Error {
    static final ProcessExit INSTANCE = new ProcessExit();

    private ProcessExit() {
        super("process exit", null, false, false);
    }
}
