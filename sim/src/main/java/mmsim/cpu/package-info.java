/**
 * CPUs. {@link mmsim.cpu.Cpu} owns a {@link mmsim.cpu.Tlb} (set-associative L1, optional L2, optional
 * ASID tags, LRU/FIFO/random replacement in {@code TlbArray}), an {@link mmsim.cpu.Mmu} (the access path:
 * interrupt poll → TLB → walk setting accessed/dirty by CAS → fault → retry), an interrupt inbox, the
 * loaded address space and its counters.
 *
 * <p>Modeled time: each CPU's clock ({@link mmsim.cpu.Cpu#clock}) advances by {@link mmsim.cpu.Cpu#charge}
 * (the access path's {@code Mmu.charge}, inlined) and by waits ({@link mmsim.cpu.Cpu#advanceTo}); the tick
 * and the phase end fall due at an access or system-call boundary when the clock passes the CPU's deadline.
 * {@link mmsim.cpu.Slots} bounds how many CPUs execute at once and runs the bound phases; every wait goes
 * through {@link mmsim.cpu.Cpu#await}, which gives the CPU's slot up when the wait is long.
 *
 * <p>Guarantees: exactly one Java thread executes on a CPU at a time (a task or the CPU's idle thread);
 * its owner-only state (TLB lookups and fills, counters, frame cache) needs no atomics. Every access is an
 * interrupt boundary: an interrupt posted to a CPU runs on it before its next access completes or at its
 * next idle-loop iteration. The hit path allocates nothing.
 *
 * <p>Memory ordering: {@code post} offers to the inbox then sets the pending flag (volatile); the owner
 * clears the flag then drains the inbox, so no interrupt is left behind with the flag clear
 * ({@code InterruptNotLost}). The pending flag is read opaquely on the hot path (a plain read could be
 * hoisted out of a loop). Remote invalidations of a TLB (hardware broadcast) are ordered against the
 * owner's fills by a sequence count ({@code Tlb.remoteEpoch}), Dekker-style.
 *
 * <p>Extending: a new TLB organisation keeps {@code Tlb}'s contract (the same hits, misses and
 * replacement decisions for the same access stream; the access-path tests pin them) and its benchmark
 * twin in {@code AccessPathBenchmark}. Faults go to a {@link mmsim.cpu.PageFaultHandler}; the kernel
 * installs its own.
 */
package mmsim.cpu;
