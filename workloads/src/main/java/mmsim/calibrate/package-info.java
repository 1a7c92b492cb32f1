/**
 * Measures the host's own Linux kernel so that mmsim's cost model can be fitted to it
 * ({@code mmsim calibrate}).
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
 * <p>This package only measures; fitting the model to the measurements is done elsewhere.
 */
package mmsim.calibrate;
