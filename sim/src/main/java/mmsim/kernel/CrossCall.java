package mmsim.kernel;

import java.util.concurrent.atomic.AtomicInteger;

import mmsim.cpu.Cpu;
import mmsim.cpu.Interrupt;

/**
 * Runs an action on every other CPU and waits until all have run it (Linux's
 * {@code smp_call_function}); the initiator services its own inbox while waiting. One reusable request
 * per initiating CPU.
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
        for (Cpu target : cpus) {
            if (target != initiator) {
                target.post(r, initiator.interruptServicer());
            }
        }
        int spins = 0;
        while (r.pending.get() != 0) {
            initiator.serviceInterrupts();
            if (++spins > 100) {
                Thread.yield();
            } else {
                Thread.onSpinWait();
            }
        }
    }

    private static final class Request implements Interrupt {
        final java.util.function.Consumer<Cpu> action;
        final AtomicInteger pending = new AtomicInteger();

        Request(java.util.function.Consumer<Cpu> action) {
            this.action = action;
        }

        @Override
        public void handle(Cpu cpu) {
            action.accept(cpu);
            pending.decrementAndGet();
        }
    }
}
