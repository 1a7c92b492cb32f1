/**
 * TLB shootdowns: how stale translations leave other CPUs' TLBs. {@link mmsim.shootdown.ShootdownStrategy}
 * is the one interface; {@code broadcast}, {@code targeted}, {@code linux}, {@code latr},
 * {@code hw-broadcast} and {@code batched} (what kernels ship) and {@code abis}, {@code early-ack},
 * {@code multicast} and {@code didi} (research proposals; the first three are linux with one step changed)
 * implement it side by side (most on
 * {@link mmsim.shootdown.AbstractShootdown}: the IPI round, the local flush, the accounting), created by
 * name in {@link mmsim.shootdown.Shootdowns}.
 *
 * <p>Guarantees (the strategy contract): once {@code flush} returns, no CPU translates through an entry
 * of the request that was cached before the page-table change, except inside a lazy window a strategy
 * documents (latr's munmap); the release action, which frees the dropped frames, runs only once no CPU
 * can translate to them. An initiator that waits keeps servicing its own inbox, so concurrent initiators
 * never deadlock (invariant 9).
 *
 * <p>Memory ordering: a round's request is published before the IPI is posted (the inbox offer is a
 * release); a target acknowledges with a release decrement after its flush; the initiator's acquire read
 * of the count then orders every target's flush before the release action.
 *
 * <p>Extending: one class implementing {@code ShootdownStrategy}, its name in {@code Shootdowns} and the
 * configuration enum; or, without touching mmsim, {@code Kernel.boot(machine, factory)}. Each strategy
 * has a test twin (the contract tests and the soak under every fork strategy), a jcstress twin
 * ({@code ShootdownCompletes<Name>}) and a benchmark twin ({@code ShootdownBenchmark}).
 */
package mmsim.shootdown;
