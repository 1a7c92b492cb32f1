/**
 * Deliberately broken twins of tests in {@code mmsim.stress}: each copies one protocol step of sim/ with
 * the ordering or atomicity that makes it correct taken out, keeps the original test's actors and
 * outcomes, and must be caught with a FORBIDDEN outcome. A test that cannot fail proves nothing.
 *
 * <p>They are excluded from the run in {@code mvn verify} (its {@code -t} selects only tests directly in
 * {@code mmsim.stress}); run one with {@code java -jar stress/target/stress.jar -t BrokenPteInstallPublication}.
 */
package mmsim.stress.broken;
