/**
 * jcstress tests of the memory-ordering contracts of {@code sim/}: one class per protocol, each driving
 * the real simulator classes (never copies) from two actor threads and judging the outcome in an
 * arbiter.
 *
 * <p>Every outcome is described in a plain sentence; an outcome that breaks an invariant of DESIGN.md §3
 * is {@code FORBIDDEN}, and jcstress exits 1 when it sees one. {@code ACCEPTABLE_INTERESTING} marks the
 * legal interleavings that show the race was really exercised, and the two known defects that are
 * reported rather than fixed here (see {@code stress/README.md}).
 *
 * <p>States are small: a machine of 16 frames ({@link mmsim.stress.TinyMachine}) or a heap-only frame
 * pool. jcstress builds a state per sample, so a state that owns native memory frees it in its arbiter.
 *
 * <p>Deliberately broken twins, which must fail, live in {@code mmsim.stress.broken}; the run in
 * {@code mvn verify} selects only this package's tests.
 */
package mmsim.stress;
