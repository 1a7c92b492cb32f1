package mmsim.sweep;

import java.io.IOException;
import java.nio.file.Path;

/** The sweep tests' shared small sweep, for tests in other packages. */
public final class SweepTestAccess {
    private SweepTestAccess() {
    }

    /** See {@link SweepFixtures#smallSweep()}: the directory holding small.yaml and whole/ (its runs, merged). */
    public static Path smallSweep() throws IOException {
        return SweepFixtures.smallSweep();
    }
}
