package mmsim.calibrate;

/**
 * Calibration could not measure the host: no C compiler, a compile error, the probe failed or timed
 * out, or its output could not be read. The message says what went wrong and, where there is one, what
 * to do about it; it carries the tail of the compiler's or the probe's stderr when that explains it.
 */
public final class CalibrationException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public CalibrationException(String message) {
        super(message);
    }

    public CalibrationException(String message, Throwable cause) {
        super(message, cause);
    }
}
