package mmsim.workload;

import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import mmsim.config.ConfigException;
import mmsim.config.Setting;

/**
 * A workload's settings resolved over their defaults, and which of them the run named. Unknown keys and
 * invalid values are {@link ConfigException}s that name the key and what it allows. Immutable.
 */
public final class WorkloadSettings {
    private final Map<Setting<?>, Object> values;
    private final Set<Setting<?>> given;

    private WorkloadSettings(Map<Setting<?>, Object> values, Set<Setting<?>> given) {
        this.values = values;
        this.given = given;
    }

    /**
     * Resolves {@code overrides} (key → text) for {@code workload}.
     *
     * @throws ConfigException on a key the workload does not have (listing the ones it has) or an invalid value
     */
    public static WorkloadSettings parse(Workload workload, Map<String, String> overrides) {
        Map<Setting<?>, Object> resolved = new LinkedHashMap<>();
        for (Setting<?> s : workload.settings()) {
            resolved.put(s, s.defaultValue());
        }
        Set<Setting<?>> given = new HashSet<>();
        for (Map.Entry<String, String> e : overrides.entrySet()) {
            Setting<?> setting = find(workload, e.getKey());
            resolved.put(setting, setting.parse(e.getValue()));
            given.add(setting);
        }
        return new WorkloadSettings(resolved, Set.copyOf(given));
    }

    private static Setting<?> find(Workload workload, String key) {
        for (Setting<?> s : workload.settings()) {
            if (s.key().equals(key)) {
                return s;
            }
        }
        List<String> known = workload.settings().stream().map(Setting::key).toList();
        throw new ConfigException("unknown setting '" + key + "' for workload " + workload.name() + "; its settings: "
                + (known.isEmpty() ? "(none)" : String.join(", ", known)));
    }

    @SuppressWarnings("unchecked")
    public <T> T get(Setting<T> setting) {
        if (!values.containsKey(setting)) {
            throw new IllegalArgumentException("setting " + setting.key() + " is not one of this workload's");
        }
        return (T) values.get(setting);
    }

    /**
     * Whether the run named {@code setting} rather than taking its default: for a workload whose settings
     * exclude one another (two budgets of one walk, say), to tell a choice from a default.
     */
    public boolean given(Setting<?> setting) {
        return given.contains(setting);
    }

    /** Every setting, defaults resolved, as key → text that {@link #parse} reads back. */
    @SuppressWarnings({"unchecked", "rawtypes"})
    public Map<String, String> asStrings() {
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<Setting<?>, Object> e : values.entrySet()) {
            Setting s = e.getKey();
            out.put(s.key(), s.format(e.getValue()));
        }
        return Collections.unmodifiableMap(out);
    }
}
