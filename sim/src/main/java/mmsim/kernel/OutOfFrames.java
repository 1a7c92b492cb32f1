package mmsim.kernel;

/** No frame is left, even after every CPU drained its frame cache and applied its deferred invalidations. Caught inside the kernel. */
final class OutOfFrames extends RuntimeException {
    OutOfFrames(String what) {
        super("out of frames for " + what, null, false, false);
    }
}
