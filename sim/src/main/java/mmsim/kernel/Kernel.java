package mmsim.kernel;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeoutException;

import mmsim.Machine;
import mmsim.cpu.Cpu;
import mmsim.shootdown.ShootdownStats;
import mmsim.shootdown.ShootdownStrategy;
import mmsim.shootdown.Shootdowns;
import mmsim.stats.OpLatencies;

/**
 * The simulated kernel, booted on a {@link Machine}: {@link #run} starts an init process and returns
 * when every process has exited. Its parts, one concern each: {@link Scheduler} (tasks on CPUs, idle
 * threads, the tick), {@link Processes} (fork, exec, exit, wait, threads), {@link Mappings} (mmap, munmap,
 * mprotect, madvise, the memory half of fork, teardown), {@link FaultHandler}, {@link PipeFiles}, over
 * {@link KernelFrames} (every frame the kernel takes) and {@link TlbFlusher} (every downgrade's bracket),
 * with a {@link ForkStrategy} and a {@link ShootdownStrategy} plugged in. Workloads see only {@link Sys}.
 *
 * <p>Execution model: every task (a thread of a process) is a Java thread (virtual where the JVM allows,
 * {@link TaskThreads}) that runs its code only while it holds a CPU; blocking, yielding and the preemption
 * tick hand the CPU to the next runnable task, or to the CPU's idle task, which services interrupts. So an
 * interrupt always reaches someone who answers, and a blocked process never blocks a CPU. A CPU executes
 * only while it holds one of the machine's host slots ({@link mmsim.cpu.Slots}: at most
 * {@code sim.parallelism} at once, in bound phases of {@code sim.phase.cycles}); with one slot the run is
 * deterministic.
 */
public final class Kernel implements AutoCloseable {
    /** Where exec places the first segment of an image (x86-64's traditional text base). */
    public static final long EXEC_BASE = 0x40_0000L;

    /** Builds a shootdown strategy for a machine's CPUs: how a researcher plugs in one of their own. */
    @FunctionalInterface
    public interface ShootdownFactory {
        ShootdownStrategy create(Cpu[] cpus, ShootdownStats stats);
    }

    private final Machine machine;
    private final PerCpu[] perCpu;
    private final ShootdownStats shootdownStats;
    private final ShootdownStrategy shootdown;
    private final Queue<String> panics = new ConcurrentLinkedQueue<>();
    private final List<Thread> idleThreads = new ArrayList<>();
    final TaskThreads threads;
    final Scheduler scheduler;
    final KernelFrames frames;
    final Mappings mappings;
    final Processes processes;
    final ProcessControl control;
    final PipeFiles files;
    final Inspector inspector;
    /** The machine's modeled latencies of system calls and faults. */
    final OpLatencies latencies;
    /** The fork strategy's latency kind; null for a plugged-in strategy that is none of the built-in ones (not recorded). */
    final OpLatencies.Op forkOp;
    private volatile boolean running;

    private Kernel(Machine machine, ShootdownFactory shootdownFactory, ForkStrategy.Factory forkFactory) {
        this.machine = machine;
        Cpu[] cpus = machine.cpus().toArray(new Cpu[0]);
        this.perCpu = new PerCpu[cpus.length];
        for (int i = 0; i < cpus.length; i++) {
            perCpu[i] = new PerCpu(cpus[i], new Task(0, null, true));
        }
        this.threads = new TaskThreads(machine.config().simThreads(), machine.config().simParallelism());
        this.latencies = machine.opLatencies();
        this.shootdownStats = new ShootdownStats(cpus.length, latencies);
        this.shootdown = shootdownFactory.create(cpus, shootdownStats);
        this.scheduler = new Scheduler(perCpu, shootdown, threads.virtual());
        this.frames = new KernelFrames(machine, shootdown, machine.config().zeroPage());
        TlbFlusher flusher = new TlbFlusher(shootdown, cpus.length, machine.config().checking());
        ForkStrategy fork = forkFactory.create(frames, flusher);
        this.forkOp = OpLatencies.Op.fork(fork.name());
        this.mappings = new Mappings(frames, flusher, fork);
        this.files = new PipeFiles(scheduler);
        this.inspector = new Inspector(machine.pageTable(), machine.frames());
        this.processes = new Processes(this, machine, perCpu, scheduler, frames, mappings, files, panics);
        this.control = new ProcessControl(processes, scheduler, cpus.length);
        machine.setFaultHandler(new FaultHandler(processes, frames, flusher, fork, latencies));
        for (Cpu cpu : cpus) {
            // a walk may skip the levels above a leaf table it reached before through writable links, while no table
            // was unlinked and no link write-protected: every change of such a link is counted (see Mmu#setWalkMemo)
            cpu.mmu().setWalkMemo(true);
        }
        machine.slots().activate();
        for (PerCpu pc : perCpu) {
            Thread t = threads.create("mmsim-idle-" + pc.cpu.id(), () -> scheduler.idleLoop(pc.idle));
            pc.idle.thread = t;
            idleThreads.add(t);
        }
        for (PerCpu pc : perCpu) {
            scheduler.holdIdle(pc);
            pc.idle.thread.start();
            pc.idle.grant(pc);
        }
    }

    /** Whether simulated tasks run on virtual threads ({@code sim.threads}). */
    public boolean virtualThreads() {
        return threads.virtual();
    }

    /**
     * Host threads that carry this JVM's virtual threads (meaningful when {@link #virtualThreads()}): the JDK's
     * {@code jdk.virtualThreadScheduler.parallelism} when set, else the host's cores.
     */
    public static int virtualThreadCarriers() {
        return TaskThreads.carriers();
    }

    /**
     * For a process that runs machines of one configuration (the command line), called before the first machine
     * boots: the virtual-thread carriers then number that machine's host slots ({@code sim.parallelism}; 1 in the
     * deterministic mode) instead of the host's cores, unless {@code jdk.virtualThreadScheduler.parallelism} is set.
     * Idle carriers cost a host wake-up per hand-off: deterministic chaos ran 1.7 (256 CPUs) to 3.7 (4 CPUs) times faster on one
     * (TaskThreads says more). Not for a JVM whose machines differ in slots, such as a test suite.
     */
    public static void carriersFollowSlots() {
        TaskThreads.carriersFollowSlots();
    }

    /** Boots a kernel on {@code machine} with its configured strategies: one idle thread per CPU, the tick, the fault handler. */
    public static Kernel boot(Machine machine) {
        return boot(machine, configuredShootdown(machine));
    }

    /** Boots with a shootdown strategy of the caller's (the configured one is ignored). */
    public static Kernel boot(Machine machine, ShootdownFactory shootdown) {
        String fork = machine.config().forkStrategy().toString();
        return new Kernel(machine, shootdown, (frames, flusher) -> ForkStrategies.create(fork, frames, flusher));
    }

    /** Boots with a shootdown strategy and a fork strategy of the caller's (the configured ones are ignored). */
    public static Kernel boot(Machine machine, ShootdownFactory shootdown, ForkStrategy.Factory fork) {
        return new Kernel(machine, shootdown, fork);
    }

    /** The machine's configured shootdown strategy, as a factory. */
    public static ShootdownFactory configuredShootdown(Machine machine) {
        String name = machine.config().shootdownStrategy().toString();
        return (cpus, stats) -> Shootdowns.create(name, cpus, stats);
    }

    public Machine machine() {
        return machine;
    }

    int cpuCount() {
        return perCpu.length;
    }

    /** The name of the shootdown strategy in use. */
    public String shootdownStrategy() {
        return shootdown.name();
    }

    /** The name of the fork strategy in use. */
    public String forkStrategy() {
        return mappings.forkStrategy().name();
    }

    /** Modeled and host latencies of the shootdowns initiated so far; read when quiescent. */
    public ShootdownStats shootdownStats() {
        return shootdownStats;
    }

    /**
     * Starts an init process running {@code init} with an empty address space and no open files, and
     * waits until every process (init and all its descendants) has exited and every deferred flush was
     * applied. Returns init's exit status.
     *
     * @throws TimeoutException when processes are still alive after {@code timeout}; the message holds
     *                          a dump of every live simulated thread
     * @throws IllegalStateException when the kernel met internal errors ({@link #panics()}), or when the run is deadlocked:
     *                               processes alive but every CPU waiting with nothing ready for 2 host seconds
     */
    public ExitStatus run(ProcessBody init, Duration timeout) throws TimeoutException, InterruptedException {
        if (running) {
            throw new IllegalStateException("the kernel is already running an init process");
        }
        running = true;
        try {
            // every CPU's idle loop has started and waits: from here, with one slot, the run is deterministic
            machine.slots().awaitQuiescent(perCpu.length);
            SimProcess proc = processes.startInit(init);
            long deadline = System.nanoTime() + timeout.toNanos();
            processes.awaitAllExited(deadline, timeout);
            // deferred flushes (LATR) still hold frames: let the CPUs apply them
            while (shootdown.hasDeferredWork()) {
                if (System.nanoTime() > deadline) {
                    throw new TimeoutException("deferred TLB flushes still outstanding after " + timeout);
                }
                scheduler.kickAllIdle();
                Thread.sleep(1);
            }
            if (!panics.isEmpty()) {
                throw new IllegalStateException("kernel panic: " + panics.size() + " internal errors, first: " + panics.peek());
            }
            return proc.status();
        } finally {
            running = false;
        }
    }

    /**
     * Kills any process still alive, then stops the idle threads and the tick, and gives the zero frame back
     * (a panic if it was ever written). The machine stays open (its owner closes it).
     */
    @Override
    public void close() throws InterruptedException {
        processes.killAll("the kernel shut down");
        scheduler.shutdown();
        for (Thread t : idleThreads) {
            t.join(10_000);
        }
        String zeroFrame = frames.releaseZeroFrame();
        if (zeroFrame != null) {
            panics.add(zeroFrame);
        }
    }

    /**
     * What the page tables say about {@code va} in live process {@code pid} (see {@link PageInfo} for the
     * consistency it has while CPUs run). Callable from any thread.
     *
     * @throws IllegalArgumentException when no live process has that pid
     * @throws SyscallException EINVAL when {@code va} is not a user address
     */
    public PageInfo inspect(int pid, long va) {
        SimProcess p = processes.live(pid);
        if (p == null) {
            throw new IllegalArgumentException("no live process " + pid);
        }
        return inspector.inspect(p.mm.space, va);
    }

    /** Internal errors the kernel met (none in a correct simulator). */
    public List<String> panics() {
        return List.copyOf(panics);
    }
}
