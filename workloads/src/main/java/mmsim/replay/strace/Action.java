package mmsim.replay.strace;

/**
 * What one task does at one step of the replay: the part of a trace event that mmsim models, with every
 * address, length and descriptor as the trace gave them (descriptors are the trace's numbers; the replayer maps
 * them to its own). Built by {@link ReplayPlan}, done by {@link Replayer}.
 */
sealed interface Action {
    /** The trace event it replays, for messages. */
    Event event();

    /** Whether the task gives up its turn before doing it: a call that may block or that does not return. */
    default boolean releasesFirst() {
        return false;
    }

    /** An action that may block or does not return: the task passes its turn on before it. */
    sealed interface Blocking extends Action {
        @Override
        default boolean releasesFirst() {
            return true;
        }
    }

    /** fork, vfork or clone: a new process, or with CLONE_THREAD a thread; {@code child} is its task's index. */
    record Fork(Event event, int child, boolean thread) implements Action {
    }

    /** A successful execve: the descriptors marked close-on-exec are closed, then a fresh image. */
    record Exec(Event event, int[] closeOnExec) implements Blocking {
    }

    /** The process ends with {@code status} (exit_group, a process's last exit, or its {@code +++ exited} line). */
    record Exit(Event event, int status) implements Blocking {
    }

    /** One thread ends (exit(2) while other threads of its process live on). */
    record ThreadEnd(Event event) implements Blocking {
    }

    /** The process dies of {@code signal} (its {@code +++ killed by +++} line), which it sends itself. */
    record Killed(Event event, int signal) implements Blocking {
    }

    /** wait4 or waitid reaped the child of task {@code child}. */
    record Wait(Event event, int child) implements Blocking {
    }

    /** Nothing: a step the trace shows but the replay cannot do (its note says why). */
    record Noop(Event event) implements Action {
    }

    /** A mapping at the trace's address (MAP_FIXED); {@code touch}: private and writable, so the touch policy applies. */
    record MapFixed(Event event, long address, long length, int protection, boolean touch) implements Action {
    }

    /** munmap, or the part a brk or mremap gave back. */
    record Unmap(Event event, long address, long length) implements Action {
    }

    /** mprotect. */
    record Protect(Event event, long address, long length, int protection) implements Action {
    }

    /** madvise(MADV_DONTNEED). */
    record DontNeed(Event event, long address, long length) implements Action {
    }

    /** mremap that kept its address. */
    record Remap(Event event, long address, long oldLength, long newLength) implements Action {
    }

    /** pipe or pipe2 returned these two descriptors. */
    record Pipe(Event event, int readFd, int writeFd) implements Action {
    }

    /** dup, dup2, dup3 or fcntl(F_DUPFD) of a pipe descriptor; {@code newFd} is what the trace returned. */
    record Dup(Event event, int fd, int newFd) implements Action {
    }

    /** close of a pipe descriptor (also the old descriptor dup2 replaces). */
    record Close(Event event, int fd) implements Action {
    }

    /** read or write on a pipe: {@code bytes} of what the trace moved (see {@link ReplayPlan} for the limit). */
    record Transfer(Event event, int fd, boolean write, int bytes) implements Blocking {
    }
}
