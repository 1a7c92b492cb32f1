package mmsim.kernel;

/** An open file description: one end of a pipe, shared by every descriptor that refers to it (dup, fork). */
final class OpenFile {
    final Pipe pipe;
    final boolean readEnd;
    /** Descriptors referring to this description; guarded by {@link #pipe}'s monitor. */
    int references = 1;

    OpenFile(Pipe pipe, boolean readEnd) {
        this.pipe = pipe;
        this.readEnd = readEnd;
    }
}
