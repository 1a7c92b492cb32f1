/**
 * Checking mode's oracles. {@link mmsim.check.StaleTranslationOracle} re-walks the page table on every
 * TLB hit and reports a hit that disagrees with it on a page no in-flight downgrade covers (invariants 2,
 * 5, 6); {@link mmsim.check.ContentOracle} compares reads with a reference model
 * ({@link mmsim.check.MemoryModel}, a sequential map of what each owner last stored) (invariant 10).
 *
 * <p>Guarantees: no false alarm (a CPU that sees a changed entry also sees the downgrade mark that
 * preceded it) and no silence about a skipped target: each oracle has a test with a deliberately broken
 * strategy that it must catch.
 *
 * <p>Memory ordering: the oracle reads entries with acquire loads and the in-flight downgrades through a
 * concurrent set; the kernel adds a downgrade before its first entry change and removes it after the
 * flush completed and the frames were released.
 *
 * <p>Extending: a new oracle implements {@link mmsim.cpu.TranslationChecker} (called on every hit in
 * checking mode) or is fed by workloads like the content oracle; give it a planted-bug test.
 */
package mmsim.check;
