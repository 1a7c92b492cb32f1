package mmsim.cpu;

/**
 * What the MMU calls when an access cannot be translated: the kernel's page-fault entry point. It runs
 * on the faulting CPU's thread.
 */
@FunctionalInterface
public interface PageFaultHandler {
    /**
     * Resolves the fault (the MMU then retries the access) or throws to abandon the access, e.g. to
     * kill the faulting process.
     *
     * @param cpu   the faulting CPU
     * @param va    the faulting virtual address
     * @param write whether the access was a store
     * @param kind  why translation failed
     */
    void handlePageFault(Cpu cpu, long va, boolean write, FaultKind kind);

    /** A handler for a machine with no kernel: every fault is an error naming the access. */
    PageFaultHandler UNHANDLED = (cpu, va, write, kind) -> {
        throw new UnhandledPageFaultException(cpu.id(), va, write, kind);
    };
}
