package mmsim.run;

/**
 * A run could not start because of its input: an invalid setting, a workload that cannot be loaded,
 * simulated memory the host cannot reserve. The message names the culprit and what is allowed; the
 * command line prints it as one line and exits with status 2.
 */
public final class SetupException extends Exception {
    private static final long serialVersionUID = 1L;

    public SetupException(String message) {
        super(message);
    }
}
