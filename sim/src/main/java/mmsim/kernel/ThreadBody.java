package mmsim.kernel;

/** The code of an extra thread in a process ({@link Sys#spawnThread}). */
@FunctionalInterface
public interface ThreadBody {
    void run(Sys sys) throws Exception;
}
