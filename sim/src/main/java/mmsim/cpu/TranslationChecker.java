package mmsim.cpu;

/**
 * Checking mode's hook on the access path: told of every TLB hit, it decides whether the translation
 * used was one a completed shootdown should have removed. Implemented by mmsim.check.
 */
@FunctionalInterface
public interface TranslationChecker {
    /**
     * @param cpu   the CPU that hit
     * @param va    the virtual address accessed
     * @param write whether it was a store
     * @param frame the frame the TLB entry translated to
     */
    void onHit(Cpu cpu, long va, boolean write, int frame);
}
