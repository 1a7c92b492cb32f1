package mmsim.bench;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The host's floor for any cross-thread round trip: one thread writes a volatile sequence number, an echo thread
 * spinning on it writes it back to another volatile field (a line of its own), and the first waits for the echo.
 * Two cache-line transfers between host cores and nothing else, in ns per round trip. A simulated 1-target
 * shootdown ({@link ShootdownBenchmark} with {@code -p targets=1}) is a round trip between two host threads too,
 * so it cannot beat this figure on the same host: report the two side by side. With 1 host core the echo thread
 * must be scheduled in each time, and the figure measures the scheduler.
 *
 * <p>Checked: the echo must be the number sent; a wrong one throws.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar CacheLineRoundTrip -f 3 -wi 3 -i 5 -w 1s -r 1s -foe true}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class CacheLineRoundTripBenchmark {
    /** The sequence number sent; padded away from {@link Echo#pong} (they are in different objects). */
    private final Ping ping = new Ping();
    private final Echo echo = new Echo();
    private Thread echoThread;
    private long sequence;

    /** The sender's line. */
    static final class Ping {
        long p0, p1, p2, p3, p4, p5, p6;
        volatile long value;
        long q0, q1, q2, q3, q4, q5, q6;
    }

    /** The echo's line. */
    static final class Echo {
        long p0, p1, p2, p3, p4, p5, p6;
        volatile long pong;
        long q0, q1, q2, q3, q4, q5, q6;
        volatile boolean stop;
    }

    @Setup(Level.Trial)
    public void start() throws InterruptedException {
        CountDownLatch running = new CountDownLatch(1);
        echoThread = new Thread(() -> {
            running.countDown();
            long seen = 0;
            while (!echo.stop) {
                long v = ping.value;
                if (v != seen) {
                    seen = v;
                    echo.pong = v;   // volatile: the reply is the second line transfer
                } else {
                    Thread.onSpinWait();
                }
            }
        }, "echo");
        echoThread.setDaemon(true);
        echoThread.start();
        running.await();
    }

    @Benchmark
    public long roundTrip() {
        long v = ++sequence;
        ping.value = v;   // volatile: the request is the first line transfer
        long got;
        while ((got = echo.pong) != v) {
            if (got > v) {
                throw new IllegalStateException("echo " + got + " for request " + v);
            }
            Thread.onSpinWait();
        }
        return got;
    }

    @TearDown(Level.Trial)
    public void stop() throws InterruptedException {
        echo.stop = true;
        echoThread.join(10_000);
        if (echoThread.isAlive()) {
            throw new IllegalStateException("the echo thread did not stop");
        }
    }
}
