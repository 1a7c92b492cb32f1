package mmsim.workload;

import java.util.function.DoubleConsumer;

/**
 * A progress listener that passes a fraction on only when it is at least {@value #STEP} past the last one passed on,
 * or is the end (1): workloads report progress on every step from every CPU, and the listener behind it (the
 * command line's progress bar, whose state is synchronized) is shared by all of them. Unthrottled, a chaos run on 4
 * CPUs in a terminal did 79-84 k accesses per host second against 169-214 k with {@code --quiet}. A progress bar
 * shows 1,000 steps a run, so nothing it shows is lost; fractions that go back (another CPU's walk, behind) are not
 * passed on, so what the listener sees only grows.
 *
 * <p>Thread-safety: any thread may call {@link #accept}. The last fraction passed on is a volatile field read on every
 * call and written at most about 1,000 times a run; two threads passing the same step both pass it on (harmless).
 */
final class ThrottledProgress implements DoubleConsumer {
    /** The smallest step passed on: one of a progress bar's 1,000 steps a run. */
    static final double STEP = 0.001;

    private final DoubleConsumer listener;
    private volatile double passedOn = Double.NEGATIVE_INFINITY;

    ThrottledProgress(DoubleConsumer listener) {
        this.listener = listener;
    }

    /** Passes {@code fraction} (clamped to 0..1) on if it is a step past the last one passed on, or the end. */
    @Override
    public void accept(double fraction) {
        double f = Math.max(0, Math.min(1, fraction));
        double last = passedOn;
        if (f >= last + STEP || (f == 1 && last < 1)) {
            passedOn = f;
            listener.accept(f);
        }
    }
}
