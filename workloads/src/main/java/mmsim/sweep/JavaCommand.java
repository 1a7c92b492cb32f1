package mmsim.sweep;

import java.io.File;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The command that starts a new JVM running this same mmsim: the running JVM's own {@code java} binary, its
 * options (heap, direct memory, the flags that silence JDK 24+'s Unsafe warnings; never a debugger or agent,
 * which would clash), and its class path with every entry made absolute (the shaded {@code mmsim.jar}, or the
 * build's class directories and jars when run from a build or a test). A sweep's runs and a Slurm job's tasks
 * start this way, so they run exactly the code that started them. Immutable.
 */
public record JavaCommand(String java, List<String> jvmOptions, String classPath) {
    private static final List<String> NOT_PASSED_ON = List.of("-agentlib", "-agentpath", "-javaagent", "-Xdebug", "-Xrunjdwp",
            "-XX:+DisableAttachMechanism", "-Djava.class.path", "-XX:Flags", "-XX:VMOptionsFile");

    public JavaCommand {
        jvmOptions = List.copyOf(jvmOptions);
    }

    /** The running JVM's command. */
    public static JavaCommand current() {
        String java = ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> options = new ArrayList<>();
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (NOT_PASSED_ON.stream().noneMatch(a::startsWith)) {
                options.add(a);
            }
        }
        List<String> entries = new ArrayList<>();
        for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (!e.isEmpty()) {
                entries.add(Path.of(e).toAbsolutePath().normalize().toString());
            }
        }
        return new JavaCommand(java, options, String.join(File.pathSeparator, entries));
    }

    /** This command with another class path (a copy of the jar, say). */
    public JavaCommand withClassPath(String otherClassPath) {
        return new JavaCommand(java, jvmOptions, otherClassPath);
    }

    /** The class path when it is one jar file, else null. */
    public Path singleJar() {
        if (classPath.contains(File.pathSeparator) || !classPath.endsWith(".jar")) {
            return null;
        }
        return Path.of(classPath);
    }

    /** {@code java OPTIONS -cp CLASSPATH mainClass args...}. */
    public List<String> command(String mainClass, List<String> args) {
        List<String> c = new ArrayList<>();
        c.add(java);
        c.addAll(jvmOptions);
        c.add("-cp");
        c.add(classPath);
        c.add(mainClass);
        c.addAll(args);
        return c;
    }
}
