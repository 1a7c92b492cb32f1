package mmsim.cpu;

/**
 * What a CPU waits for in {@link Cpu#await}: an acknowledgement count reaching zero, a lock coming free,
 * a phase ending, work for an idle CPU.
 *
 * <p>Contract: {@link #satisfied} is cheap, never blocks, takes no lock and has no side effect; it may be
 * called from any thread (the waiter, and the {@link Slots} arbiter when it polls waiters at a phase end).
 * Whoever makes it true either calls {@link Slots#wake} (or {@link Slots#wakeWaitersOf}) afterwards, with
 * a volatile write between the two, or relies on the arbiter's poll at the next phase end (slower; only
 * for rare waits). Once true it stays true until the waiter has seen it.
 */
@FunctionalInterface
public interface WaitCondition {
    /** Whether the wait is over. */
    boolean satisfied();

    /**
     * Whether whoever makes this condition true always calls {@link Slots#wake} or {@link Slots#wakeWaitersOf}
     * afterwards (and an interrupt posted to the waiter wakes it too), so the arbiter need not poll it at a
     * phase end: a waiter it would find ready there has been made ready already. False unless a condition says
     * so; a wrong true leaves a waiter asleep until something else wakes it.
     */
    default boolean signalled() {
        return false;
    }
}
