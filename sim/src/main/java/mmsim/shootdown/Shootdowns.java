package mmsim.shootdown;

import java.util.List;

import mmsim.cpu.Cpu;

/** The strategies by configuration name. Adding one: write the class, add its name here and to the config enum. */
public final class Shootdowns {
    /** Every strategy name, in the order reports list them. */
    public static final List<String> NAMES = List.of("broadcast", "targeted", "linux", "latr", "hw-broadcast", "batched",
            "abis", "early-ack", "multicast", "didi");

    private Shootdowns() {
    }

    public static ShootdownStrategy create(String name, Cpu[] cpus, ShootdownStats stats) {
        return switch (name) {
            case "broadcast" -> new BroadcastShootdown(cpus, stats);
            case "targeted" -> new TargetedShootdown(cpus, stats);
            case "linux" -> new LinuxShootdown(cpus, stats);
            case "latr" -> new LatrShootdown(cpus, stats);
            case "hw-broadcast" -> new HardwareBroadcastShootdown(cpus, stats);
            case "batched" -> new BatchedShootdown(cpus, stats);
            case "abis" -> new AbisShootdown(cpus, stats);
            case "early-ack" -> new EarlyAckShootdown(cpus, stats);
            case "multicast" -> new MulticastShootdown(cpus, stats);
            case "didi" -> new DidiShootdown(cpus, stats);
            default -> throw new IllegalArgumentException("unknown shootdown strategy '" + name + "'; known: " + NAMES);
        };
    }
}
