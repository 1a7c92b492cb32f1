package mmsim.cli;

import java.util.function.DoubleConsumer;

import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * A progress bar on stderr over a number of runs, each reporting its own fraction done. Off (every
 * method does nothing) with {@code --quiet} or when the program is not attached to a terminal.
 */
final class Progress implements AutoCloseable {
    private static final int STEPS_PER_RUN = 1000;

    private final ProgressBar bar;
    private int run;

    private Progress(ProgressBar bar) {
        this.bar = bar;
    }

    static Progress over(int runs, boolean quiet) {
        if (quiet || System.console() == null) {
            return new Progress(null);
        }
        ProgressBar bar = new ProgressBarBuilder()
                .setTaskName("mmsim")
                .setInitialMax((long) runs * STEPS_PER_RUN)
                .setStyle(ProgressBarStyle.ASCII)
                .setConsumer(new me.tongfei.progressbar.ConsoleProgressBarConsumer(System.err))
                .setUpdateIntervalMillis(250)
                .hideEta()
                .build();
        return new Progress(bar);
    }

    /** Starts run {@code index} (0-based) named {@code label}; returns its fraction listener. */
    DoubleConsumer start(int index, String label) {
        run = index;
        if (bar == null) {
            return null;
        }
        bar.setExtraMessage(" " + label);
        bar.stepTo((long) index * STEPS_PER_RUN);
        final long base = (long) index * STEPS_PER_RUN;
        return fraction -> bar.stepTo(base + (long) (fraction * STEPS_PER_RUN));
    }

    /** Marks the current run done. */
    void finish() {
        if (bar != null) {
            bar.stepTo((long) (run + 1) * STEPS_PER_RUN);
        }
    }

    @Override
    public void close() {
        if (bar != null) {
            bar.close();
        }
    }
}
