package mmsim.sweep;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs a program for a test, with a bounded wait, and returns what it printed. */
final class Processes {
    /** Exit status and combined output; status -1 when it had to be killed at the deadline. */
    record Result(int status, String output) {
    }

    private Processes() {
    }

    static Result run(List<String> command, Map<String, String> env, long timeoutSeconds) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().putAll(env);
        Path log = Files.createTempFile("mmsim-test-process", ".log");
        try {
            pb.redirectOutput(log.toFile());
            Process p = pb.start();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                p.waitFor();
                return new Result(-1, Files.readString(log, StandardCharsets.UTF_8) + "\n(killed after " + timeoutSeconds + " s)");
            }
            return new Result(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(log);
        }
    }

    /** {@code mmsim ARGS} in a JVM of its own, like the one running the tests. */
    static Result mmsim(Map<String, String> env, String... args) throws IOException, InterruptedException {
        return run(JavaCommand.current().command("mmsim.cli.Main", List.of(args)), env, 120);
    }
}
