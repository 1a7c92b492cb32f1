package mmsim.replay.strace;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import mmsim.config.ConfigException;
import mmsim.config.Setting;
import mmsim.kernel.ProcessBody;
import mmsim.stats.StatsRegistry.Kind;
import mmsim.workload.WorkloadContext;

/**
 * The strace replay ({@code mmsim replay strace FILE}): the processes, threads, execs, waits, memory calls and pipes
 * of an {@code strace -f} trace, replayed through the simulated kernel in the trace's order. See the package note
 * for the model and what it approximates.
 *
 * <p>Metrics ({@code replay.*}): {@code events} (steps replayed), {@code processes}, {@code forks}, {@code execs},
 * {@code threads}, {@code pipes} as replayed, and their {@code trace_*} twins as the trace shows them (they must
 * agree, or the run fails); {@code unmodeled} (trace calls skipped: those mmsim does not model, and reads, writes,
 * closes and dups of descriptors that are not pipes), {@code approximated} (calls replayed otherwise than Linux
 * does them), {@code skipped_lines} (lines that could not be read, and events of pids no fork created),
 * {@code failed} (calls the trace shows succeeding that failed in mmsim, mostly on the program's own image, which
 * mmsim maps elsewhere), {@code touched_pages} (pages the touch policy wrote).
 */
public final class StraceReplay {
    static final Setting<Double> TOUCH = Setting.decimal("replay.touch", 1.0, 0, 1,
            "strace: fraction of the pages of each new private writable mapping (mmap, brk's growth, exec's data) written "
                    + "once right after it is created, chosen at random from the seed (strace does not record accesses).");
    static final Setting<Integer> TOUCH_MAX_PAGES = Setting.intRange("replay.touch_max_pages", 256, 0, 1 << 20,
            "strace: at most this many pages touched per mapping, and per child after fork.");
    static final Setting<Double> TOUCH_AFTER_FORK = Setting.decimal("replay.touch_after_fork", 0.1, 0, 1,
            "strace: fraction of the private writable pages a forked child inherited that it draws before its first event, "
                    + "writing those the parent had made present (between fork and exec: the copy-on-write faults of a child's "
                    + "stack and data).");
    static final Setting<Long> IMAGE = Setting.bytes("replay.image", 64 * 1024, 4096, 1L << 30, 4096,
            "strace: bytes of each segment of the image execve maps (a read-only text and a writable data segment; "
                    + "the trace does not show the program's size).");

    /** This replay's settings, part of the replay workload's. */
    public static final List<Setting<?>> SETTINGS = List.of(TOUCH, TOUCH_MAX_PAGES, TOUCH_AFTER_FORK, IMAGE);

    private StraceReplay() {
    }

    /** Registers the replay's metrics and returns the init process that replays {@code file}. */
    public static ProcessBody prepare(WorkloadContext ctx, Path file) {
        TraceFiles.Trace trace = TraceFiles.read(file);
        if (trace.events().isEmpty()) {
            String first = trace.problems().isEmpty() ? "it holds no strace lines" : trace.problems().get(0);
            throw new ConfigException("replay.file=" + file + ": no strace -f events to replay (" + first + ")");
        }
        ReplayPlan plan = ReplayPlan.of(trace);
        Replayer.Counters counters = new Replayer.Counters(
                ctx.counter("events", Kind.MODELED, "events", "Trace events replayed, in the trace's order."),
                ctx.counter("processes", Kind.MODELED, "processes", "Processes the replay ran (the first and every fork)."),
                ctx.counter("forks", Kind.MODELED, "forks", "fork, vfork and clone calls replayed as new processes."),
                ctx.counter("execs", Kind.MODELED, "execs", "execve calls replayed (fresh images)."),
                ctx.counter("threads", Kind.MODELED, "threads", "clone(CLONE_THREAD) calls replayed as threads."),
                ctx.counter("pipes", Kind.MODELED, "pipes", "pipe and pipe2 calls replayed."),
                ctx.counter("failed", Kind.MODELED, "calls", "Calls the trace shows succeeding that failed in mmsim (skipped)."),
                ctx.counter("touched_pages", Kind.MODELED, "pages", "Pages written by the touch policy."));
        gauge(ctx, "trace_events", plan.traceEvents, "Events of the trace's tasks up to their ends.");
        gauge(ctx, "trace_processes", plan.traceProcesses, "Processes in the trace.");
        gauge(ctx, "trace_forks", plan.traceForks, "Successful fork, vfork and clone calls in the trace that made processes.");
        gauge(ctx, "trace_execs", plan.traceExecs, "Successful execve calls in the trace.");
        gauge(ctx, "trace_threads", plan.traceThreads, "Successful clone(CLONE_THREAD) calls in the trace.");
        gauge(ctx, "trace_pipes", plan.tracePipes, "Successful pipe and pipe2 calls in the trace.");
        gauge(ctx, "unmodeled", plan.unmodeledTotal(), "Trace calls skipped: calls mmsim does not model (listed in the run's "
                + "output) and reads, writes, closes and dups of descriptors that are not pipes.");
        gauge(ctx, "approximated", plan.approximated.values().stream().mapToInt(Integer::intValue).sum(),
                "Calls replayed otherwise than Linux does them (listed in the run's output).");
        gauge(ctx, "skipped_lines", plan.problems.size() + plan.skippedEvents,
                "Lines that could not be read, and events of pids that no fork in the trace created.");
        System.out.println(describe(file, trace, plan));
        Replayer.Policy policy = new Replayer.Policy(ctx.get(TOUCH), ctx.get(TOUCH_MAX_PAGES), ctx.get(TOUCH_AFTER_FORK), ctx.get(IMAGE));
        return new Replayer(plan, ctx, policy, counters).init();
    }

    private static void gauge(WorkloadContext ctx, String name, long value, String doc) {
        ctx.gauge(name, Kind.MODELED, "count", doc, () -> value);
    }

    /** What the replay read: counts, the unmodeled calls by name, the approximations, the skipped lines. */
    static String describe(Path file, TraceFiles.Trace trace, ReplayPlan plan) {
        StringBuilder b = new StringBuilder();
        b.append("strace replay of ").append(file.getFileName()).append(trace.files() > 1 ? " (" + trace.files() + " -ff files)" : "")
                .append(": ").append(trace.lines()).append(" lines, ").append(plan.traceEvents).append(" events, ")
                .append(plan.steps.size()).append(" steps; ").append(plan.traceProcesses).append(" processes, ")
                .append(plan.traceForks).append(" forks, ").append(plan.traceExecs).append(" execs, ")
                .append(plan.traceThreads).append(" threads, ").append(plan.tracePipes).append(" pipes");
        b.append("\n  unmodeled, skipped (").append(plan.unmodeledTotal()).append("): ").append(list(plan.unmodeled));
        if (!plan.approximated.isEmpty()) {
            b.append("\n  approximated: ").append(list(plan.approximated));
        }
        if (!plan.problems.isEmpty()) {
            b.append("\n  skipped (").append(plan.problems.size() + plan.skippedEvents).append(" lines):");
            plan.problems.stream().limit(10).forEach(p -> b.append("\n    ").append(p));
            if (plan.problems.size() > 10) {
                b.append("\n    ... and ").append(plan.problems.size() - 10).append(" more");
            }
        }
        return b.toString();
    }

    private static String list(Map<String, Integer> counts) {
        return counts.isEmpty() ? "none" : counts.entrySet().stream().map(e -> e.getKey() + " x" + e.getValue())
                .collect(Collectors.joining(", "));
    }
}
