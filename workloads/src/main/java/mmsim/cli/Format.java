package mmsim.cli;

import java.util.Locale;

import mmsim.stats.StatsRegistry.Descriptor;
import mmsim.stats.StatsRegistry.Kind;
import mmsim.stats.StatsSnapshot;
import mmsim.stats.StatsSnapshot.Distribution;

/** How metrics read in tables: host nanoseconds as µs, modeled cycles as µs at the cost model's clock. */
final class Format {
    private Format() {
    }

    /** The unit a column shows for {@code d}: {@code us} for ns and cycles, else the metric's own. */
    static String displayUnit(Descriptor d) {
        return switch (d.unit()) {
            case "ns", "cycles" -> "us";
            default -> d.unit();
        };
    }

    /** A distribution's value at a percentile (or max), in {@link #displayUnit}; modeled cycles become µs at {@code ghz}. */
    static String distribution(Distribution d, String stat, double ghz) {
        long v = switch (stat) {
            case "p50" -> d.at(50);
            case "p99" -> d.at(99);
            case "max" -> d.max();
            default -> throw new IllegalArgumentException(stat);
        };
        if (d.count() == 0) {
            return "-";
        }
        return switch (d.descriptor().unit()) {
            case "ns" -> number(v / 1000.0);
            case "cycles" -> number(v / (ghz * 1000.0));
            default -> Long.toString(v);
        };
    }

    static String number(double v) {
        if (v >= 1000) {
            return String.format(Locale.ROOT, "%.0f", v);
        }
        if (v >= 10) {
            return String.format(Locale.ROOT, "%.1f", v);
        }
        return String.format(Locale.ROOT, "%.2f", v);
    }

    /** "model" or "host": how a column says where its number comes from. */
    static String kind(Kind k) {
        return k == Kind.MODELED ? "model" : "host";
    }

    /** A single value, with host ns shown as ms. */
    static String value(StatsSnapshot.Value v) {
        if (v.descriptor().unit().equals("ns")) {
            return number(v.value() / 1e6);
        }
        return Long.toString(v.value());
    }

    static String valueUnit(Descriptor d) {
        return d.unit().equals("ns") ? "ms" : d.unit();
    }
}
