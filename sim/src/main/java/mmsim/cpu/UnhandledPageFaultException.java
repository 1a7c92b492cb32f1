package mmsim.cpu;

/** A page fault that no handler resolved. */
public final class UnhandledPageFaultException extends RuntimeException {
    public UnhandledPageFaultException(int cpu, long va, boolean write, FaultKind kind) {
        super("unhandled " + kind + " fault on cpu " + cpu + ": " + (write ? "store to" : "load from")
                + " 0x" + Long.toHexString(va));
    }
}
