/**
 * Sweeps: many runs from one file, split into shards that any batch scheduler can run, joined back into one table.
 *
 * <p>{@link mmsim.sweep.Sweep} reads and checks a YAML sweep file and expands it into {@link mmsim.sweep.SweepPoint}s
 * in a fixed order; {@link mmsim.sweep.Shard} {@code i/N} takes every N-th of them, from the i-th (0-based).
 * {@link mmsim.sweep.SweepRunner} runs a shard's points, each in a JVM of its own ({@link mmsim.sweep.PointMain},
 * started with {@link mmsim.sweep.JavaCommand}: this same java, options and code), each into a run directory named
 * from its values, where {@link mmsim.sweep.PointRecord} ({@code point.json}, written last and atomically) marks it
 * complete: the contract that makes a sweep resumable and lets shards on different machines write side by side.
 * {@link mmsim.sweep.Merge} joins run directories into {@code merged.csv} and refuses to mix code versions or cost
 * profiles; {@link mmsim.sweep.SlurmJob} writes a sweep as a Slurm job array, one task per shard.
 *
 * <p>Bad input (a sweep file, shard or set of directories that cannot be used) is a
 * {@link mmsim.sweep.SweepException} with a one-line message naming the culprit (and the file's line); the command
 * line prints it and exits 2. Units: timeouts in host minutes, memory in MiB, times in host seconds.
 */
package mmsim.sweep;
