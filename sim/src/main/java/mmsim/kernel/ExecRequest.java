package mmsim.kernel;

/** Unwinds the calling thread's stack for exec: its task then runs the new body in the new image. */
final class ExecRequest extends Error {
    final ProcessBody body;

    ExecRequest(ProcessBody body) {
        super("exec", null, false, false);
        this.body = body;
    }
}
