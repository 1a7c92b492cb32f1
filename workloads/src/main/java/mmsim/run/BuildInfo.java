package mmsim.run;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/**
 * The code version stamped into the jar at build time ({@code mmsim-build.properties}, filled by the
 * git-commit-id Maven plugin): the commit, whether the working tree had uncommitted changes, the
 * project version. "unknown" where the build had no git checkout.
 */
public record BuildInfo(String version, String commit, boolean dirty, String commitTime) {

    private static final BuildInfo CURRENT = load();

    /** The code version of the running program. */
    public static BuildInfo current() {
        return CURRENT;
    }

    /** {@code <commit>} or {@code <commit>-dirty}: one string that names the code. */
    public String codeVersion() {
        return commit + (dirty ? "-dirty" : "");
    }

    private static BuildInfo load() {
        Properties p = new Properties();
        try (InputStream in = BuildInfo.class.getResourceAsStream("/mmsim-build.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            // an unreadable stamp reads as unknown
        }
        return new BuildInfo(known(p.getProperty("version")), known(p.getProperty("git.commit")),
                "true".equals(p.getProperty("git.dirty")), known(p.getProperty("git.commit.time")));
    }

    private static String known(String value) {
        return value == null || value.isBlank() || value.startsWith("${") ? "unknown" : value;
    }
}
