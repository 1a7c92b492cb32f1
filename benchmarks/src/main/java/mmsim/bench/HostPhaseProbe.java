package mmsim.bench;

import java.util.Arrays;
import java.util.concurrent.CountDownLatch;

/**
 * The host's cross-core cache-line round trip, in ns: one thread writes a volatile sequence number, an echo thread
 * spinning on it writes it back into a line of its own, and the first waits for the echo. Two line transfers
 * between host cores and nothing else, as {@link CacheLineRoundTripBenchmark} measures (with this class's
 * {@link Ping}, {@link Echo} and {@link #startEcho}), in a fraction of a second and without JMH, so that a benchmark
 * script can run it before and after each run. It depends on nothing but the JDK: the scripts compile this one file.
 *
 * <p>Why: on the virtual machines this project is measured on, this figure changes "phase" for minutes at a time
 * (0.1 µs and 0.5 µs on the same host within an hour, as the hypervisor places the vCPUs), and every host-time
 * figure that hands work between host threads moves with it: a 4-CPU chaos run's accesses per host second by 2.3×,
 * a 256-CPU run's by 1.3× (benchmarks/README.md). A figure means something only beside the probe taken with it.
 *
 * <p>Run: {@code javac -d DIR benchmarks/src/main/java/mmsim/bench/HostPhaseProbe.java && java -cp DIR
 * mmsim.bench.HostPhaseProbe} (any JDK 11 or later), or {@code java -cp benchmarks/target/benchmarks.jar
 * mmsim.bench.HostPhaseProbe}. It prints the median of {@value #BATCHES} batches of
 * {@value #ROUNDS} round trips, after {@value #WARMUP} to warm up, as a whole number of ns on stdout, and a line
 * saying what it measured on stderr. A batch that has not finished within {@value #BATCH_LIMIT_MS} ms (one host
 * core, where the echo must be scheduled in for every round trip, or a host too loaded to give two threads a core
 * each) ends the probe with exit status 3 and no figure on stdout: what it would measure is the host's scheduler,
 * not its caches. Exit status 2 for a bad argument.
 */
public final class HostPhaseProbe {
    static final int WARMUP = 100_000;
    static final int ROUNDS = 20_000;
    static final int BATCHES = 5;
    static final long BATCH_LIMIT_MS = 2_000;

    private HostPhaseProbe() {
    }

    /** The sender's line: the sequence number, padded on both sides to a cache line of its own. */
    static final class Ping {
        long p0, p1, p2, p3, p4, p5, p6;
        volatile long value;
        long q0, q1, q2, q3, q4, q5, q6;
    }

    /** The echo's line: the last sequence number echoed, padded likewise, and the echo thread's stop flag. */
    static final class Echo {
        long p0, p1, p2, p3, p4, p5, p6;
        volatile long value;
        long q0, q1, q2, q3, q4, q5, q6;
        volatile boolean stop;
    }

    /**
     * Starts a daemon thread that copies each new {@code ping.value} into {@code echo.value} until {@code echo.stop},
     * spinning in between; returns it once it runs.
     */
    static Thread startEcho(Ping ping, Echo echo) throws InterruptedException {
        CountDownLatch running = new CountDownLatch(1);
        Thread echoThread = new Thread(() -> {
            running.countDown();
            long seen = 0;
            while (!echo.stop) {
                long v = ping.value;
                if (v != seen) {
                    seen = v;
                    echo.value = v;   // volatile: the reply is the second line transfer
                } else {
                    Thread.onSpinWait();
                }
            }
        }, "echo");
        echoThread.setDaemon(true);
        echoThread.start();
        running.await();
        return echoThread;
    }

    public static void main(String[] args) throws InterruptedException {
        if (args.length > 0) {
            System.err.println("HostPhaseProbe: takes no arguments (got '" + String.join(" ", args) + "')");
            System.exit(2);
        }
        Ping ping = new Ping();
        Echo echo = new Echo();
        startEcho(ping, echo);

        long sequence = 0;
        long[] batchNs = new long[BATCHES];
        for (int batch = -1; batch < BATCHES; batch++) {
            int rounds = batch < 0 ? WARMUP : ROUNDS;
            long deadline = System.nanoTime() + BATCH_LIMIT_MS * 1_000_000;
            long start = System.nanoTime();
            for (int i = 0; i < rounds; i++) {
                long sent = ++sequence;
                ping.value = sent;
                while (echo.value != sent) {
                    Thread.onSpinWait();
                }
                // read the clock only now and then: a read costs ~25 ns on some virtual machines
                if ((i & 1023) == 1023 && System.nanoTime() > deadline) {
                    echo.stop = true;
                    System.err.println("HostPhaseProbe: a batch of " + rounds + " round trips took over " + BATCH_LIMIT_MS
                            + " ms (" + Runtime.getRuntime().availableProcessors() + " host cores visible): the two threads"
                            + " do not have a host core each, so no figure");
                    System.exit(3);
                }
            }
            if (batch >= 0) {
                batchNs[batch] = (System.nanoTime() - start) / rounds;
            }
        }
        echo.stop = true;
        long[] sorted = batchNs.clone();
        Arrays.sort(sorted);
        long median = sorted[BATCHES / 2];
        System.out.println(median);
        System.err.println("HostPhaseProbe: cache-line round trip between two host threads " + median + " ns (median of "
                + BATCHES + " batches of " + ROUNDS + ": " + Arrays.toString(batchNs) + " ns; "
                + Runtime.getRuntime().availableProcessors() + " host cores visible)");
    }
}
