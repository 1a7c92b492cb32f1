package mmsim.kernel;

/** The code of a simulated process: runs on its main thread; the return value is its exit code. */
@FunctionalInterface
public interface ProcessBody {
    int run(Sys sys) throws Exception;
}
