package mmsim.bench;

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
    /** The sequence number sent and its echo, each on a line of its own (shared with {@link HostPhaseProbe}). */
    private final HostPhaseProbe.Ping ping = new HostPhaseProbe.Ping();
    private final HostPhaseProbe.Echo echo = new HostPhaseProbe.Echo();
    private Thread echoThread;
    private long sequence;

    @Setup(Level.Trial)
    public void start() throws InterruptedException {
        echoThread = HostPhaseProbe.startEcho(ping, echo);
    }

    @Benchmark
    public long roundTrip() {
        long v = ++sequence;
        ping.value = v;   // volatile: the request is the first line transfer
        long got;
        while ((got = echo.value) != v) {
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
