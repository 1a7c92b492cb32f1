package mmsim.workload;

import mmsim.kernel.Sys;
import mmsim.paging.Vma;

/**
 * A reusable barrier for {@code parties} simulated threads or processes, built only from simulated
 * pipes, so that waiting blocks in the simulated kernel ({@code read}) and answers interrupts, and
 * the deterministic mode can schedule it.
 *
 * <p>Party 0 leads: it reads one arrival byte from each other party, then releases them all by writing
 * one byte per party into the release pipe of the round's parity. Two release pipes used in turn (sense
 * reversal) keep a fast party that reaches the next round from taking a byte meant for a slow party of
 * this round: the next round's release pipe is only written after every party arrived again.
 *
 * <p>Create it in the process whose threads (or forked children) will use it; children inherit the
 * pipes and the scratch page. Each party uses its own {@link Party}, from one simulated thread.
 */
public final class PipeBarrier {
    private static final long PAGE = 4096;

    private final int parties;
    private final int[] arrive;
    private final int[][] release;
    private final long scratch;

    /**
     * Creates the pipes and a one-page scratch buffer in {@code sys}'s process.
     *
     * @param parties how many parties meet at the barrier, from 1 to 4097
     */
    public PipeBarrier(Sys sys, int parties) {
        if (parties < 1 || parties > PAGE + 1) {
            throw new IllegalArgumentException("parties must be from 1 to " + (PAGE + 1) + ": " + parties);
        }
        this.parties = parties;
        this.arrive = sys.pipe();
        this.release = new int[][] {sys.pipe(), sys.pipe()};
        this.scratch = sys.mmap(PAGE, Vma.READ_WRITE);
    }

    /** The handle of party {@code index} (0 leads), to be used by one simulated thread. */
    public Party party(int index) {
        if (index < 0 || index >= parties) {
            throw new IllegalArgumentException("party " + index + " of a barrier for " + parties);
        }
        return new Party(index);
    }

    /** Closes this process's copies of the barrier's pipes. */
    public void close(Sys sys) {
        sys.close(arrive[0]);
        sys.close(arrive[1]);
        for (int[] p : release) {
            sys.close(p[0]);
            sys.close(p[1]);
        }
    }

    /** One party's view: it counts its own rounds to pick the release pipe. */
    public final class Party {
        private final int index;
        private long round;

        private Party(int index) {
            this.index = index;
        }

        /** Blocks until every party has called {@code await} for this round. */
        public void await(Sys sys) {
            int[] releasePipe = release[(int) (round++ & 1)];
            if (index == 0) {
                readFully(sys, arrive[0], parties - 1);
                writeFully(sys, releasePipe[1], parties - 1);
            } else {
                writeFully(sys, arrive[1], 1);
                readFully(sys, releasePipe[0], 1);
            }
        }
    }

    private void readFully(Sys sys, int fd, int bytes) {
        int got = 0;
        while (got < bytes) {
            int n = sys.read(fd, scratch, bytes - got);
            if (n == 0) {
                throw new IllegalStateException("barrier pipe closed with " + (bytes - got) + " parties missing");
            }
            got += n;
        }
    }

    private void writeFully(Sys sys, int fd, int bytes) {
        int put = 0;
        while (put < bytes) {
            put += sys.write(fd, scratch, bytes - put);
        }
    }
}
