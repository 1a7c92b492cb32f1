package mmsim.stress;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIII_Result;

/** {@link ShootdownCompletes} for the {@code early-ack} strategy. */
@JCStressTest
@State
public class ShootdownCompletesEarlyAck extends ShootdownCompletes {
    public ShootdownCompletesEarlyAck() {
        super(named("early-ack"));
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
