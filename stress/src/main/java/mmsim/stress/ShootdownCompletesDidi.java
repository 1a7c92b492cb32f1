package mmsim.stress;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIII_Result;

/** {@link ShootdownCompletes} for the {@code didi} strategy. */
@JCStressTest
@State
public class ShootdownCompletesDidi extends ShootdownCompletes {
    public ShootdownCompletesDidi() {
        super(named("didi"));
    }

    @Actor
    public void target(IIII_Result r) {
        storeOnTarget(r);
    }

    @Actor
    public void initiator() {
        writeProtectAndFlush();
    }

    @Arbiter
    public void arbiter(IIII_Result r) {
        judge(r);
    }
}
