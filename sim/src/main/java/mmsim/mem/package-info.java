/**
 * Physical memory and its frames. {@link mmsim.mem.PhysicalMemory} holds {@code frames × 4096} real bytes
 * off the Java heap; {@link mmsim.mem.FrameMetadata} a reference count per frame;
 * {@link mmsim.mem.FramePool} the lock-free allocator: per-CPU caches ({@code PerCpuFrameCache}) in front
 * of a global pool, a Treiber stack of freed frame chains ({@code GlobalFrameStack}, with a tagged head
 * against ABA) and a frontier of frames never handed out.
 *
 * <p>Host memory grows with the frames touched, never with the machine's size: nothing is built per frame
 * at boot, so {@code memory=1TiB} boots in well under a second on a host with a fraction of that. Physical
 * memory comes from the host in 2 MiB chunks, on the first use of one of their frames; reference counts and
 * the stack's links live in chunks of 4096 frames ({@code ChunkedFrameInts}) created on the first write;
 * the pool hands out freed frames before it moves its frontier, so a run touches about as many frames as
 * its peak use. Each chunk is published once, by a CAS (the loser drops its own), and found with an
 * acquire load of its table: one load more than a flat array, and only on the walk and fault paths; the
 * TLB-hit path uses host addresses and never looks. A frame's host address never changes before
 * {@link mmsim.mem.PhysicalMemory#close()}. A chunk the host refuses is a
 * {@link mmsim.mem.HostMemoryExhaustedException}, not a simulated event.
 *
 * <p>Guarantees: a frame is never handed out twice; running out is the result
 * {@link mmsim.mem.FramePool#NO_FRAME}, never an exception; free (stack, caches and frontier) + referenced
 * = total whenever no CPU is allocating (invariant 8).
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
