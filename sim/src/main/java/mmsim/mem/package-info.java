/**
 * Physical memory and its frames. {@link mmsim.mem.PhysicalMemory} holds {@code frames × 4096} real bytes
 * off the Java heap; {@link mmsim.mem.FrameMetadata} a reference count per frame;
 * {@link mmsim.mem.FramePool} the lock-free allocator: per-CPU caches ({@code PerCpuFrameCache}) in front
 * of a global Treiber stack of frame chains ({@code GlobalFrameStack}, with a tagged head against ABA).
 *
 * <p>Guarantees: a frame is never handed out twice; running out is the result
 * {@link mmsim.mem.FramePool#NO_FRAME}, never an exception; free + referenced = total whenever no CPU is
 * allocating (invariant 8).
 *
 * <p>Memory ordering: page-table words are read with {@code la}/{@code lv} and changed with
 * {@code cas}/{@code so}; a release store or CAS pairs with an acquire load of the same word (a table's
 * zeroed contents are visible before the link to it). User data is accessed plainly. Reference counts
 * change by atomic read-modify-write (volatile): the last {@code release} of a frame happens-after every use of it by
 * the other holders. A per-CPU cache is touched only by the thread executing on its CPU.
 *
 * <p>Extending: a different allocator must keep the {@code NO_FRAME} contract and conservation; the
 * frame-pool jcstress tests and benchmark are its twins.
 */
package mmsim.mem;
