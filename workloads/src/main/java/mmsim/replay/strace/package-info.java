/**
 * The strace replay: {@code strace -f} output (one file, or {@code -ff}'s per-pid files) replayed through the
 * simulated kernel, one simulated process per traced process and one simulated thread per traced thread.
 *
 * <p>Pieces: {@link mmsim.replay.strace.StraceParser} turns lines into {@link mmsim.replay.strace.Event}s;
 * {@link mmsim.replay.strace.TraceFiles} finds the files and orders them (line order, or timestamps across
 * {@code -ff} files); {@link mmsim.replay.strace.ReplayPlan} works out, before the machine boots, each task's
 * {@link mmsim.replay.strace.Action}s numbered in one trace order and the trace's own counts;
 * {@link mmsim.replay.strace.Replayer} runs them, passing the turn through one pipe per task.
 *
 * <p>What is replayed: fork, vfork and clone (a process; with CLONE_THREAD a thread), execve (a fresh image of
 * two segments of {@code replay.image} bytes, then the same pid's later events), exit and exit_group, the
 * {@code +++ killed by +++} end (the process sends itself the signal), wait4 and waitid (waitpid on the child),
 * mmap, munmap, mprotect, madvise(MADV_DONTNEED), brk and mremap at the trace's own addresses (MAP_FIXED; every
 * Linux x86-64 user address is below mmsim's user-space limit), pipe and pipe2, dup, dup2, dup3, fcntl(F_DUPFD),
 * close and close-on-exec, and read, readv, write and writev on pipes.
 *
 * <p>Approximations: mmsim has no files, so file mappings are anonymous, MAP_SHARED mappings are private, and
 * reads and writes on descriptors that are not pipes are skipped (counted); vfork and clone(CLONE_VM) without
 * CLONE_THREAD are forks (a copy-on-write copy, not a shared space); the program's own image lies where exec
 * puts it, not at the trace's addresses (so an mprotect of its RELRO names pages mmsim never mapped, and changes
 * nothing: mmsim's mprotect ignores unmapped parts of its range); an
 * mremap that moved is a new mapping at the trace's address plus an unmapping (the pages are not carried over);
 * kill, tgkill and signal handlers are not replayed (a process the trace shows killed kills itself there, with
 * SIGKILL for a signal mmsim does not model); a pipe read moves at most the bytes the trace's writes put in
 * before it returned. Memory accesses, which strace does not record, follow the touch policy:
 * {@code replay.touch}, {@code replay.touch_max_pages}, {@code replay.touch_after_fork}, from the seed.
 */
package mmsim.replay.strace;
