package mmsim.mem;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The global free-frame pool: a lock-free Treiber stack whose elements are chains of frames, so that a
 * CPU moves a whole batch with one CAS.
 *
 * <p>Layout: a chain is linked through {@code nextInChain[frame]}; its head frame records the chain's
 * length in {@code chainLength[head]} and the next chain on the stack in {@code nextChain[head]}. The
 * stack's head word packs a 32-bit version tag with (head frame + 1), so a pop that read a head which
 * was popped and pushed again meanwhile fails its CAS instead of corrupting the stack (ABA). The three
 * per-frame arrays are {@link ChunkedFrameInts}: a chunk of them exists only once a frame in it was pushed,
 * so only frames that were handed out and freed cost link space; a frame never used is not on the stack at
 * all (the {@link FramePool} hands those out from its frontier).
 *
 * <p>Ordering: a pusher writes the chain's links with plain stores, then publishes it with the CAS on
 * {@code head} (volatile: release); a popper's volatile read of {@code head} (acquire) makes those links
 * visible. A popper may read {@code nextChain} of a head that another thread is re-linking; the tag
 * check rejects that CAS, so the racy read is harmless. A chunk of the link arrays is published by the CAS
 * that created it, before any link in it is written (see {@link ChunkedFrameInts}).
 */
final class GlobalFrameStack {
    static final int NONE = -1;
    private static final long SLOT_MASK = 0xFFFF_FFFFL;

    private final ChunkedFrameInts nextInChain;
    /** Pops that split a chain and have not yet pushed its remainder back (see {@link #popChainOrWait}). */
    private final AtomicInteger splitting = new AtomicInteger();
    /** Splits completed: lets a pop that found the stack empty tell whether a split finished meanwhile. */
    private final AtomicLong splitsCompleted = new AtomicLong();
    private final ChunkedFrameInts chainLength;
    private final ChunkedFrameInts nextChain;
    private final AtomicLong head = new AtomicLong(0);
    /** Frames in the chains on the stack: added after each push, subtracted after each pop. */
    private final AtomicLong frames = new AtomicLong();

    GlobalFrameStack(int frames) {
        this.nextInChain = new ChunkedFrameInts(frames);
        this.chainLength = new ChunkedFrameInts(frames);
        this.nextChain = new ChunkedFrameInts(frames);
    }

    /** The frame after {@code frame} in its chain, or {@link #NONE}; a plain read, for the chain's owner. */
    int nextInChain(int frame) {
        return nextInChain.getPlain(frame);
    }

    /** Links {@code next} (or {@link #NONE}) after {@code frame} in a chain this thread is building; a plain store. */
    void linkInChain(int frame, int next) {
        nextInChain.setPlain(frame, next);
    }

    /** Pushes a chain already linked through {@link #linkInChain}, starting at {@code first}. */
    void pushChain(int first, int length) {
        chainLength.setPlain(first, length);
        while (true) {
            long h = head.get();
            nextChain.setPlain(first, (int) (h & SLOT_MASK) - 1);
            long update = nextTag(h) | (first + 1L);
            if (head.compareAndSet(h, update)) {
                frames.addAndGet(length);
                return;
            }
            Thread.onSpinWait();
        }
    }

    /** Pops a whole chain; returns its head frame (its length is {@link #lengthOf}), or {@link #NONE}. */
    int popChain() {
        while (true) {
            long h = head.get();
            int first = (int) (h & SLOT_MASK) - 1;
            if (first == NONE) {
                return NONE;
            }
            int below = nextChain.getPlain(first);
            if (head.compareAndSet(h, nextTag(h) | (below + 1L))) {
                frames.addAndGet(-lengthOf(first));
                return first;
            }
            Thread.onSpinWait();
        }
    }

    /**
     * {@link #popChain()}, except that an empty stack is reported only when no other thread is between
     * popping a chain to split it and pushing its remainder back: that remainder is free, just not on the
     * stack for a moment. Waiting for a split in progress is the one non-lock-free step of the pool; a
     * split is a few instructions.
     *
     * @param ownSplits 1 when the caller itself has begun a split (it does not wait for itself), else 0
     */
    int popChainOrWait(int ownSplits) {
        while (true) {
            long completedBefore = splitsCompleted.get();
            int chain = popChain();
            if (chain != NONE) {
                return chain;
            }
            if (splitting.get() == ownSplits && splitsCompleted.get() == completedBefore) {
                return NONE;
            }
            Thread.onSpinWait();
        }
    }

    /** Marks the start of a split: call before the {@link #popChain()} whose chain will be split. */
    void beginSplit() {
        splitting.incrementAndGet();
    }

    /** Marks the end of a split, after the remainder was pushed back. */
    void endSplit() {
        splitsCompleted.incrementAndGet();
        splitting.decrementAndGet();
    }

    /** The length of a chain this thread popped. */
    int lengthOf(int chainHead) {
        return chainLength.getPlain(chainHead);
    }

    /** Free frames on the stack; exact only at a quiescent point. */
    long countQuiescent() {
        long n = 0;
        for (int c = (int) (head.get() & SLOT_MASK) - 1; c != NONE; c = nextChain.getPlain(c)) {
            n += lengthOf(c);
        }
        return n;
    }

    /**
     * Free frames on the stack by its counter, readable at any time without walking the chains: exact when
     * quiescent; while other threads push and pop it may lag each of them by the one chain it is moving.
     */
    long count() {
        return frames.get();
    }

    private static long nextTag(long h) {
        return ((h >>> 32) + 1) << 32;
    }
}
