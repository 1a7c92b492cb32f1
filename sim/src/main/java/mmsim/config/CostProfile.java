package mmsim.config;

import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import mmsim.stats.CostModel;
import mmsim.stats.CostModel.Parameter;

/**
 * A named set of cost-model values, each with its source: a built-in profile shipped in the simulator's
 * resources ({@code mmsim/cost/<name>.properties}: {@link #BUILT_IN}), or a file a researcher wrote or
 * {@code mmsim calibrate} measured. Selected by {@code cost.profile}; single {@code cost.<name>} settings override
 * its values.
 *
 * <p>The file format is Java properties: {@code profile.name}, {@code profile.description}, optionally
 * {@code profile.base} (a built-in profile that supplies every value the file does not give), {@code cost.<name>}
 * values (cycles; {@code cost.ghz} in GHz) with {@code cost.<name>.source} lines saying where each comes from, and,
 * for a measured profile, {@code host.<key>} lines describing the machine it was measured on. Any other key is an
 * error (a typo must not silently leave a default in place).
 *
 * <p>Immutable.
 *
 * @param name        the profile's name
 * @param origin      where it was read from: {@code built-in} or the file's path
 * @param description one line on the machine it describes
 * @param values      every parameter's value (cycles, or GHz for the clock)
 * @param sources     every parameter's source, as the profile states it
 * @param host        the measured host's description (CPU model, kernel, virtualisation, cores), empty for a built-in
 *                    profile from published figures
 */
public record CostProfile(String name, String origin, String description, Map<Parameter, Double> values,
                          Map<Parameter, String> sources, Map<String, String> host) {

    /** The profile a machine uses unless {@code cost.profile} says otherwise. */
    public static final String DEFAULT = "skylake-server";

    /**
     * The profiles shipped with the simulator: {@code skylake-server} (published bare-metal figures) and
     * {@code epyc-zen5-microvm} (measured by {@code mmsim calibrate} on the project's own host kind: an AMD EPYC
     * Zen 5 Firecracker microVM).
     */
    public static final List<String> BUILT_IN = List.of(DEFAULT, "epyc-zen5-microvm");

    private static final Map<String, CostProfile> CACHE = new java.util.concurrent.ConcurrentHashMap<>();

    public CostProfile {
        values = Collections.unmodifiableMap(new EnumMap<>(values));
        sources = Collections.unmodifiableMap(new EnumMap<>(sources));
        host = Collections.unmodifiableMap(new LinkedHashMap<>(host));
    }

    /**
     * The built-in profile called {@code nameOrPath}, or else the profile file at that path.
     *
     * @throws ConfigException naming {@code cost.profile} when it is neither a built-in name nor a readable file,
     *                         or naming the file and key when the file is malformed or incomplete
     */
    public static CostProfile load(String nameOrPath) {
        if (BUILT_IN.contains(nameOrPath)) {
            return CACHE.computeIfAbsent(nameOrPath, CostProfile::loadBuiltIn);
        }
        Path file = Path.of(nameOrPath);
        if (!Files.isRegularFile(file)) {
            throw new ConfigException("cost.profile=" + nameOrPath + ": neither a built-in profile (" + String.join(", ", BUILT_IN)
                    + ") nor a readable profile file");
        }
        try {
            return parse(Files.readString(file, StandardCharsets.UTF_8), file.toString());
        } catch (IOException e) {
            throw new ConfigException("cost.profile=" + nameOrPath + ": cannot read it: " + e.getMessage());
        }
    }

    private static CostProfile loadBuiltIn(String name) {
        String resource = "/mmsim/cost/" + name + ".properties";
        try (InputStream in = CostProfile.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("built-in cost profile " + resource + " is missing from the simulator's jar");
            }
            return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), "built-in");
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + resource, e);
        }
    }

    /**
     * Reads a profile from its text; {@code origin} is recorded with it and named in errors.
     *
     * @throws ConfigException on an unknown key, an invalid value, an unknown base, or a missing value without a base
     */
    public static CostProfile parse(String text, String origin) {
        Properties p = new Properties();
        try {
            p.load(new StringReader(text));
        } catch (IOException | IllegalArgumentException e) {
            throw new ConfigException("cost profile " + origin + ": not a properties file: " + e.getMessage());
        }
        String name = p.getProperty("profile.name");
        if (name == null || name.isBlank()) {
            throw new ConfigException("cost profile " + origin + ": profile.name is missing");
        }
        EnumMap<Parameter, Double> values = new EnumMap<>(Parameter.class);
        EnumMap<Parameter, String> sources = new EnumMap<>(Parameter.class);
        Map<String, String> host = new java.util.TreeMap<>();
        String base = p.getProperty("profile.base");
        if (base != null && !base.isBlank()) {
            if (!BUILT_IN.contains(base) || base.equals(name)) {
                throw new ConfigException("cost profile " + origin + ": profile.base=" + base + " is not another built-in profile ("
                        + String.join(", ", BUILT_IN) + ")");
            }
            CostProfile b = load(base);
            values.putAll(b.values());
            b.sources().forEach((k, s) -> sources.put(k, "from " + base + ": " + s));
        }
        for (String key : p.stringPropertyNames()) {
            String value = p.getProperty(key).trim();
            if (key.equals("profile.name") || key.equals("profile.description") || key.equals("profile.base")) {
                continue;
            }
            if (key.startsWith("host.")) {
                host.put(key.substring(5), value);
                continue;
            }
            boolean isSource = key.endsWith(".source");
            Parameter param = Parameter.ofKey(isSource ? key.substring(0, key.length() - ".source".length()) : key);
            if (param == null) {
                throw new ConfigException("cost profile " + origin + ": unknown key '" + key + "'; a profile holds profile.name, "
                        + "profile.description, profile.base, host.*, and cost.<name> with cost.<name>.source for: "
                        + String.join(", ", java.util.Arrays.stream(Parameter.values()).map(Parameter::key).toList()));
            }
            if (isSource) {
                sources.put(param, value);
            } else {
                values.put(param, parseValue(origin, param, value));
            }
        }
        List<String> missing = java.util.Arrays.stream(Parameter.values()).filter(q -> !values.containsKey(q)).map(Parameter::key).toList();
        if (!missing.isEmpty()) {
            throw new ConfigException("cost profile " + origin + ": no value for " + String.join(", ", missing)
                    + " (give them, or a profile.base to take them from)");
        }
        for (Parameter q : Parameter.values()) {
            sources.putIfAbsent(q, "(no source given)");
        }
        return new CostProfile(name, origin, p.getProperty("profile.description", ""), values, sources, host);
    }

    private static double parseValue(String origin, Parameter param, String text) {
        double d;
        try {
            d = Double.parseDouble(text);
        } catch (NumberFormatException e) {
            d = Double.NaN;
        }
        boolean ok = param == Parameter.GHZ ? d > 0 && d <= 100 : d >= 0 && d == Math.rint(d) && d <= 1e12;
        if (!ok) {
            throw new ConfigException("cost profile " + origin + ": " + param.key() + "=" + text + ": "
                    + (param == Parameter.GHZ ? "a clock rate in GHz, above 0" : "a whole number of cycles from 0 to 10^12"));
        }
        return d;
    }

    /** The table these values make. */
    public CostModel model() {
        return new CostModel(values);
    }

    /**
     * The profile as a file that {@link #parse} reads back: header comment lines, name, description, host lines,
     * then every value with its source, in {@link Parameter} order.
     */
    public String toText(List<String> headerComments) {
        StringBuilder b = new StringBuilder();
        for (String c : headerComments) {
            b.append("# ").append(c).append('\n');
        }
        b.append("profile.name=").append(escape(name)).append('\n');
        b.append("profile.description=").append(escape(description)).append('\n');
        for (Map.Entry<String, String> h : host.entrySet()) {
            b.append("host.").append(h.getKey()).append('=').append(escape(h.getValue())).append('\n');
        }
        b.append('\n');
        for (Parameter q : Parameter.values()) {
            double v = values.get(q);
            b.append(q.key()).append('=').append(q == Parameter.GHZ ? Double.toString(v) : Long.toString((long) v)).append('\n');
            b.append(q.key()).append(".source=").append(escape(sources.get(q))).append('\n');
        }
        return b.toString();
    }

    /** A value as a properties file reads it back: backslashes and line breaks escaped (keys here never need more). */
    private static String escape(String s) {
        StringBuilder b = new StringBuilder();
        for (char c : s.toCharArray()) {
            switch (c) {
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                default -> b.append(c);
            }
        }
        return b.toString();
    }
}
