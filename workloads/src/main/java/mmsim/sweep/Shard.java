package mmsim.sweep;

/**
 * One of {@code count} disjoint parts of a sweep, numbered from 0: {@code --shard i/N} with
 * {@code 0 <= i < N}, the numbering of a Slurm job array {@code --array=0-(N-1)} (so that
 * {@code --shard $SLURM_ARRAY_TASK_ID/N} names a task's part). The point at position {@code k} of the sweep's
 * product belongs to shard {@code k mod N}: the same file and N always give the same split, and each shard
 * gets every N-th point, a mix of the product's values rather than one block of it. Immutable.
 */
public record Shard(int index, int count) {
    /** The whole sweep as one shard. */
    public static final Shard ALL = new Shard(0, 1);

    public Shard {
        if (count < 1 || index < 0 || index >= count) {
            throw new IllegalArgumentException("shard " + index + "/" + count);
        }
    }

    /**
     * Parses {@code i/N}.
     *
     * @throws SweepException naming the text and what is allowed
     */
    public static Shard parse(String text) throws SweepException {
        String t = text.trim();
        int slash = t.indexOf('/');
        String allowed = "; allowed: i/N with whole numbers 0 <= i < N (shards are numbered from 0, as Slurm's --array=0-(N-1))";
        if (slash <= 0 || slash == t.length() - 1) {
            throw new SweepException("--shard '" + text + "' is not i/N" + allowed);
        }
        int i;
        int n;
        try {
            i = Integer.parseInt(t.substring(0, slash).trim());
            n = Integer.parseInt(t.substring(slash + 1).trim());
        } catch (NumberFormatException e) {
            throw new SweepException("--shard '" + text + "' is not i/N" + allowed);
        }
        if (n < 1 || i < 0 || i >= n) {
            throw new SweepException("--shard " + text + ": there is no shard " + i + " of " + n + allowed);
        }
        return new Shard(i, n);
    }

    /** Whether the point at {@code position} of the product is this shard's. */
    public boolean holds(int position) {
        return position % count == index;
    }

    @Override
    public String toString() {
        return index + "/" + count;
    }
}
