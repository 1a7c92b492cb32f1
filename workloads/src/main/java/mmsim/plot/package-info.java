/**
 * Plots and reports of runs: {@code mmsim plot}.
 *
 * <p>{@link mmsim.plot.RunRows} reads the runs a directory holds as rows of the shared summary schema (a merged
 * sweep's {@code merged.csv}, a comparison's or a run's {@code summary.csv}); {@link mmsim.plot.Figures} decides,
 * as plain data, which figures apply and what they show (series, axes with units, titles that name the workload and
 * the machine), so that tests can check the numbers a plot carries; {@link mmsim.plot.Charts} draws them with XChart
 * as PNG files, headless; {@link mmsim.plot.HtmlReport} writes the one-page report, each workload's table beside its
 * plots. Modeled cycles are shown as µs at the runs' cost profile clock, host nanoseconds as µs; every figure says
 * which of the two it shows.
 */
package mmsim.plot;
