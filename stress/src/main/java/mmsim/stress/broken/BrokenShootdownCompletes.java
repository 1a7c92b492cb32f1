package mmsim.stress.broken;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIII_Result;

import mmsim.stress.ShootdownCompletes;

/**
 * BROKEN twin of {@link ShootdownCompletes}: the same actors and outcomes, with a strategy that returns
 * before its IPIs are acknowledged ({@link ReturnBeforeAcksShootdown}).
 */
@JCStressTest
@State
public class BrokenShootdownCompletes extends ShootdownCompletes {
    public BrokenShootdownCompletes() {
        super(ReturnBeforeAcksShootdown::new);
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
