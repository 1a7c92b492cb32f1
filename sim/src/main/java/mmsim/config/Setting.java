package mmsim.config;

import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Function;

/**
 * One named setting of a machine: its key, default, documentation and strict parser.
 * Parsing never guesses: a value outside what {@link #allowed()} describes is rejected with a
 * {@link ConfigException} that names the key and the allowed values.
 *
 * @param <T> the parsed type
 */
public final class Setting<T> {
    private final String key;
    private final T defaultValue;
    private final String doc;
    private final String allowed;
    private final Function<String, T> parser;
    private final Function<T, String> formatter;

    private Setting(String key, T defaultValue, String doc, String allowed, Function<String, T> parser,
                    Function<T, String> formatter) {
        this.key = key;
        this.defaultValue = defaultValue;
        this.doc = doc;
        this.allowed = allowed;
        this.parser = parser;
        this.formatter = formatter;
    }

    private Setting(String key, T defaultValue, String doc, String allowed, Function<String, T> parser) {
        this(key, defaultValue, doc, allowed, parser, String::valueOf);
    }

    public String key() {
        return key;
    }

    public T defaultValue() {
        return defaultValue;
    }

    public String doc() {
        return doc;
    }

    /** A human description of the values this setting accepts. */
    public String allowed() {
        return allowed;
    }

    /** Parses {@code text}, throwing a {@link ConfigException} that names this key when it is invalid. */
    public T parse(String text) {
        Objects.requireNonNull(text, key);
        String trimmed = text.trim();
        T value;
        try {
            value = parser.apply(trimmed);
        } catch (RuntimeException e) {
            value = null;
        }
        if (value == null) {
            throw new ConfigException(key + ": '" + text + "' is not allowed; allowed: " + allowed);
        }
        return value;
    }

    /** Renders a value the way {@link #parse} reads it back. */
    public String format(T value) {
        return formatter.apply(value);
    }

    /** An integer in {@code [min, max]}, written as {@link #parseInteger} reads it. */
    public static Setting<Integer> intRange(String key, int defaultValue, int min, int max, String doc) {
        return new Setting<>(key, defaultValue, doc, "an integer from " + min + " to " + max, s -> {
            long v = parseInteger(s);
            return v >= min && v <= max ? (int) v : null;
        });
    }

    /** A power of two in {@code [min, max]}, written as {@link #parseInteger} reads it. */
    public static Setting<Integer> powerOfTwo(String key, int defaultValue, int min, int max, String doc) {
        return new Setting<>(key, defaultValue, doc, "a power of two from " + min + " to " + max, s -> {
            long v = parseInteger(s);
            return v >= min && v <= max && Long.bitCount(v) == 1 ? (int) v : null;
        });
    }

    /** A 64-bit integer in {@code [min, max]}, written as {@link #parseInteger} reads it. */
    public static Setting<Long> longRange(String key, long defaultValue, long min, long max, String doc) {
        return new Setting<>(key, defaultValue, doc, "an integer from " + min + " to " + max, s -> {
            long v = parseInteger(s);
            return v >= min && v <= max ? v : null;
        });
    }

    /**
     * An integer setting's text: decimal digits with an optional sign and underscores as digit separators
     * ({@code 6_000_000}), or a number in scientific notation whose value is an exact integer ({@code 5e7},
     * {@code 1.5E9}), as budgets like {@code chaos.cycles} are naturally written. Never rounds: {@code 1.5} or
     * {@code 1e-3} is not an integer and {@code 1e19} is not a 64-bit one; both throw.
     *
     * @throws NumberFormatException if the text is not a number
     * @throws ArithmeticException if it is not an integer that fits 64 bits
     */
    static long parseInteger(String text) {
        String digits = text.replace("_", "");
        if (digits.indexOf('e') < 0 && digits.indexOf('E') < 0) {
            return Long.parseLong(digits);   // the plain form: no fraction point either
        }
        return new java.math.BigDecimal(digits).longValueExact();
    }

    /** Any non-blank text; {@code allowed} says what it must name, and the caller checks that when it resolves it. */
    public static Setting<String> text(String key, String defaultValue, String allowed, String doc) {
        return new Setting<>(key, defaultValue, doc, allowed, s -> s.isEmpty() ? null : s);
    }

    /** One of a fixed list of words. */
    public static Setting<String> oneOfStrings(String key, String defaultValue, List<String> values, String doc) {
        return new Setting<>(key, defaultValue, doc, "one of " + String.join(", ", values), s -> values.contains(s) ? s : null);
    }

    /** Any signed 64-bit integer (decimal, or hexadecimal with 0x). */
    public static Setting<Long> anyLong(String key, long defaultValue, String doc) {
        return new Setting<>(key, defaultValue, doc, "a 64-bit integer (decimal or 0x-hex)", s ->
                s.startsWith("0x") || s.startsWith("0X") ? Long.parseUnsignedLong(s.substring(2), 16) : Long.parseLong(s));
    }

    /** A finite decimal number in {@code [min, max]}. */
    public static Setting<Double> decimal(String key, double defaultValue, double min, double max, String doc) {
        return new Setting<>(key, defaultValue, doc, "a number from " + min + " to " + max, s -> {
            double v = Double.parseDouble(s);
            return Double.isFinite(v) && v >= min && v <= max ? v : null;
        });
    }

    /** {@code true} or {@code false}, nothing else. */
    public static Setting<Boolean> bool(String key, boolean defaultValue, String doc) {
        return new Setting<>(key, defaultValue, doc, "true or false", s -> switch (s) {
            case "true" -> Boolean.TRUE;
            case "false" -> Boolean.FALSE;
            default -> null;
        });
    }

    /** A byte size such as {@code 4096}, {@code 64KiB}, {@code 256MiB}, {@code 4GiB}, within bounds, a multiple of {@code unit}. */
    public static Setting<Long> bytes(String key, long defaultValue, long min, long max, long unit, String doc) {
        String allowed = "a size from " + formatBytes(min) + " to " + formatBytes(max) + ", a multiple of "
                + formatBytes(unit) + " (suffixes KiB, MiB, GiB, TiB)";
        return new Setting<>(key, defaultValue, doc, allowed, s -> {
            long v = parseBytes(s);
            return v >= min && v <= max && v % unit == 0 ? v : null;
        }, Setting::formatBytes);
    }

    /** One of the constants of an enum, by its {@code toString()} name. */
    public static <E extends Enum<E>> Setting<E> oneOf(String key, E defaultValue, Class<E> type, String doc) {
        List<String> names = java.util.Arrays.stream(type.getEnumConstants()).map(Object::toString).toList();
        return new Setting<>(key, defaultValue, doc, "one of " + String.join(", ", names), s -> {
            for (E e : type.getEnumConstants()) {
                if (e.toString().equals(s)) {
                    return e;
                }
            }
            return null;
        });
    }

    static long parseBytes(String s) {
        String t = s.toLowerCase(Locale.ROOT);
        long scale = 1;
        String[][] suffixes = {{"tib", "t"}, {"gib", "g"}, {"mib", "m"}, {"kib", "k"}};
        long[] scales = {1L << 40, 1L << 30, 1L << 20, 1L << 10};
        for (int i = 0; i < suffixes.length; i++) {
            for (String suffix : suffixes[i]) {
                if (t.endsWith(suffix)) {
                    scale = scales[i];
                    t = t.substring(0, t.length() - suffix.length()).trim();
                    i = suffixes.length;
                    break;
                }
            }
        }
        return Math.multiplyExact(Long.parseLong(t), scale);
    }

    static String formatBytes(long v) {
        String[] units = {"TiB", "GiB", "MiB", "KiB"};
        long[] scales = {1L << 40, 1L << 30, 1L << 20, 1L << 10};
        for (int i = 0; i < units.length; i++) {
            if (v >= scales[i] && v % scales[i] == 0) {
                return (v / scales[i]) + units[i];
            }
        }
        return Long.toString(v);
    }
}
