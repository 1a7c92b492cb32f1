package mmsim.workloads;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import mmsim.config.ConfigException;
import mmsim.config.Setting;
import mmsim.kernel.ProcessBody;
import mmsim.replay.lackey.LackeyReplay;
import mmsim.replay.strace.StraceReplay;
import mmsim.workload.Workload;
import mmsim.workload.WorkloadContext;

/**
 * Real programs as input: replays a recorded trace through the simulated machine. {@code replay.format=strace}
 * replays the process and memory system calls of {@code strace -f} output ({@link StraceReplay}: one simulated
 * process per traced pid); {@code replay.format=lackey} replays the memory accesses of
 * {@code valgrind --tool=lackey --trace-mem=yes} output through one process's MMU ({@link LackeyReplay}),
 * streamed, gzip or not. {@code auto} (the default) tells them apart by the file's first lines.
 *
 * <p>{@code mmsim replay strace FILE} and {@code mmsim replay lackey FILE} are the same as
 * {@code mmsim run replay --set replay.format=... --set replay.file=FILE}.
 *
 * <p>A file that cannot be read or is not the format named is bad input (exit status 2, before the machine
 * boots); what each replay checks while it runs is in its own class.
 */
public final class Replay implements Workload {
    static final Setting<String> FILE = Setting.text("replay.file", "-", "the path of a trace file",
            "The trace to replay: strace -f output (-o FILE; for -ff, any one of the FILE.<pid> files: the others are found "
                    + "beside it), or valgrind lackey output (.gz or plain). Required.");
    static final Setting<String> FORMAT = Setting.oneOfStrings("replay.format", "auto", List.of("auto", "strace", "lackey"),
            "The trace's format; auto tells strace and lackey output apart by the file's first lines.");

    @Override
    public String name() {
        return "replay";
    }

    @Override
    public String description() {
        return "real programs as input: replays strace -f system-call traces (processes, fork, exec, mmap, pipes) or valgrind "
                + "lackey memory-access traces (through the MMU and TLBs); counts, faults, TLB hit rates, shootdowns";
    }

    @Override
    public List<Setting<?>> settings() {
        List<Setting<?>> all = new ArrayList<>(List.of(FILE, FORMAT));
        all.addAll(StraceReplay.SETTINGS);
        all.addAll(LackeyReplay.SETTINGS);
        return all;
    }

    @Override
    public Map<String, String> machineDefaults() {
        return Map.of("memory", "1GiB");
    }

    @Override
    public List<String> headline() {
        return List.of("replay.events", "replay.processes", "replay.tlb_l1_hit_ppm", "tlb.l1.misses", "walks", "faults.demand_zero",
                "faults.cow_copy", "shootdown.initiated", "modeled.time");
    }

    @Override
    public ProcessBody prepare(WorkloadContext ctx) {
        String file = ctx.get(FILE);
        if (file.equals("-")) {
            throw new ConfigException("replay.file is required: the trace to replay (strace -f output or valgrind lackey output)");
        }
        Path path = Path.of(file);
        if (!Files.isRegularFile(path) || !Files.isReadable(path)) {
            throw new ConfigException("replay.file=" + file + ": no such readable file");
        }
        String format = ctx.get(FORMAT);
        if (format.equals("auto")) {
            format = detect(path);
        }
        return format.equals("lackey") ? LackeyReplay.prepare(ctx, path) : StraceReplay.prepare(ctx, path);
    }

    /** lackey or strace, from the first non-empty lines (gzip is lackey's: strace writes plain text). */
    static String detect(Path path) {
        try (InputStream raw = Files.newInputStream(path)) {
            byte[] head = raw.readNBytes(4096);
            if (head.length >= 2 && (head[0] & 0xff) == 0x1f && (head[1] & 0xff) == 0x8b) {
                return "lackey";
            }
            for (String line : new String(head, java.nio.charset.StandardCharsets.ISO_8859_1).split("\n")) {
                if (line.isBlank()) {
                    continue;
                }
                if (line.startsWith("==") || line.matches("^(I  | [LSM] ) ?[0-9a-fA-F]+,\\d+.*")) {
                    return "lackey";
                }
                return "strace";
            }
        } catch (IOException e) {
            throw new ConfigException("replay.file=" + path + ": cannot read it (" + e.getMessage() + ")");
        }
        throw new ConfigException("replay.file=" + path + ": empty; give strace -f or valgrind lackey output");
    }
}
