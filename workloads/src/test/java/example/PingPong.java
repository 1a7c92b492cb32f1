package example;

import java.util.List;

import mmsim.config.Setting;
import mmsim.kernel.ProcessBody;
import mmsim.paging.Vma;
import mmsim.stats.StatsRegistry.Kind;
import mmsim.stats.StatsRegistry.LatencyRecorder;
import mmsim.workload.Workload;
import mmsim.workload.WorkloadContext;

/**
 * The README's example of a researcher's own workload: a parent and a forked child bounce a counter
 * through two pipes; each side checks the value it receives. Run it with
 * {@code mmsim run --workload-class example.PingPong --set pingpong.rounds=100}.
 */
public final class PingPong implements Workload {
    static final Setting<Integer> ROUNDS = Setting.intRange("pingpong.rounds", 50, 1, 1_000_000,
            "Round trips between parent and child.");

    @Override
    public String name() {
        return "pingpong";
    }

    @Override
    public String description() {
        return "a parent and its child bounce a counter through two pipes";
    }

    @Override
    public List<Setting<?>> settings() {
        return List.of(ROUNDS);
    }

    @Override
    public List<String> headline() {
        return List.of("pingpong.round_trip_ns", "faults.cow_copy");
    }

    @Override
    public ProcessBody prepare(WorkloadContext ctx) {
        int rounds = ctx.get(ROUNDS);
        LatencyRecorder roundTrip = ctx.latency("round_trip_ns", Kind.HOST, "ns", "Host time of one round trip.");
        return sys -> {
            long buf = sys.mmap(4096, Vma.READ_WRITE);
            int[] ping = sys.pipe();
            int[] pong = sys.pipe();
            int child = sys.fork(c -> {
                for (long expect = 0; expect < rounds; expect++) {
                    c.read(ping[0], buf, 8);
                    if (c.loadLong(buf) != expect) {
                        return 1;
                    }
                    c.storeLong(buf, expect + 1);
                    c.write(pong[1], buf, 8);
                }
                return 0;
            });
            for (long i = 0; i < rounds; i++) {
                long t0 = System.nanoTime();
                sys.storeLong(buf, i);
                sys.write(ping[1], buf, 8);
                sys.read(pong[0], buf, 8);
                roundTrip.record(System.nanoTime() - t0);
                if (sys.loadLong(buf) != i + 1) {
                    ctx.fail("round " + i + ": the child answered " + sys.loadLong(buf));
                }
                ctx.progress((i + 1.0) / rounds);
            }
            return sys.waitpid(child).code();
        };
    }
}
