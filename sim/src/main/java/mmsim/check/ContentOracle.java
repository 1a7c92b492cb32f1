package mmsim.check;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;

/**
 * Invariant 10: every read returns what the reference model says. Workloads report each checked read
 * here; a mismatch is counted and its first occurrences kept as readable sentences. Thread-safe.
 */
public final class ContentOracle {
    private static final int KEPT = 16;

    /**
     * Striped: every checked read of every CPU counts here, and one shared atomic counter moved its cache line between
     * the host cores on each of them.
     */
    private final LongAdder checks = new LongAdder();
    private final LongAdder mismatches = new LongAdder();
    private final List<String> first = new ArrayList<>();

    /** Records a checked read; returns whether it matched. {@code where} says what was read, for the report. */
    public boolean check(long expected, long actual, String where) {
        if (check(expected, actual)) {
            return true;
        }
        describeMismatch(expected, actual, where);
        return false;
    }

    /**
     * Records a checked read without its description, for a hot loop: builds nothing when it matches. On false the
     * caller reports {@link #describeMismatch} (else the run's report counts the mismatch but cannot say where).
     */
    public boolean check(long expected, long actual) {
        checks.increment();
        if (expected == actual) {
            return true;
        }
        mismatches.increment();
        return false;
    }

    /** Keeps the description of a mismatch that {@link #check(long, long)} counted (the first ones only). */
    public void describeMismatch(long expected, long actual, String where) {
        synchronized (first) {
            if (first.size() < KEPT) {
                first.add(where + ": expected " + expected + " but read " + actual);
            }
        }
    }

    /** Reads checked so far; exact once the machine is quiescent. */
    public long checks() {
        return checks.sum();
    }

    /** Checked reads that disagreed so far; exact once the machine is quiescent. */
    public long mismatches() {
        return mismatches.sum();
    }

    public List<String> firstMismatches() {
        synchronized (first) {
            return List.copyOf(first);
        }
    }
}
