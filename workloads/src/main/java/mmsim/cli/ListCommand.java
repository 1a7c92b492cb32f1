package mmsim.cli;

import java.io.PrintStream;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import mmsim.config.ConfigException;
import mmsim.config.CostProfile;
import mmsim.config.MachineConfig;
import mmsim.stats.CostModel;
import mmsim.config.Setting;
import mmsim.stats.CpuCounter;
import mmsim.workload.Workload;
import mmsim.workload.Workloads;

/** {@code mmsim list}: workloads, strategies, every setting with its default and meaning, the machine's metrics. */
@Command(name = "list", mixinStandardHelpOptions = true,
        description = "List workloads, shootdown and fork strategies, every setting (machine and workload) with its default "
                + "and meaning, the cost model's values in the chosen profile with their sources, and the machine's metrics.")
final class ListCommand implements Callable<Integer> {
    @Option(names = "--set", paramLabel = "key=value",
            description = "Machine settings whose cost model to list (repeatable): --set cost.profile=NAME|FILE, --set cost.<name>=V.")
    java.util.List<String> sets = new java.util.ArrayList<>();

    @Override
    public Integer call() {
        MachineConfig chosen;
        try {
            chosen = MachineConfig.parse(RunOptions.keyValues(sets));
        } catch (ConfigException e) {
            throw new Main.BadInput(e.getMessage());
        }
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
            if (!MachineConfig.COST_SETTINGS.contains(s)) {
                setting(out, s, "  ");
            }
        }
        out.println();
        costs(out, chosen);
        out.println();
        out.println("Machine metrics (modeled: counts of simulated events, summed over CPUs):");
        for (CpuCounter c : CpuCounter.all()) {
            out.printf("  %-32s %s%n", c.key(), c.doc());
        }
        out.println("  shootdown.initiator_cycles       Modeled latency of each shootdown on its initiator (distribution, cycles).");
        out.println("  shootdown.initiator_ns           Host time of each shootdown that could reach another CPU, on its initiator (distribution, ns).");
        out.println("  run.wall_ns                      Host time of the whole run.");
        return 0;
    }

    /** Every cost key with its value in the chosen profile (or the override given), its unit, meaning and source. */
    private static void costs(PrintStream out, MachineConfig chosen) {
        CostProfile p = chosen.costProfile();
        out.printf("Cost model: profile %s (%s)%s. Built-in profiles: %s; a profile file: --set cost.profile=PATH "
                + "(mmsim calibrate writes one); one value: --set cost.<name>=V.%n", p.name(), p.origin(),
                p.description().isEmpty() ? "" : ": " + p.description(), String.join(", ", CostProfile.BUILT_IN));
        if (!p.host().isEmpty()) {
            out.println("  measured on: " + p.host());
        }
        for (CostModel.Parameter q : CostModel.Parameter.values()) {
            String value = chosen.asStrings().get(q.key());
            boolean overridden = chosen.overrides().containsKey(q.key());
            out.printf("  %-24s %10s %-6s %s%n      source: %s%n", q.key(), value, q.unit(), q.doc(),
                    overridden ? "set on the command line (the profile says " + p.values().get(q) + ")" : p.sources().get(q));
        }
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static void setting(PrintStream out, Setting<?> s, String indent) {
        Setting raw = s;
        out.printf("%s%s (default %s): %s Allowed: %s.%n", indent, s.key(), raw.format(s.defaultValue()), s.doc(), s.allowed());
    }
}
