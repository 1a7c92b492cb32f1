package mmsim.stress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.Outcome;

import mmsim.cpu.Cpu;
import mmsim.kernel.Kernel;
import mmsim.paging.AddressSpace;
import mmsim.shootdown.FlushReason;
import mmsim.shootdown.FlushRequest;
import mmsim.shootdown.ShootdownStats;
import mmsim.shootdown.ShootdownStrategy;
import mmsim.shootdown.Shootdowns;

/**
 * DESIGN §3 invariant 9: concurrent shootdown initiators never deadlock. CPUs 0 and 1 both have one
 * space loaded and each flushes a page of it at the same moment, so each is the other's target while it
 * waits for its own acknowledgement; the real strategy's wait must keep servicing the waiter's own inbox.
 * One subclass per strategy ({@code ConcurrentInitiatorsTargeted}, {@code ConcurrentInitiatorsLinux}).
 *
 * <p>jcstress's termination mode has one actor thread: it runs CPU 0 and starts a thread for CPU 1; both
 * wait at a start line, flush, keep servicing their inboxes until both flushes returned (a CPU that
 * stopped answering would hang the other for a reason outside the strategy), and the actor joins CPU 1's
 * thread. A deadlock leaves the actor stuck:
 * STALE. The signal has nothing to stop (a healthy actor ends by itself). TLBs and interrupts only: the
 * CPUs are built without physical memory or page tables.
 */
@Description("Two CPUs flush at each other at once: both flushes must return.")
@Outcome(id = "TERMINATED", expect = ACCEPTABLE, desc = "Both initiators got the other's acknowledgement and returned.")
@Outcome(id = "STALE", expect = FORBIDDEN, desc = "FORBIDDEN: the initiators deadlocked, each waiting for the other's acknowledgement.")
public abstract class ConcurrentInitiators {
    private static final ShootdownStats STATS = new ShootdownStats(TinyMachine.CONFIG.cpus());
    private static final long VA0 = TinyMachine.VA;
    private static final long VA1 = TinyMachine.VA + 4096;

    private final Cpu cpu0 = new Cpu(0, TinyMachine.CONFIG, null, null);
    private final Cpu cpu1 = new Cpu(1, TinyMachine.CONFIG, null, null);
    private final AddressSpace space = new AddressSpace(0, 0, TinyMachine.CONFIG.cpus());
    private final ShootdownStrategy strategy;
    private final FlushRequest request0 = new FlushRequest();
    private final FlushRequest request1 = new FlushRequest();
    private volatile int arrived;
    private volatile int finished;

    protected ConcurrentInitiators(Kernel.ShootdownFactory factory) {
        strategy = factory.create(new Cpu[] {cpu0, cpu1}, STATS);
        cpu0.switchAddressSpace(space);
        cpu1.switchAddressSpace(space);
        strategy.onSwitch(cpu0, space);
        strategy.onSwitch(cpu1, space);
    }

    protected static Kernel.ShootdownFactory named(String name) {
        return (cpus, stats) -> Shootdowns.create(name, cpus, stats);
    }

    /** The actor: CPU 0 here, CPU 1 on a thread of its own; returns when both flushes have. */
    protected final void bothFlush() throws InterruptedException {
        Thread other = new Thread(() -> flushFrom(cpu1, request1, VA1), "cpu1-initiator");
        other.setDaemon(true);
        other.start();
        flushFrom(cpu0, request0, VA0);
        other.join();
    }

    private void flushFrom(Cpu cpu, FlushRequest request, long va) {
        synchronized (this) {
            arrived++;
        }
        while (arrived < 2) {
            Thread.onSpinWait();
        }
        strategy.flush(cpu, request.begin(space, FlushReason.MPROTECT).addRange(va, 1), null);
        synchronized (this) {
            finished++;
        }
        // a CPU that is done keeps answering, as it would at its next access boundary or in its idle loop
        while (finished < 2) {
            cpu.serviceInterrupts();
            Thread.onSpinWait();
        }
    }
}
