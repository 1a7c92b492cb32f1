package mmsim.workloads;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import mmsim.Machine;
import mmsim.config.MachineConfig;
import mmsim.kernel.ExitStatus;
import mmsim.kernel.Kernel;
import mmsim.kernel.Sys;
import mmsim.paging.Vma;
import mmsim.stats.CpuCounter;

/**
 * A shootdown-heavy process: one worker thread per CPU but one keeps touching a shared region (writing
 * only its first half), while
 * the main thread repeatedly maps and unmaps buffers the workers touched (munmap: LATR's case),
 * write-protects and re-enables a region (mprotect: a permission downgrade every strategy must do
 * synchronously) and forks a child that holds the pages shared while the workers write (COW). Runs in
 * checking mode: a stale translation or a leaked frame fails the run.
 */
final class ShootdownWorkload {
    private static final long PAGE = 4096;

    private ShootdownWorkload() {
    }

    static ShootdownReport run(MachineConfig base, int rounds) throws Exception {
        MachineConfig config = base.with("checking", "true");
        long start = System.nanoTime();
        try (Machine machine = Machine.boot(config)) {
            ExitStatus status;
            Kernel kernel = Kernel.boot(machine);
            try {
                status = kernel.run(sys -> body(sys, config.cpus(), rounds), Duration.ofMinutes(10));
            } finally {
                kernel.close();
            }
            Map<CpuCounter, Long> counters = machine.countersTotal();
            if (!status.exitedNormally() || status.code() != 0) {
                throw new IllegalStateException(config.shootdownStrategy() + ": the workload failed: " + status);
            }
            if (counters.get(CpuCounter.ORACLE_STALE_HITS) != 0) {
                throw new IllegalStateException(config.shootdownStrategy() + ": stale translations: " + machine.oracle().violations());
            }
            if (machine.framePool().freeFramesQuiescent() != config.frames()) {
                throw new IllegalStateException(config.shootdownStrategy() + ": frames leaked");
            }
            return new ShootdownReport(config.shootdownStrategy().toString(), counters,
                    kernel.shootdownStats().modeledCycles(), kernel.shootdownStats().hostNanos(),
                    (System.nanoTime() - start) / 1_000_000);
        }
    }

    private static int body(Sys sys, int cpus, int rounds) {
        long shared = sys.mmap(64 * PAGE, Vma.READ_WRITE);
        for (int i = 0; i < 64; i++) {
            sys.storeLong(shared + i * PAGE, i);
        }
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong sweeps = new AtomicLong();
        int workers = Math.max(1, cpus - 1);
        int[] tids = new int[workers];
        for (int w = 0; w < workers; w++) {
            final int me = w;
            tids[w] = sys.spawnThread(t -> {
                while (!stop.get()) {
                    for (int i = 0; i < 64; i++) {
                        long va = shared + i * PAGE + 8 * (me + 1);
                        if (i < 32 && i % 8 == me % 8) {   // pages 32-39 are write-protected now and then
                            t.storeLong(va, t.loadLong(va) + 1);
                        } else {
                            t.loadLong(va);
                        }
                    }
                    sweeps.incrementAndGet();
                }
            });
        }
        int failures = 0;
        long buf = sys.mmap(PAGE, Vma.READ_WRITE);
        for (int r = 0; r < rounds; r++) {
            long scratch = sys.mmap(16 * PAGE, Vma.READ_WRITE);
            for (int i = 0; i < 16; i++) {
                sys.storeLong(scratch + i * PAGE, r);
            }
            sys.munmap(scratch, 16 * PAGE);
            for (int i = 32; i < 40; i++) {
                sys.storeLong(shared + i * PAGE + 512, r);   // writable (again), so that mprotect downgrades
            }
            sys.mprotect(shared + 32 * PAGE, 8 * PAGE, Vma.READ);
            sys.mprotect(shared + 32 * PAGE, 8 * PAGE, Vma.READ_WRITE);
            int[] p = sys.pipe();
            int pid = sys.fork(c -> {
                long before = c.loadLong(shared);
                c.read(p[0], buf, 1);
                return c.loadLong(shared) == before ? 0 : 1;
            });
            long seen = sweeps.get();
            while (sweeps.get() < seen + workers) {
                sys.yield();
            }
            sys.write(p[1], buf, 1);
            if (!sys.waitpid(pid).exitedNormally()) {
                failures++;
            }
            sys.close(p[0]);
            sys.close(p[1]);
        }
        stop.set(true);
        for (int tid : tids) {
            sys.joinThread(tid);
        }
        return failures;
    }

    /** The shootdown rows of summary.csv. */
    static String csv(Map<String, Object> reports) {
        StringBuilder sb = new StringBuilder();
        boolean header = true;
        for (Object o : reports.values()) {
            @SuppressWarnings("unchecked")
            Map<String, Object> m = (Map<String, Object>) o;
            if (header) {
                sb.append('\n').append(String.join(",", m.keySet())).append('\n');
                header = false;
            }
            sb.append(String.join(",", m.values().stream().map(String::valueOf).toList())).append('\n');
        }
        return sb.toString();
    }
}
