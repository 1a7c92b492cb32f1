package mmsim.workload;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.function.DoubleConsumer;
import java.util.function.LongSupplier;

import mmsim.Machine;
import mmsim.check.ContentOracle;
import mmsim.config.MachineConfig;
import mmsim.config.Setting;
import mmsim.stats.StatsRegistry;
import mmsim.stats.StatsRegistry.Counter;
import mmsim.stats.StatsRegistry.Kind;
import mmsim.stats.StatsRegistry.LatencyRecorder;

/**
 * What a workload sees of its run: its resolved settings, the seed, the statistics registry (its own
 * metrics are named {@code <workload>.<metric>}), the content oracle, and a place to report violated
 * correctness conditions. Thread-safe: any simulated thread of the workload may use it.
 */
public final class WorkloadContext {
    private final Workload workload;
    private final WorkloadSettings settings;
    private final Machine machine;
    private final ContentOracle content;
    private final boolean checking;
    private final DoubleConsumer progress;
    private final List<String> problems = new ArrayList<>();

    public WorkloadContext(Workload workload, WorkloadSettings settings, Machine machine, ContentOracle content,
                           boolean checking, DoubleConsumer progress) {
        this.workload = Objects.requireNonNull(workload);
        this.settings = Objects.requireNonNull(settings);
        this.machine = Objects.requireNonNull(machine);
        this.content = Objects.requireNonNull(content);
        this.checking = checking;
        this.progress = progress == null ? f -> { } : new ThrottledProgress(progress);
    }

    /** The value of one of the workload's own settings. */
    public <T> T get(Setting<T> setting) {
        return settings.get(setting);
    }

    /** Whether the run named {@code setting} (one of the workload's own) rather than taking its default. */
    public boolean given(Setting<?> setting) {
        return settings.given(setting);
    }

    /** The machine's resolved settings. */
    public MachineConfig machine() {
        return machine.config();
    }

    /** The run's seed: every random choice of the workload derives from it. */
    public long seed() {
        return machine.config().seed();
    }

    /**
     * A random stream derived from the seed and {@code stream} (use a different stream per simulated
     * thread or child, so that each one's choices do not depend on the others' interleaving).
     */
    public SplittableRandom random(long stream) {
        return new SplittableRandom(seed() * 0x9E3779B97F4A7C15L + stream);
    }

    /** Whether the run is in checking mode ({@code --check}): workloads may check more when it is. */
    public boolean checking() {
        return checking;
    }

    /** Invariant 10's oracle: report each checked read here. */
    public ContentOracle content() {
        return content;
    }

    /** The run's statistics registry (the machine's counters are already in it). */
    public StatsRegistry stats() {
        return machine.stats();
    }

    /** Registers a counter named {@code <workload>.<name>}. */
    public Counter counter(String name, Kind kind, String unit, String doc) {
        return stats().counter(qualify(name), kind, unit, doc);
    }

    /** Registers a latency distribution named {@code <workload>.<name>}. */
    public LatencyRecorder latency(String name, Kind kind, String unit, String doc) {
        return stats().latency(qualify(name), kind, unit, doc);
    }

    /** Registers a value read when the run is summarised, named {@code <workload>.<name>}. */
    public void gauge(String name, Kind kind, String unit, String doc, LongSupplier read) {
        stats().gauge(qualify(name), kind, unit, doc, read);
    }

    private String qualify(String name) {
        return workload.name() + "." + name;
    }

    /** Reports a violated correctness condition; the run fails (exit status 1) with this sentence. */
    public void fail(String problem) {
        synchronized (problems) {
            problems.add(workload.name() + ": " + problem);
        }
    }

    /** The problems reported so far. */
    public List<String> problems() {
        synchronized (problems) {
            return List.copyOf(problems);
        }
    }

    /**
     * Reports how far the workload has come (0 to 1), for the progress bar. Cheap; call as often as convenient: only
     * a step of 1/1000 past the last one reported reaches the bar ({@link ThrottledProgress}).
     */
    public void progress(double fraction) {
        progress.accept(fraction);
    }
}
