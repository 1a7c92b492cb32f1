package mmsim.cli;

import java.io.PrintStream;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;

import mmsim.config.MachineConfig;
import mmsim.config.Setting;
import mmsim.stats.CpuCounter;
import mmsim.workload.Workload;
import mmsim.workload.Workloads;

/** {@code mmsim list}: workloads, strategies, every setting with its default and meaning, the machine's metrics. */
@Command(name = "list", mixinStandardHelpOptions = true,
        description = "List workloads, shootdown and fork strategies, every setting (machine and workload) with its default "
                + "and meaning, and the machine's metrics.")
final class ListCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        PrintStream out = System.out;
        out.println("Workloads (mmsim run NAME; settings with --set key=value):");
        for (Workload w : Workloads.all().values()) {
            out.printf("  %-12s %s%n", w.name(), w.description());
            for (Setting<?> s : w.settings()) {
                setting(out, s, "      ");
            }
        }
        out.println();
        out.println("Shootdown strategies (--shootdown NAME, or shootdown.strategy=NAME):");
        for (MachineConfig.Shootdown s : MachineConfig.Shootdown.values()) {
            out.printf("  %-12s %s%n", s, s.doc());
        }
        out.println();
        out.println("Fork strategies (--fork NAME, or fork.strategy=NAME):");
        for (MachineConfig.ForkStrategy f : MachineConfig.ForkStrategy.values()) {
            out.printf("  %-12s %s%n", f, f.doc());
        }
        out.println();
        out.println("Machine settings (--set key=value; --cpus, --memory and --seed are shorthands):");
        for (Setting<?> s : MachineConfig.SETTINGS) {
            setting(out, s, "  ");
        }
        out.println();
        out.println("Machine metrics (modeled: counts of simulated events, summed over CPUs):");
        for (CpuCounter c : CpuCounter.all()) {
            out.printf("  %-32s %s%n", c.key(), c.doc());
        }
        out.println("  shootdown.initiator_cycles       Modeled latency of each shootdown on its initiator (distribution, cycles).");
        out.println("  shootdown.initiator_ns           Host time of each shootdown on its initiator (distribution, ns).");
        out.println("  run.wall_ns                      Host time of the whole run.");
        return 0;
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static void setting(PrintStream out, Setting<?> s, String indent) {
        Setting raw = s;
        out.printf("%s%s (default %s): %s Allowed: %s.%n", indent, s.key(), raw.format(s.defaultValue()), s.doc(), s.allowed());
    }
}
