package mmsim.stress;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Mode;
import org.openjdk.jcstress.annotations.Signal;
import org.openjdk.jcstress.annotations.State;

/** {@link ConcurrentInitiators} for the {@code targeted} strategy. */
@JCStressTest(Mode.Termination)
@State
public class ConcurrentInitiatorsTargeted extends ConcurrentInitiators {
    public ConcurrentInitiatorsTargeted() {
        super(named("targeted"));
    }

    @Actor
    public void bothCpusFlush() throws InterruptedException {
        bothFlush();
    }

    @Signal
    public void nothingToStop() {
        // a healthy actor ends by itself; jcstress reports STALE if it does not
    }
}
