/**
 * The simulated kernel: processes and threads on the machine's CPUs, the scheduler, system calls
 * ({@link mmsim.kernel.Sys}, the one API a workload sees), the page-fault handler, fork strategies, pipes.
 * One concern per class: {@code Kernel} (boot, run, close), {@code Scheduler} (with CPU affinity),
 * {@code Processes} (the process life cycle: creation, exit, kill, orphans adopted by init, reaping),
 * {@code ProcessControl} (kill(2) with default signal actions, CPU affinity, getrusage),
 * {@code ProcessUsage} (per-process counts attributed at context switches, read as a
 * {@link mmsim.kernel.Rusage}), {@link mmsim.kernel.Signals} (signal numbers and default actions),
 * {@code PipeFiles}, {@code Mappings} (mmap with MAP_FIXED or a hint, munmap, mremap, mprotect, madvise,
 * fork's memory half, teardown),
 * {@code FaultHandler}, {@code SharedMemory} (shared anonymous mappings: their faults and lifetime),
 * {@link mmsim.kernel.KernelFrames} (every frame the kernel takes, the zero frame, one
 * reclaim-and-retry), {@link mmsim.kernel.TlbFlusher} (every downgrade's begin–flush–release–end bracket,
 * by try-with-resources) and the {@link mmsim.kernel.ForkStrategy} implementations side by side.
 *
 * <p>Execution model: every task (a thread of a process) is a Java thread (virtual on JDK 24+,
 * {@code TaskThreads}) that runs only while it holds a CPU; blocking, yielding and the preemption tick
 * (every {@code sched.quantum.cycles} of the CPU's modeled clock) hand the CPU to the next runnable task
 * or to the CPU's idle thread, which services interrupts, enters lazy-TLB mode as Linux does, and gives
 * its host slot up while there is nothing to do. So an interrupt always reaches someone who answers, and a
 * blocked task never blocks a CPU. A woken task carries its waker's clock; the CPU taking it moves there.
 *
 * <p>Guarantees: a system call that fails changes nothing and a failed copy to or from user memory
 * consumes nothing (Linux is the reference); a segfault or an out-of-memory kills only its own process;
 * every frame comes back to the pool when the last process exits (invariant 8).
 *
 * <p>Locking: an address space's {@code mm.lock} (a CPU-aware reader-writer lock) is held for reading by
 * faults ({@code FaultHandler}) and for writing by fork, mmap, munmap, mremap, mprotect and madvise, all in
 * {@code Mappings}; a task waiting for it keeps servicing its CPU's interrupts. Every path that adds an entry
 * to a live space's page tables holds it (reading or writing), so munmap and mremap, holding it for writing,
 * may unlink the tables no VMA needs; they free them after the shootdown, once no CPU can be walking them. Page-table entries follow {@link mmsim.paging}'s ordering (acquire loads, CAS).
 * Every downgrade is bracketed by a {@code TlbFlusher.Flush}: {@code beginDowngrade} before the first
 * entry changes, a shootdown, then the frames' (and unlinked tables') release and {@code endDowngrade}.
 *
 * <p>Extending: a fork strategy implements {@link mmsim.kernel.ForkStrategy} and plugs in through
 * {@code Kernel.boot(machine, shootdownFactory, forkFactory)}; a new system call goes into the class of its
 * concern, with a method on {@code Sys} that returns through {@code userReturn} (an interrupt boundary).
 */
package mmsim.kernel;
