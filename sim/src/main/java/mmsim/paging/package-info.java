/**
 * Page tables and address spaces, x86-64 style. {@link mmsim.paging.Pte} is the entry's bit layout
 * (present, writable, user, accessed, dirty, the software COW, PROT_NONE and SHARED bits, the frame number);
 * {@link mmsim.paging.PageTable} walks and builds four-level trees whose tables are frames of physical
 * memory; {@link mmsim.paging.AddressSpace} is the mm: its VMAs, root, cpumask, TLB generation, the
 * downgrades in flight (what the stale-translation oracle exempts, per page range) and the unmapped
 * ranges held back from reuse until every CPU has flushed them; {@link mmsim.paging.SharedMemoryObject} is
 * the object behind a shared anonymous mapping, whose VMAs ({@link mmsim.paging.Vma#shared()}) in every
 * address space reach the same frames.
 *
 * <p>Guarantees: a walker sees either no table or a fully zeroed one (tables are installed by CAS after
 * they were zeroed); an entry is one 64-bit word changed only atomically, and a fault resolves by
 * "read, prepare, CAS old → new, on failure undo and retry" (Linux's {@code pte_same}).
 *
 * <p>Memory ordering: entries are loaded with {@code la} (acquire) and changed with {@code cas} or
 * {@code so} (release), so everything written before an entry (a copied frame, a zeroed table) is seen by
 * whoever reads the entry. VMAs are published as an immutable array in a volatile field: fault handlers
 * read them without a lock; changes are synchronized on the address space.
 *
 * <p>Extending: new entry bits go in {@code Pte} with their meaning; anything that downgrades or removes
 * a translation must bracket its change with {@code beginDowngrade}/{@code endDowngrade} and a shootdown.
 */
package mmsim.paging;
