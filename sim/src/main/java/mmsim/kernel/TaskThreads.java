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
 */
final class TaskThreads {
    private final Object virtualBuilder;
    private final Method unstarted;
    private final Method name;

    /**
     * @param mode {@code auto}, {@code virtual} or {@code platform} (the {@code sim.threads} setting)
     * @throws IllegalStateException for {@code virtual} on a JVM without virtual threads
     */
    TaskThreads(String mode) {
        Object builder = null;
        Method unstartedMethod = null;
        Method nameMethod = null;
        int feature = Runtime.version().feature();
        boolean wanted = mode.equals("virtual") || (mode.equals("auto") && feature >= 24);
        if (wanted && feature >= 21) {
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
