package mmsim.calibrate;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import mmsim.Machine;
import mmsim.config.MachineConfig;
import mmsim.kernel.ExitStatus;
import mmsim.kernel.Kernel;
import mmsim.kernel.ProcessBody;
import mmsim.kernel.Segment;
import mmsim.kernel.Sys;
import mmsim.paging.Vma;
import mmsim.stats.CostModel;
import mmsim.stats.CpuCounter;

/**
 * The kernel probe's microbenchmarks ({@code kprobe.c}, see {@link KernelProbe}) run inside mmsim: the same
 * operations, sizes and thread placement, timed on the calling thread's modeled clock ({@link Sys#nowCycles()})
 * the way the probe times them on the host's clock. {@code mmsim calibrate} fits a profile's costs with them and
 * {@code mmsim fidelity} compares their results with the kernel's.
 *
 * <p>Every run boots a fresh two-CPU machine in the deterministic mode, with the linux shootdown strategy, fork by
 * copy-on-write and the zero page (Linux's defaults), over whatever settings the caller gives (the cost profile
 * above all). The measuring thread is pinned to CPU 0 and a sibling thread, where an operation has one, to CPU 1,
 * spinning on a load as the probe's sibling does, so that the process is live on both CPUs. Results are cycles per
 * operation, the median of the samples (deterministic: the same settings give the same number every time).
 *
 * <p>Not thread-safe: one measurement at a time per instance.
 */
public final class ModeledProbe {
    /** Faults timed together, as the probe does: one sample is a batch's cycles divided by its size. */
    static final int FAULT_BATCH = 64;
    /** Pages of each fault round's fresh region (several leaf tables: their allocation is amortised as in the probe). */
    static final int FAULT_REGION_PAGES = 2048;
    /** Samples per operation. */
    static final int SAMPLES = 16;
    /** One-byte ping-pongs per context-switch sample. */
    static final int PING_PONGS = 64;

    private static final long PAGE = 4096;

    private final MachineConfig config;

    /**
     * A probe over {@code settings} (machine settings, key to text: {@code cost.profile}, single costs, ...); it adds
     * {@code cpus=2}, deterministic mode, {@code shootdown.strategy=linux}, {@code fork.strategy=cow} and enough memory
     * unless given.
     *
     * @throws mmsim.config.ConfigException for a bad setting
     */
    public ModeledProbe(Map<String, String> settings) {
        Map<String, String> s = new LinkedHashMap<>();
        s.put("cpus", "2");
        s.put("memory", "1GiB");
        s.put("shootdown.strategy", "linux");
        s.put("fork.strategy", "cow");
        s.putAll(settings);
        s.put("sim.deterministic", "true");
        s.remove("sim.parallelism");
        this.config = MachineConfig.parse(s);
    }

    /** The machine configuration every measurement boots. */
    public MachineConfig config() {
        return config;
    }

    /** The operations this probe models, by the kernel probe's names. */
    public static final List<String> OPS = List.of("null_syscall", "fault_demand_zero", "fault_cow_copy", "fault_cow_reuse",
            "fork", "exec", "mmap", "munmap", "munmap_sibling", "mprotect", "mprotect_sibling", "madvise_dontneed",
            "madvise_dontneed_sibling", "context_switch", "ipi_roundtrip", "page_zero", "page_copy");

    /**
     * Modeled cycles of one {@code op} (median of its samples); {@code param} is the resident pages for
     * {@code fork} and ignored otherwise. {@code page_zero} and {@code page_copy} are the cost model's own values and
     * {@code ipi_roundtrip} the modeled round trip of one IPI to a busy CPU that does nothing but acknowledge
     * (send, delivery, handler, acknowledgement), as {@code mmsim.cpu.IpiRound} charges it: mmsim has no membarrier.
     *
     * @throws IllegalArgumentException for an op not in {@link #OPS}
     * @throws IllegalStateException when the simulated run fails (a bug: the microbenchmarks check what they do)
     */
    public double measure(String op, long param) {
        CostModel c = config().costs();
        return switch (op) {
            case "page_zero" -> c.pageZero;
            case "page_copy" -> c.pageCopy;
            case "ipi_roundtrip" -> c.ipiSend + c.ipiDelivery + c.ipiHandler + c.ipiAck;
            case "null_syscall" -> median(run(ModeledProbe::nullSyscalls));
            case "fault_demand_zero" -> median(run((sys, out) -> faults(sys, out, Faults.DEMAND_ZERO)));
            case "fault_cow_copy" -> median(run((sys, out) -> faults(sys, out, Faults.COW_COPY)));
            case "fault_cow_reuse" -> median(run((sys, out) -> faults(sys, out, Faults.COW_REUSE)));
            case "fork" -> median(run((sys, out) -> fork(sys, out, param)));
            case "exec" -> median(run(ModeledProbe::exec));
            case "mmap" -> median(run((sys, out) -> pageOps(sys, out, PageOp.MMAP, 0)));
            case "munmap" -> median(run((sys, out) -> pageOps(sys, out, PageOp.MUNMAP, 0)));
            case "munmap_sibling" -> median(run((sys, out) -> pageOps(sys, out, PageOp.MUNMAP, 1)));
            case "mprotect" -> median(run((sys, out) -> pageOps(sys, out, PageOp.MPROTECT, 0)));
            case "mprotect_sibling" -> median(run((sys, out) -> pageOps(sys, out, PageOp.MPROTECT, 1)));
            case "madvise_dontneed" -> median(run((sys, out) -> pageOps(sys, out, PageOp.MADVISE, 0)));
            case "madvise_dontneed_sibling" -> median(run((sys, out) -> pageOps(sys, out, PageOp.MADVISE, 1)));
            case "context_switch" -> median(run(ModeledProbe::contextSwitch));
            default -> throw new IllegalArgumentException("no modeled microbenchmark '" + op + "'; known: " + String.join(", ", OPS));
        };
    }

    /** What a body measures: samples in cycles, added to the list (which any simulated thread may add to). */
    private interface Body {
        void measure(Sys sys, List<Double> samples) throws Exception;
    }

    /** Boots a machine, runs {@code body} as init pinned to CPU 0, and returns its samples. */
    private List<Double> run(Body body) {
        return runCounting(body).samples();
    }

    /** What one modeled run gave: its samples (cycles) and the machine's counters summed over CPUs at the end. */
    public record Outcome(List<Double> samples, long ipisSent, long cyclesInterrupted, long shootdowns, long remoteShootdowns,
                          long remoteInvalidations) {
        /** The samples' median, in cycles. */
        public double median() {
            return ModeledProbe.median(samples);
        }
    }

    private Outcome runCounting(Body body) {
        List<Double> samples = java.util.Collections.synchronizedList(new ArrayList<>());
        ProcessBody init = sys -> {
            sys.schedSetaffinity(0, cpus(0));
            body.measure(sys, samples);
            return 0;
        };
        long ipis = 0;
        long interrupted = 0;
        long shootdowns = 0;
        long remote = 0;
        long invalidations = 0;
        try (Machine machine = Machine.boot(config()); Kernel kernel = Kernel.boot(machine)) {
            ExitStatus status = kernel.run(init, Duration.ofMinutes(5));
            if (!status.exitedNormally() || status.code() != 0) {
                throw new IllegalStateException("a modeled microbenchmark failed: " + status);
            }
            ipis = machine.counterTotal(CpuCounter.SHOOTDOWN_IPIS_SENT);
            interrupted = machine.counterTotal(CpuCounter.MODELED_CYCLES_INTERRUPTED);
            shootdowns = machine.counterTotal(CpuCounter.SHOOTDOWNS);
            remote = machine.counterTotal(CpuCounter.SHOOTDOWNS_REMOTE);
            invalidations = machine.counterTotal(CpuCounter.SHOOTDOWN_REMOTE_INVALIDATIONS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("a modeled microbenchmark did not finish: " + e.getMessage(), e);
        }
        if (samples.isEmpty()) {
            throw new IllegalStateException("a modeled microbenchmark took no samples");
        }
        return new Outcome(new ArrayList<>(samples), ipis, interrupted, shootdowns, remote, invalidations);
    }

    /**
     * munmap of one written page while {@code siblings} threads of the process spin on CPUs 1 to {@code siblings}
     * (the machine needs {@code siblings + 1} CPUs: set {@code cpus}); the samples are each munmap's cycles.
     */
    public Outcome munmapWithSiblings(int siblings) {
        return runCounting((sys, out) -> pageOps(sys, out, PageOp.MUNMAP, siblings));
    }

    /**
     * One munmap of {@code ranges} one-page mappings side by side (alternately writable and read-only, so they
     * stay separate areas), each touched, while a sibling thread spins on CPU 1; the samples are each munmap's cycles.
     */
    public Outcome unmapManyRanges(int ranges) {
        return runCounting((sys, out) -> {
            long control = startSiblings(sys, 1);
            for (int i = 0; i < SAMPLES; i++) {
                long base = sys.mmap(ranges * PAGE, Vma.READ_WRITE);
                sys.munmap(base, ranges * PAGE);
                for (int r = 0; r < ranges; r++) {
                    long a = sys.mmapFixed(base + r * PAGE, PAGE, r % 2 == 0 ? Vma.READ_WRITE : Vma.READ);
                    if (r % 2 == 0) {
                        sys.storeLong(a, r);
                    } else {
                        sys.loadLong(a);
                    }
                }
                long t0 = sys.nowCycles();
                sys.munmap(base, ranges * PAGE);
                out.add((double) (sys.nowCycles() - t0));
            }
            stopSiblings(sys, control, 1);
        });
    }

    private static BitSet cpus(int cpu) {
        BitSet b = new BitSet();
        b.set(cpu);
        return b;
    }

    static double median(List<Double> samples) {
        double[] a = samples.stream().mapToDouble(Double::doubleValue).toArray();
        Arrays.sort(a);
        int n = a.length;
        return n % 2 == 1 ? a[n / 2] : (a[n / 2 - 1] + a[n / 2]) / 2;
    }

    /** One store to each of {@code pages} pages from {@code start}. */
    private static void touch(Sys sys, long start, int pages, long value) {
        for (int i = 0; i < pages; i++) {
            sys.storeLong(start + i * PAGE, value);
        }
    }

    private static void nullSyscalls(Sys sys, List<Double> out) {
        for (int i = 0; i < SAMPLES; i++) {
            long t0 = sys.nowCycles();
            sys.getppid();
            out.add((double) (sys.nowCycles() - t0));
        }
    }

    private enum Faults { DEMAND_ZERO, COW_COPY, COW_REUSE }

    /** First writes to fresh pages, copy-on-write copies (a child keeps the pages), or reuses (the child has exited). */
    private static void faults(Sys sys, List<Double> out, Faults kind) throws Exception {
        int rounds = Math.max(1, SAMPLES * FAULT_BATCH / FAULT_REGION_PAGES);
        for (int round = 0; round < rounds; round++) {
            long region = sys.mmap(FAULT_REGION_PAGES * PAGE, Vma.READ_WRITE);
            int[] fds = null;
            int child = 0;
            if (kind != Faults.DEMAND_ZERO) {
                touch(sys, region, FAULT_REGION_PAGES, 1);
                fds = sys.pipe();
                int readEnd = fds[0];
                child = sys.fork(c -> {
                    if (kind == Faults.COW_COPY) {
                        long buf = c.mmap(PAGE, Vma.READ_WRITE);
                        c.read(readEnd, buf, 1);   // keeps the pages shared until the parent is done
                    }
                    return 0;
                });
                if (kind == Faults.COW_REUSE) {
                    sys.waitpid(child);
                }
            }
            for (int b = 0; b + FAULT_BATCH <= FAULT_REGION_PAGES; b += FAULT_BATCH) {
                long t0 = sys.nowCycles();
                touch(sys, region + b * PAGE, FAULT_BATCH, 2);
                out.add((sys.nowCycles() - t0) / (double) FAULT_BATCH);
            }
            if (kind == Faults.COW_COPY) {
                long buf = sys.mmap(PAGE, Vma.READ_WRITE);
                sys.storeByte(buf, (byte) 1);
                sys.write(fds[1], buf, 1);
                sys.waitpid(child);
                sys.munmap(buf, PAGE);
            }
            if (fds != null) {
                sys.close(fds[0]);
                sys.close(fds[1]);
            }
            sys.munmap(region, FAULT_REGION_PAGES * PAGE);
        }
    }

    /** fork's return in the parent, with {@code pages} resident pages besides; the child exits at once. */
    private static void fork(Sys sys, List<Double> out, long pages) {
        long region = pages == 0 ? 0 : sys.mmap(pages * PAGE, Vma.READ_WRITE);
        touch(sys, region, (int) pages, 1);
        for (int i = 0; i < SAMPLES; i++) {
            long t0 = sys.nowCycles();
            int child = sys.fork(c -> 0);
            out.add((double) (sys.nowCycles() - t0));
            sys.waitpid(child);
        }
    }

    /** From just before exec in a forked child to the start of the new image's body. */
    private static void exec(Sys sys, List<Double> out) {
        for (int i = 0; i < SAMPLES; i++) {
            int child = sys.fork(c -> {
                long t0 = c.nowCycles();
                c.exec(image -> {
                    out.add((double) (image.nowCycles() - t0));
                    return 0;
                }, new Segment(16 * PAGE, Vma.READ), new Segment(4 * PAGE, Vma.READ_WRITE));
                return 1;   // exec returned: it failed
            });
            ExitStatus s = sys.waitpid(child);
            if (!s.exitedNormally() || s.code() != 0) {
                throw new IllegalStateException("the exec'd child ended " + s);
            }
        }
    }

    private enum PageOp { MMAP, MUNMAP, MPROTECT, MADVISE }

    /** One call on one written page per sample, while {@code siblings} threads spin on CPUs 1, 2, .... */
    private static void pageOps(Sys sys, List<Double> out, PageOp op, int siblings) throws Exception {
        long control = startSiblings(sys, siblings);
        long page = sys.mmap(PAGE, Vma.READ_WRITE);
        sys.storeLong(page, 1);
        for (int i = 0; i < SAMPLES; i++) {
            long t0;
            switch (op) {
                case MMAP -> {
                    t0 = sys.nowCycles();
                    long a = sys.mmap(PAGE, Vma.READ_WRITE);
                    out.add((double) (sys.nowCycles() - t0));
                    sys.munmap(a, PAGE);
                }
                case MUNMAP -> {
                    long a = sys.mmap(PAGE, Vma.READ_WRITE);
                    sys.storeLong(a, 1);
                    t0 = sys.nowCycles();
                    sys.munmap(a, PAGE);
                    out.add((double) (sys.nowCycles() - t0));
                }
                case MPROTECT -> {
                    t0 = sys.nowCycles();
                    sys.mprotect(page, PAGE, Vma.READ);
                    out.add((double) (sys.nowCycles() - t0));
                    sys.mprotect(page, PAGE, Vma.READ_WRITE);
                    sys.storeLong(page, i);
                }
                case MADVISE -> {
                    sys.storeLong(page, i + 1);
                    t0 = sys.nowCycles();
                    sys.madvise(page, PAGE, Sys.MADV_DONTNEED);
                    out.add((double) (sys.nowCycles() - t0));
                }
                default -> throw new IllegalStateException(op.toString());
            }
        }
        stopSiblings(sys, control, siblings);
    }

    /**
     * Starts {@code n} threads, thread i pinned to CPU i + 1, each spinning in user space on a load (as the probe's
     * sibling does, so the process stays live on its CPU) until told to stop; returns once all of them run. The
     * returned control page: word 0 is the stop flag, words 1 to n count the threads that run, then their tids.
     */
    private static long startSiblings(Sys sys, int n) {
        long control = sys.mmap(PAGE, Vma.READ_WRITE);
        sys.storeLong(control, 0);
        for (int i = 0; i < n; i++) {
            int cpu = i + 1;
            int tid = sys.spawnThread(s -> {
                s.schedSetaffinity(0, cpus(cpu));
                s.storeLong(control + 8L * cpu, 1);
                while (s.loadLong(control) == 0) {
                    // spin: the process stays live on this CPU
                }
            });
            sys.storeLong(control + 8L * (n + 1 + i), tid);
        }
        for (int i = 1; i <= n; i++) {
            while (sys.loadLong(control + 8L * i) == 0) {
                sys.yield();
            }
        }
        return control;
    }

    private static void stopSiblings(Sys sys, long control, int n) {
        sys.storeLong(control, 1);
        for (int i = 0; i < n; i++) {
            sys.joinThread((int) sys.loadLong(control + 8L * (n + 1 + i)));
        }
        sys.munmap(control, PAGE);
    }

    /** Two processes on CPU 0 ping-pong one byte over two pipes; a sample is a round trip's cycles over two. */
    private static void contextSwitch(Sys sys, List<Double> out) {
        int[] ping = sys.pipe();
        int[] pong = sys.pipe();
        long buf = sys.mmap(PAGE, Vma.READ_WRITE);
        sys.storeByte(buf, (byte) 7);
        int child = sys.fork(c -> {
            for (int i = 0; i < SAMPLES * PING_PONGS; i++) {
                if (c.read(ping[0], buf, 1) != 1) {
                    return 2;
                }
                c.write(pong[1], buf, 1);
            }
            return 0;
        });
        for (int i = 0; i < SAMPLES; i++) {
            long t0 = sys.nowCycles();
            for (int j = 0; j < PING_PONGS; j++) {
                sys.write(ping[1], buf, 1);
                if (sys.read(pong[0], buf, 1) != 1) {
                    throw new IllegalStateException("the ping-pong child went away");
                }
            }
            out.add((sys.nowCycles() - t0) / (2.0 * PING_PONGS));
        }
        ExitStatus s = sys.waitpid(child);
        if (!s.exitedNormally() || s.code() != 0) {
            throw new IllegalStateException("the ping-pong child ended " + s);
        }
    }
}
