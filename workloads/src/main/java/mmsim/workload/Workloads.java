package mmsim.workload;

import java.lang.reflect.InvocationTargetException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;

import mmsim.config.ConfigException;

/**
 * Finds workloads: by name among those listed in {@code META-INF/services/mmsim.workload.Workload} on
 * the class path (mmsim's own and any researcher's jar), or by class name ({@code --workload-class}).
 * Errors are {@link ConfigException}s that name the culprit and what is allowed.
 */
public final class Workloads {
    private Workloads() {
    }

    /** Every workload the class path offers, by name, in the order found. */
    public static Map<String, Workload> all() {
        Map<String, Workload> byName = new LinkedHashMap<>();
        try {
            for (Workload w : ServiceLoader.load(Workload.class)) {
                byName.putIfAbsent(w.name(), w);
            }
        } catch (ServiceConfigurationError e) {
            throw new ConfigException("a workload listed in META-INF/services could not be loaded: " + rootMessage(e));
        }
        return byName;
    }

    /** The names of every workload the class path offers. */
    public static List<String> names() {
        return new ArrayList<>(all().keySet());
    }

    /** The workload called {@code name}. @throws ConfigException naming it and listing the known ones */
    public static Workload named(String name) {
        Workload w = all().get(name);
        if (w == null) {
            throw new ConfigException("unknown workload '" + name + "'; workloads: " + String.join(", ", names())
                    + " (or name a class with --workload-class)");
        }
        return w;
    }

    /**
     * Instantiates {@code className} with its public no-argument constructor.
     *
     * @throws ConfigException when the class is missing, is not a {@link Workload}, or its constructor throws
     */
    public static Workload ofClass(String className) {
        Class<?> type;
        try {
            type = Class.forName(className, true, Thread.currentThread().getContextClassLoader());
        } catch (ClassNotFoundException | LinkageError e) {
            throw new ConfigException("--workload-class " + className + ": no such class on the class path ("
                    + e.getClass().getSimpleName() + ")");
        }
        if (!Workload.class.isAssignableFrom(type)) {
            throw new ConfigException("--workload-class " + className + ": does not implement " + Workload.class.getName());
        }
        try {
            return (Workload) type.getConstructor().newInstance();
        } catch (NoSuchMethodException e) {
            throw new ConfigException("--workload-class " + className + ": needs a public no-argument constructor");
        } catch (InvocationTargetException e) {
            throw new ConfigException("--workload-class " + className + ": its constructor threw " + rootMessage(e.getCause()));
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new ConfigException("--workload-class " + className + ": cannot be instantiated: " + rootMessage(e));
        }
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
    }
}
