package mmsim.kernel;

/**
 * One segment of an executable image for {@link Sys#exec}: {@code length} bytes with a protection
 * ({@link mmsim.paging.Vma#READ}, {@link mmsim.paging.Vma#READ_WRITE}).
 */
public record Segment(long length, int protection) {
}
