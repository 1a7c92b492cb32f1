/**
 * Fidelity: measures the host's own Linux kernel, fits mmsim's cost model to it ({@code mmsim calibrate}), and
 * compares mmsim's modeled latencies with the kernel's ({@code mmsim fidelity}).
 *
 * <p>Java cannot fork, so the measuring is done by a small C program, {@code kprobe.c}, shipped as the
 * resource {@code mmsim/calibrate/kprobe.c}. {@link mmsim.calibrate.KernelProbe} extracts it into a work
 * directory, compiles it with the host's {@code gcc}, runs it and parses what it prints into
 * {@link mmsim.calibrate.KernelMeasurements}: facts about the host, and for each measured operation
 * ({@code op}, with an integer {@code param}) its raw samples and their summary. Everything that fails
 * on the way is a {@link mmsim.calibrate.CalibrationException} that says what to do.
 *
 * <p>Units: every sample is in nanoseconds, except {@code clock_ghz}, which is the core clock in GHz
 * (cycles per ns). The op names are a contract with the fitting code: they are listed in
 * {@link mmsim.calibrate.KernelProbe#OPS} and described, with how each is measured, in kprobe.c and
 * in KernelProbe's documentation.
 *
 * <p>{@link mmsim.calibrate.ModeledProbe} runs the same microbenchmarks inside mmsim (deterministic mode, same sizes
 * and thread placement, timed on the modeled clock); {@link mmsim.calibrate.Calibration} fits each measured cost so
 * that mmsim's run of an operation takes what the kernel's did; {@link mmsim.calibrate.Fidelity} puts the two side by
 * side with their ratios; {@link mmsim.calibrate.Directions} checks the published results the shootdown strategies
 * must reproduce. {@link mmsim.calibrate.MeasuredSummary} is the measurements' medians and spreads, fresh or read
 * back from a stored {@code summary.csv}.
 */
package mmsim.calibrate;
