package mmsim.kernel;

import java.lang.reflect.Method;

/**
 * What backs each simulated task (a thread of a process, or a CPU's idle loop): a virtual thread when the
 * JVM has them (JDK 21+; chosen by {@code auto} from JDK 24, where a virtual thread blocking inside a
 * {@code synchronized} block no longer pins its carrier, JEP 491), else a platform thread. A virtual
 * thread starts in about a microsecond and a park/unpark hand-off between two costs 0.2–0.4 µs on the
 * project's hosts, against ~100 µs and ~25 µs for platform threads (../shared/TOOLCHAIN.md): what makes a
 * simulated fork and context switch cheap in host time, and thousands of blocked processes free.
 *
 * <p>The project compiles for Java 17, so virtual threads are reached through reflection, once.
 * Thread-safe.
 *
 * <p>Carriers: the JVM runs every virtual thread on one pool of carrier threads, as many as the host's cores
 * unless {@value #CARRIERS_PROPERTY} says otherwise, read once, when the first virtual thread is created. A
 * machine with fewer host slots than carriers leaves carriers idle, and each hand-off then wakes one (a futex
 * call and a host core's wake-up) that finds nothing to run or steals the next CPU's thread to another core:
 * deterministic chaos on 4 CPUs ran at 174 k accesses per host second on 2 carriers and 480 k on 1 (2 host
 * cores, JDK 25). A process that runs one machine configuration (the command line) calls
 * {@link #carriersFollowSlots()} before its first machine boots, and the carriers then number that machine's
 * slots ({@code sim.parallelism}, 1 in the deterministic mode).
 */
final class TaskThreads {
    /** The JDK's system property for the number of virtual-thread carriers (default: the host's cores). */
    static final String CARRIERS_PROPERTY = "jdk.virtualThreadScheduler.parallelism";
    /** Set once by {@link #carriersFollowSlots()}; read by each constructor (volatile: any thread may boot a machine). */
    private static volatile boolean carriersFollowSlots;

    private final Object virtualBuilder;
    private final Method unstarted;
    private final Method name;

    /**
     * @param mode  {@code auto}, {@code virtual} or {@code platform} (the {@code sim.threads} setting)
     * @param slots the machine's host slots ({@code sim.parallelism}, resolved): the carriers' number when
     *              {@link #carriersFollowSlots()} was called and this is the process's first virtual-thread machine
     * @throws IllegalStateException for {@code virtual} on a JVM without virtual threads
     */
    TaskThreads(String mode, int slots) {
        Object builder = null;
        Method unstartedMethod = null;
        Method nameMethod = null;
        int feature = Runtime.version().feature();
        boolean wanted = mode.equals("virtual") || (mode.equals("auto") && feature >= 24);
        if (wanted && feature >= 21) {
            if (carriersFollowSlots) {
                setCarriersIfUnset(slots);
            }
            try {
                builder = Thread.class.getMethod("ofVirtual").invoke(null);
                Class<?> builderType = Class.forName("java.lang.Thread$Builder");
                unstartedMethod = builderType.getMethod("unstarted", Runnable.class);
                nameMethod = builderType.getMethod("name", String.class);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("this JVM (" + Runtime.version() + ") reports virtual threads but they cannot be created", e);
            }
        } else if (mode.equals("virtual")) {
            throw new IllegalStateException("sim.threads=virtual needs JDK 21 or newer; this JVM is " + Runtime.version());
        }
        this.virtualBuilder = builder;
        this.unstarted = unstartedMethod;
        this.name = nameMethod;
    }

    /**
     * Makes the virtual-thread carriers number the host slots of the first machine that boots on virtual threads
     * from now on, unless {@value #CARRIERS_PROPERTY} is already set (by the user, or by an earlier machine). For a
     * process that runs machines of one configuration, as the command line does (sweeps run each run in a JVM of
     * its own); not for a JVM that mixes slot counts, such as a test suite, where the first machine would decide for
     * every later one. Call it before any virtual thread exists: the JDK reads the property once.
     */
    static void carriersFollowSlots() {
        carriersFollowSlots = true;
    }

    private static synchronized void setCarriersIfUnset(int slots) {
        if (System.getProperty(CARRIERS_PROPERTY) == null) {
            System.setProperty(CARRIERS_PROPERTY, Integer.toString(slots));
        }
    }

    /**
     * The virtual-thread carriers this JVM runs (or will run) tasks on: {@value #CARRIERS_PROPERTY} when set, else
     * the host's cores, the JDK's default. For the run manifest: host parallelism behind the host-time figures.
     */
    static int carriers() {
        Integer set = Integer.getInteger(CARRIERS_PROPERTY);
        return set != null && set > 0 ? set : Runtime.getRuntime().availableProcessors();
    }

    /** Whether tasks run on virtual threads. */
    boolean virtual() {
        return virtualBuilder != null;
    }

    /** A new, not yet started thread named {@code threadName} that runs {@code body}; daemon if a platform thread. */
    Thread create(String threadName, Runnable body) {
        if (virtualBuilder == null) {
            Thread t = new Thread(body, threadName);
            t.setDaemon(true);
            return t;
        }
        try {
            synchronized (this) {
                // a builder is not thread-safe; naming and creating is a few hundred nanoseconds
                name.invoke(virtualBuilder, threadName);
                return (Thread) unstarted.invoke(virtualBuilder, body);
            }
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot create a virtual thread", e);
        }
    }
}
