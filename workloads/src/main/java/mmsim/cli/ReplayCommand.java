package mmsim.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Unmatched;

/**
 * {@code mmsim replay strace|lackey FILE [run options]}: the replay workload on one trace, the same as
 * {@code mmsim run replay --set replay.format=FORMAT --set replay.file=FILE [run options]}.
 */
@Command(name = "replay", mixinStandardHelpOptions = true,
        description = "Replay a real program's trace: 'strace' (strace -f output: processes, fork/exec/exit/wait, mmap and friends, "
                + "pipes) or 'lackey' (valgrind --tool=lackey --trace-mem=yes output, .gz or plain: every memory access through the MMU). "
                + "Takes every option of 'mmsim run' (--cpus, --set, --check, --deterministic, --out, ...).")
final class ReplayCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "FORMAT", description = "strace or lackey.")
    String format;

    @Parameters(index = "1", paramLabel = "FILE", description = "The trace file.")
    String file;

    @Unmatched
    List<String> rest = new ArrayList<>();

    @Override
    public Integer call() {
        if (!format.equals("strace") && !format.equals("lackey")) {
            throw new Main.BadInput("replay: unknown format '" + format + "'; allowed: strace, lackey");
        }
        List<String> args = new ArrayList<>(List.of("run", "replay", "--set", "replay.format=" + format, "--set", "replay.file=" + file));
        args.addAll(rest);
        return Main.execute(args.toArray(new String[0]));
    }
}
