package mmsim.sweep;

/**
 * A sweep, shard or set of run directories that cannot be used as given: a sweep file with an unknown key, an
 * empty product, a shard outside its count, runs of different code versions. The message is one line that
 * names the culprit (with the file and line where there is one) and what is allowed; the command line prints
 * it and exits with status 2.
 */
public final class SweepException extends Exception {
    private static final long serialVersionUID = 1L;

    public SweepException(String message) {
        super(message);
    }
}
