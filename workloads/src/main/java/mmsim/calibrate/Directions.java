package mmsim.calibrate;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The published results the shootdown strategies must reproduce in modeled time, each measured by a small
 * deterministic run of {@link ModeledProbe} under the caller's settings (a cost profile) and stated as holding or
 * not. Each compares strategies on the same machine and operation, so it tests the strategies' structure, not the
 * profile's absolute numbers.
 * <ul>
 *   <li>LATR (Kumar et al., ASPLOS'18) cuts munmap latency against Linux's synchronous shootdown by a large factor
 *       (the paper: about 70 %); here: munmap of a page with the process live on 4 CPUs, at least 50 % less.</li>
 *   <li>Batching (Linux's arch_tlbbatch) cuts IPIs per unmapped page many-fold against a shootdown per range
 *       ({@code targeted}); here: one munmap over 32 separate one-page areas, at least 4× fewer.</li>
 *   <li>Hardware broadcast (AMD INVLPGB) takes the cycles the shootdown costs the interrupted CPUs to ~0; here: at
 *       most 1 % of linux's, for the same munmaps.</li>
 *   <li>Linux's shootdown cost grows with the number of CPUs running the process, from 2 to 32 (each IPI is sent,
 *       and each acknowledgement read, one by one); here: munmap latency never falls and at 32 CPUs is at least
 *       10 % above that at 2. How much it grows depends on the profile's per-target costs ({@code cost.ipi_send},
 *       {@code cost.ipi_ack}) against its fixed ones ({@code cost.ipi_delivery}): bare-metal studies report
 *       several-fold (Barrelfish, SOSP'09: about 5.7× for an unmap from 2 to 32 cores), while a VM whose IPIs cost
 *       mostly a fixed exit grows far less; the factor is printed.</li>
 * </ul>
 * The research strategies' directions ({@link #research}), on a bare-metal profile (a virtualised host's profile
 * borrows its cross-socket costs and is dominated by a fixed IPI exit, so they say nothing there):
 * <ul>
 *   <li>Linux's unmap on Barrelfish's machine shape, 8 sockets of 4 cores, grows about 5.7× from 2 to 32 CPUs
 *       (SOSP'09, section 5); here: 4× to 8×.</li>
 *   <li>Barrelfish's NUMA-aware multicast stays roughly flat over the same range; here: at most 2.5× and at most
 *       half linux's growth.</li>
 *   <li>abis (ATC'17) avoids shootdowns of private pages: a munmap of a page only the initiator touched, with 3
 *       siblings live, sends no IPI and reaches no other CPU, where linux interrupts all 3.</li>
 *   <li>early-ack (EuroSys'20) shortens the initiator's wait for the same flushes: its munmap latency is below
 *       linux's.</li>
 *   <li>didi (PACT'11) interrupts nobody and messages only the sharers: for the private page no message at all,
 *       where hw-broadcast invalidates every CPU of the cpumask; here: no IPI, no interrupted cycle, and at most a
 *       quarter of hw-broadcast's invalidations over the run (the rest are the siblings' shared control page).</li>
 * </ul>
 */
public final class Directions {
    /** One direction: what is claimed, whether it holds here, and the numbers that say so. */
    public record Direction(String name, String claim, boolean holds, String evidence) {
    }

    /** The CPU counts of the growth direction. */
    public static final int[] CPU_COUNTS = {2, 4, 8, 16, 32};

    private Directions() {
    }

    /** Checks every direction under {@code settings} (machine settings: the cost profile, single costs). */
    public static List<Direction> check(Map<String, String> settings) {
        List<Direction> out = new ArrayList<>();
        out.add(latr(settings));
        out.add(batching(settings));
        out.add(hardwareBroadcast(settings));
        out.add(linuxGrowth(settings));
        if (bareMetal(settings)) {
            out.addAll(research(settings));
        }
        return out;
    }

    /** The shape of the machine Barrelfish measured its unmaps on: 8 sockets of 4 cores. */
    public static final int NUMA_SOCKETS = 8;

    /**
     * The directions as text: a heading, then for each whether it holds, the claim and the evidence; a report without
     * the research directions says why they are left out.
     */
    public static String format(List<Direction> directions) {
        StringBuilder b = new StringBuilder("Published directions, in modeled time (deterministic mode):\n");
        for (Direction d : directions) {
            b.append(String.format(Locale.ROOT, "  %-9s %s%n            %s%n", d.holds() ? "holds" : "DOES NOT", d.claim(), d.evidence()));
        }
        if (directions.stream().noneMatch(d -> d.name().equals("multicast-flat"))) {
            b.append("  (the research strategies' directions, measured on bare metal, are left out: this profile's host is virtualised, "
                    + "its IPIs cost mostly a fixed exit and its cross-socket costs are borrowed; see them under --set cost.profile=skylake-server)\n");
        }
        return b.toString();
    }

    /** Whether the profile {@code settings} name describes bare metal (it records no virtualised host). */
    public static boolean bareMetal(Map<String, String> settings) {
        String virtualization = probe(settings, "linux", 2).config().costProfile().host().getOrDefault("virtualization", "none");
        return !virtualization.contains("vm");
    }

    /** The research strategies' directions (see the class comment); meaningful under a bare-metal profile. */
    public static List<Direction> research(Map<String, String> settings) {
        List<Direction> out = new ArrayList<>();
        double[] linux = numaSeries(settings, "linux");
        double[] multicast = numaSeries(settings, "multicast");
        out.add(linuxNumaGrowth(linux));
        out.add(multicastFlat(linux, multicast));
        out.add(abis(settings, "abis"));
        out.add(earlyAck(settings, "early-ack"));
        out.add(didi(settings, "didi"));
        return out;
    }

    /** munmap latency medians of {@code strategy} at each of {@link #CPU_COUNTS} CPUs running the process, on 32 CPUs in 8 sockets. */
    static double[] numaSeries(Map<String, String> settings, String strategy) {
        double[] m = new double[CPU_COUNTS.length];
        for (int i = 0; i < CPU_COUNTS.length; i++) {
            Map<String, String> s = new LinkedHashMap<>(settings);
            s.put("topology.sockets", Integer.toString(NUMA_SOCKETS));
            m[i] = probe(s, strategy, CPU_COUNTS[CPU_COUNTS.length - 1]).munmapWithSiblings(CPU_COUNTS[i] - 1).median();
        }
        return m;
    }

    private static String series(double[] m) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < m.length; i++) {
            b.append(i == 0 ? "" : ", ").append(CPU_COUNTS[i]).append(" CPUs ").append(String.format(Locale.ROOT, "%.0f", m[i]));
        }
        return b.toString();
    }

    private static double growth(double[] m) {
        return m[m.length - 1] / m[0];
    }

    static Direction linuxNumaGrowth(double[] linux) {
        double g = growth(linux);
        return new Direction("linux-numa-growth", "linux's unmap cost on 8 sockets of 4 cores grows about 5.7x from 2 to 32 CPUs "
                + "(Barrelfish, SOSP'09)", g >= 4 && g <= 8, String.format(Locale.ROOT,
                "munmap of one page, process on the first N of 32 CPUs (8 sockets), cycles: %s (%.1fx)", series(linux), g));
    }

    static Direction multicastFlat(double[] linux, double[] multicast) {
        double gl = growth(linux);
        double gm = growth(multicast);
        return new Direction("multicast-flat", "multicast's cost stays roughly flat from 2 to 32 CPUs across sockets, where linux's grows",
                gm <= 2.5 && gm <= gl / 2, String.format(Locale.ROOT, "the same munmaps under multicast, cycles: %s (%.1fx, linux %.1fx)",
                series(multicast), gm, gl));
    }

    /** The abis direction with {@code strategy} in abis's place (tests plant a wrong one). */
    static Direction abis(Map<String, String> settings, String strategy) {
        ModeledProbe.Outcome linux = probe(settings, "linux", 4).munmapWithSiblings(3);
        ModeledProbe.Outcome abis = probe(settings, strategy, 4).munmapWithSiblings(3);
        boolean holds = abis.ipisSent() < linux.ipisSent() && abis.remoteShootdowns() < linux.remoteShootdowns();
        return new Direction("abis-private", "abis avoids the shootdowns of pages only one CPU touched (linux interrupts every CPU running the process)",
                holds, String.format(Locale.ROOT, "%d munmaps of a page only the initiator touched, 3 siblings live: shootdowns reaching "
                + "another CPU linux %d, abis %d; IPIs linux %d, abis %d", linux.samples().size(), linux.remoteShootdowns(),
                abis.remoteShootdowns(), linux.ipisSent(), abis.ipisSent()));
    }

    /** The early-ack direction with {@code strategy} in early-ack's place (tests plant a wrong one). */
    static Direction earlyAck(Map<String, String> settings, String strategy) {
        double linux = probe(settings, "linux", 4).munmapWithSiblings(3).median();
        double early = probe(settings, strategy, 4).munmapWithSiblings(3).median();
        return new Direction("early-ack-latency", "early acknowledgement cuts the initiator's latency below linux's for the same flushes",
                early < linux, String.format(Locale.ROOT, "munmap of one page, process live on 4 CPUs: linux %.0f cycles, early-ack %.0f cycles",
                linux, early));
    }

    /** The didi direction with {@code strategy} in didi's place (tests plant a wrong one). */
    static Direction didi(Map<String, String> settings, String strategy) {
        ModeledProbe.Outcome hw = probe(settings, "hw-broadcast", 4).munmapWithSiblings(3);
        ModeledProbe.Outcome didi = probe(settings, strategy, 4).munmapWithSiblings(3);
        // the measured munmaps reach nobody; what didi sends goes to the siblings for the control page they all read
        boolean holds = didi.cyclesInterrupted() == 0 && didi.ipisSent() == 0
                && didi.remoteInvalidations() * 4 <= hw.remoteInvalidations();
        return new Direction("didi-sharers", "didi interrupts no CPU and sends invalidations only to the CPUs that cached the entry",
                holds, String.format(Locale.ROOT, "%d munmaps of a page only the initiator touched, 3 siblings live: remote invalidations "
                + "hw-broadcast %d, didi %d (to the siblings, for the control page they read); IPIs didi %d; cycles lost by interrupted CPUs didi %d", didi.samples().size(),
                hw.remoteInvalidations(), didi.remoteInvalidations(), didi.ipisSent(), didi.cyclesInterrupted()));
    }

    private static ModeledProbe probe(Map<String, String> settings, String strategy, int cpus) {
        Map<String, String> s = new LinkedHashMap<>(settings);
        s.put("shootdown.strategy", strategy);
        s.put("cpus", Integer.toString(cpus));
        return new ModeledProbe(s);
    }

    static Direction latr(Map<String, String> settings) {
        double linux = probe(settings, "linux", 4).munmapWithSiblings(3).median();
        double latr = probe(settings, "latr", 4).munmapWithSiblings(3).median();
        double cut = 1 - latr / linux;
        return new Direction("latr-munmap", "LATR cuts munmap latency against linux by a large factor (the paper: about 70 %)",
                cut >= 0.5, String.format(Locale.ROOT, "munmap of one page, process live on 4 CPUs: linux %.0f cycles, latr %.0f cycles: %.0f %% less",
                linux, latr, 100 * cut));
    }

    static Direction batching(Map<String, String> settings) {
        return batching(settings, "batched");
    }

    /** The batching direction with {@code strategy} in the batched strategy's place (tests plant a wrong one). */
    static Direction batching(Map<String, String> settings, String strategy) {
        int ranges = 32;
        ModeledProbe.Outcome perRange = probe(settings, "targeted", 2).unmapManyRanges(ranges);
        ModeledProbe.Outcome batched = probe(settings, strategy, 2).unmapManyRanges(ranges);
        int munmaps = perRange.samples().size();
        double perPageTargeted = perRange.ipisSent() / (double) (munmaps * ranges);
        double perPageBatched = batched.ipisSent() / (double) (batched.samples().size() * ranges);
        double fold = perPageBatched == 0 ? Double.POSITIVE_INFINITY : perPageTargeted / perPageBatched;
        return new Direction("batched-ipis", "batching cuts IPIs per unmapped page many-fold (against a shootdown per range)",
                fold >= 4, String.format(Locale.ROOT, "munmap of %d one-page areas, a sibling on the other CPU: IPIs per unmapped page targeted %.3f, "
                + "batched %.3f: %.1fx fewer", ranges, perPageTargeted, perPageBatched, fold));
    }

    static Direction hardwareBroadcast(Map<String, String> settings) {
        return hardwareBroadcast(settings, "hw-broadcast");
    }

    /** The hardware-broadcast direction with {@code strategy} in hw-broadcast's place (tests plant a wrong one). */
    static Direction hardwareBroadcast(Map<String, String> settings, String strategy) {
        ModeledProbe.Outcome linux = probe(settings, "linux", 2).munmapWithSiblings(1);
        ModeledProbe.Outcome hw = probe(settings, strategy, 2).munmapWithSiblings(1);
        boolean holds = linux.cyclesInterrupted() > 0 && hw.cyclesInterrupted() <= 0.01 * linux.cyclesInterrupted();
        return new Direction("hw-broadcast-interrupted", "hw-broadcast takes interrupted-CPU cycles to ~0",
                holds, String.format(Locale.ROOT, "%d munmaps with a sibling: cycles lost by interrupted CPUs, linux %d, hw-broadcast %d",
                linux.samples().size(), linux.cyclesInterrupted(), hw.cyclesInterrupted()));
    }

    static Direction linuxGrowth(Map<String, String> settings) {
        StringBuilder series = new StringBuilder();
        double first = 0;
        double previous = 0;
        double last = 0;
        boolean neverFalls = true;
        for (int cpus : CPU_COUNTS) {
            double m = probe(settings, "linux", cpus).munmapWithSiblings(cpus - 1).median();
            if (cpus == CPU_COUNTS[0]) {
                first = m;
            } else if (m < previous) {
                neverFalls = false;
            }
            previous = m;
            last = m;
            series.append(series.length() == 0 ? "" : ", ").append(cpus).append(" CPUs ").append(String.format(Locale.ROOT, "%.0f", m));
        }
        double growth = last / first;
        return new Direction("linux-growth", "linux's shootdown cost grows with the number of CPUs running the process, from 2 to 32 "
                + "(bare metal, Barrelfish: about 5.7x)", neverFalls && growth >= 1.1, String.format(Locale.ROOT, "munmap of one page, cycles: %s (%.1fx from %d to %d)", series, growth,
                CPU_COUNTS[0], CPU_COUNTS[CPU_COUNTS.length - 1]));
    }
}
