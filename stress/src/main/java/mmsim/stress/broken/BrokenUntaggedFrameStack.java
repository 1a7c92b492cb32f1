package mmsim.stress.broken;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * BROKEN copy of the algorithm of {@code mmsim.mem.GlobalFrameStack} with chains of one frame and the
 * head's version tag taken out: the head is only (top frame + 1). A pop that read the top and the frame
 * below it, then slept while others popped both and pushed the top back, installs a frame that is no
 * longer free (ABA).
 */
final class BrokenUntaggedFrameStack {
    static final int NONE = -1;

    private final int[] next;
    private final AtomicInteger head = new AtomicInteger(0);

    /** Frames 0 to frames-1, 0 on top. */
    BrokenUntaggedFrameStack(int frames) {
        next = new int[frames];
        for (int f = frames - 1; f >= 0; f--) {
            push(f);
        }
    }

    void push(int frame) {
        while (true) {
            int h = head.get();
            next[frame] = h - 1;
            if (head.compareAndSet(h, frame + 1)) {
                return;
            }
        }
    }

    int pop() {
        while (true) {
            int h = head.get();
            int top = h - 1;
            if (top == NONE) {
                return NONE;
            }
            int below = next[top];
            if (head.compareAndSet(h, below + 1)) { // BROKEN: no tag, so "same top" passes for "unchanged"
                return top;
            }
        }
    }
}
