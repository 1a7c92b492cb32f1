package mmsim.check;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Invariant 10: every read returns what the reference model says. Workloads report each checked read
 * here; a mismatch is counted and its first occurrences kept as readable sentences. Thread-safe.
 */
public final class ContentOracle {
    private static final int KEPT = 16;

    private final AtomicLong checks = new AtomicLong();
    private final AtomicLong mismatches = new AtomicLong();
    private final List<String> first = new ArrayList<>();

    /** Records a checked read; returns whether it matched. */
    public boolean check(long expected, long actual, String where) {
        checks.incrementAndGet();
        if (expected == actual) {
            return true;
        }
        mismatches.incrementAndGet();
        synchronized (first) {
            if (first.size() < KEPT) {
                first.add(where + ": expected " + expected + " but read " + actual);
            }
        }
        return false;
    }

    public long checks() {
        return checks.get();
    }

    public long mismatches() {
        return mismatches.get();
    }

    public List<String> firstMismatches() {
        synchronized (first) {
            return List.copyOf(first);
        }
    }
}
