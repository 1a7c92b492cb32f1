/**
 * What a run counts and what it costs. {@link mmsim.stats.CpuCounter} is the fixed set of per-CPU event
 * counters, kept in {@link mmsim.stats.SingleWriterCounters}; {@link mmsim.stats.CostModel} gives every
 * modeled cost in cycles with its source; {@link mmsim.stats.StatsRegistry} is the run's one statistics
 * tree (the machine's counters, the kernel's latency distributions, a workload's own metrics), each
 * metric marked modeled (the simulated machine) or host (measured on the host).
 * {@link mmsim.stats.OpLatencies} keeps the modeled latency of every system call, fault and shootdown round
 * by kind: per-CPU batches with one writer each, added to one shared histogram per kind when full, merged when
 * the machine is quiescent.
 *
 * <p>Memory ordering: a CPU's counters have a single writer (the thread executing on that CPU) and are
 * written with plain stores ({@code sp}); a reporter reads them with opaque loads, exact once the machine
 * is quiescent (the hand-offs of the scheduler and the end of a run order them). Registry counters and
 * recorders accept any number of writers ({@code LongAdder}, HdrHistogram {@code Recorder}).
 *
 * <p>Extending: a new machine counter is one enum constant with its key, unit and doc; the registry,
 * the summaries and {@code mmsim list} pick it up. Keep its increment off the hot path's fast case, or
 * as cheap as one plain add.
 */
package mmsim.stats;
