package mmsim.kernel;

import mmsim.cpu.Cpu;
import mmsim.cpu.IpiRound;

/**
 * Runs an action on every other CPU and waits until all have run it (Linux's
 * {@code smp_call_function}); the initiator services its own inbox while waiting. One reusable request
 * per initiating CPU. Modeled like a shootdown round ({@link IpiRound}): one IPI sent per CPU, and the
 * initiator's clock ends at the latest acknowledgement.
 */
final class CrossCall {
    private final Cpu[] cpus;
    private final Request[] requests;

    CrossCall(Cpu[] cpus, java.util.function.Consumer<Cpu> action) {
        this.cpus = cpus;
        this.requests = new Request[cpus.length];
        for (int i = 0; i < cpus.length; i++) {
            requests[i] = new Request(action);
        }
    }

    void runOnOthers(Cpu initiator) {
        Request r = requests[initiator.id()];
        initiator.charge((cpus.length - 1) * initiator.costs().ipiSend);
        r.arm(initiator, cpus.length - 1, true);
        for (Cpu target : cpus) {
            if (target != initiator) {
                target.deliver(r, initiator);  // the actions never wait: a CPU without a slot runs it on this thread
            }
        }
        r.awaitAcks(initiator);
    }

    private static final class Request extends IpiRound {
        final java.util.function.Consumer<Cpu> action;

        Request(java.util.function.Consumer<Cpu> action) {
            this.action = action;
        }

        /** The action charges what it does itself. */
        @Override
        protected long work(Cpu target, long startsAt) {
            action.accept(target);
            return 0;
        }
    }
}
