package mmsim.workloads;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import mmsim.cli.Main;

/**
 * The soak's original command line, kept for scripts that use it:
 * {@code java -cp mmsim.jar mmsim.workloads.Soak seconds=600 seed=7 cpus=4 shootdown=latr fork=odf [memory=SIZE]}
 * runs exactly {@code mmsim run chaos --check --seconds 600 --seed 7 --cpus 4 --shootdown latr --fork odf}
 * (the {@link Chaos} workload with both oracles on). Exit status 0 when clean, 1 with the seed and the
 * problems otherwise, 2 for bad arguments.
 */
public final class Soak {
    private Soak() {
    }

    public static void main(String[] args) {
        Map<String, String> flags = new LinkedHashMap<>();
        flags.put("seconds", "--seconds");
        flags.put("seed", "--seed");
        flags.put("cpus", "--cpus");
        flags.put("shootdown", "--shootdown");
        flags.put("fork", "--fork");
        flags.put("memory", "--memory");
        List<String> translated = new ArrayList<>(List.of("run", "chaos", "--check"));
        for (String arg : args) {
            int eq = arg.indexOf('=');
            String flag = eq < 0 ? null : flags.get(arg.substring(0, eq));
            if (flag == null) {
                System.err.println("usage: Soak [seconds=N] [seed=S] [cpus=C] [shootdown=NAME] [fork=eager|cow|odf] [memory=SIZE]; got '"
                        + arg + "'");
                System.exit(2);
            }
            translated.add(flag);
            translated.add(arg.substring(eq + 1));
        }
        System.exit(Main.execute(translated.toArray(new String[0])));
    }
}
