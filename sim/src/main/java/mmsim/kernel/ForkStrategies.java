package mmsim.kernel;

import java.util.List;

/** The fork strategies by configuration name. Adding one: write the class, add its name here and to the config enum. */
public final class ForkStrategies {
    /** Every strategy name, in the order reports list them. */
    public static final List<String> NAMES = List.of("eager", "cow", "odf");

    private ForkStrategies() {
    }

    /** The built-in strategy called {@code name}. @throws IllegalArgumentException for an unknown name */
    public static ForkStrategy create(String name, KernelFrames frames, TlbFlusher flusher) {
        return switch (name) {
            case "eager" -> new EagerFork(frames);
            case "cow" -> new CowFork(frames, flusher);
            case "odf" -> new OnDemandFork(frames, flusher);
            default -> throw new IllegalArgumentException("unknown fork strategy '" + name + "'; known: " + NAMES);
        };
    }
}
