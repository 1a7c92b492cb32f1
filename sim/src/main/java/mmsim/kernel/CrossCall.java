package mmsim.kernel;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import mmsim.cpu.Cpu;
import mmsim.cpu.Interrupt;
import mmsim.cpu.WaitCondition;
import mmsim.stats.CostModel;

/**
 * Runs an action on every other CPU and waits until all have run it (Linux's
 * {@code smp_call_function}); the initiator services its own inbox while waiting ({@link Cpu#await}).
 * One reusable request per initiating CPU. Modeled like a shootdown round: one IPI sent per CPU, each
 * target takes it {@link CostModel#IPI_DELIVERY} after the send, and the initiator's clock ends at the
 * latest acknowledgement.
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
        r.pending.set(cpus.length - 1);
        r.latestAck.set(0);
        r.initiator = initiator;
        initiator.charge((cpus.length - 1) * CostModel.IPI_SEND);
        r.sentAt = initiator.clock();
        for (Cpu target : cpus) {
            if (target != initiator) {
                target.post(r, initiator.interruptServicer());
            }
        }
        initiator.await(r);
        initiator.advanceTo(r.latestAck.get());
    }

    private static final class Request implements Interrupt, WaitCondition {
        final java.util.function.Consumer<Cpu> action;
        final AtomicInteger pending = new AtomicInteger();
        final AtomicLong latestAck = new AtomicLong();
        /** Written before the posts that publish them. */
        long sentAt;
        Cpu initiator;

        Request(java.util.function.Consumer<Cpu> action) {
            this.action = action;
        }

        @Override
        public boolean satisfied() {
            return pending.get() == 0;
        }

        @Override
        public void handle(Cpu cpu) {
            long arrival = sentAt + CostModel.IPI_DELIVERY;
            if (cpu.idleOrWaiting()) {
                cpu.advanceTo(arrival);
            }
            long before = cpu.clock();
            action.accept(cpu);
            cpu.charge(CostModel.IPI_HANDLER + CostModel.IPI_ACK);
            long spent = cpu.clock() - before;
            latestAck.accumulateAndGet(Math.max(arrival + spent, cpu.idleOrWaiting() ? cpu.clock() : 0), Math::max);
            Cpu waiter = initiator;
            // release: the action's effects happen-before the initiator sees the count drop
            if (pending.decrementAndGet() == 0) {
                waiter.slots().wake(waiter);
            }
        }
    }
}
