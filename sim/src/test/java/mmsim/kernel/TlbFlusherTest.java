package mmsim.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import mmsim.Machine;
import mmsim.TestMachines;
import mmsim.cpu.Cpu;
import mmsim.paging.AddressSpace;
import mmsim.shootdown.FlushReason;
import mmsim.shootdown.FlushRequest;
import mmsim.shootdown.ReleaseAction;
import mmsim.shootdown.ShootdownStrategy;

/**
 * The flush bracket's reuse of one {@link TlbFlusher.Flush} per CPU: reused only when its release has run by the time
 * it closes, never while a strategy holds the release for later (a reused flush would then run the later flush's
 * release in its place: the wrong frame freed, the right one leaked).
 */
class TlbFlusherTest {
    private static final long PAGE = 4096;

    /** A strategy that runs each release at once, or keeps it for later ({@link #deferring}); counts its flushes. */
    private static final class RecordingStrategy implements ShootdownStrategy {
        final List<ReleaseAction> deferred = new ArrayList<>();
        boolean deferring;
        RuntimeException failure;
        int flushes;

        @Override
        public String name() {
            return "recording";
        }

        @Override
        public void flush(Cpu initiator, FlushRequest request, ReleaseAction release) {
            flushes++;
            if (failure != null) {
                throw failure;
            }
            if (release == null) {
                return;
            }
            if (deferring) {
                deferred.add(release);
            } else {
                release.release(initiator);
            }
        }
    }

    private Machine machine;
    private Cpu cpu0;
    private Cpu cpu1;
    private final AddressSpace space = new AddressSpace(1, 0, 2);
    private final RecordingStrategy strategy = new RecordingStrategy();
    /** Frames released, in order. */
    private final List<Integer> released = new ArrayList<>();
    private final TlbFlusher.FrameRelease recordFrame = (on, frame) -> released.add(frame);

    @BeforeEach
    void boot() {
        machine = TestMachines.boot(2, "8MiB");
        cpu0 = machine.cpu(0);
        cpu1 = machine.cpu(1);
    }

    @AfterEach
    void close() {
        machine.close();
    }

    /** Opens a COW-style flush of one page on {@code cpu} that frees {@code frame}, closes it and returns it. */
    private TlbFlusher.Flush replacePage(TlbFlusher flusher, Cpu cpu, long va, int frame) {
        TlbFlusher.Flush used;
        try (TlbFlusher.Flush flush = flusher.open(cpu, space, FlushReason.COW_REPLACE, va, va + PAGE)) {
            flush.addRange(va, 1).onRelease(recordFrame, frame);
            used = flush;
        }
        return used;
    }

    @Test
    void aCompletedFlushIsReusedByItsCpuOnly() {
        TlbFlusher flusher = new TlbFlusher(strategy, 2, false);
        TlbFlusher.Flush first = replacePage(flusher, cpu0, 0x10000, 7);
        TlbFlusher.Flush second = replacePage(flusher, cpu0, 0x11000, 8);
        TlbFlusher.Flush other = replacePage(flusher, cpu1, 0x12000, 9);
        assertSame(first, second, "a CPU's flushes whose releases ran at once share one object");
        assertNotSame(first, other, "each CPU has its own");
        assertEquals(List.of(7, 8, 9), released);
        assertEquals(3, strategy.flushes);
    }

    @Test
    void aDeferredReleaseKeepsItsFlushAndRunsItsOwnAction() {
        TlbFlusher flusher = new TlbFlusher(strategy, 2, false);
        strategy.deferring = true;
        TlbFlusher.Flush first = replacePage(flusher, cpu0, 0x10000, 7);
        TlbFlusher.Flush second = replacePage(flusher, cpu0, 0x11000, 8);
        assertNotSame(first, second, "a flush whose release a strategy still holds must not be reused");
        assertEquals(List.of(), released, "nothing released before the strategy runs the releases");
        for (ReleaseAction action : strategy.deferred) {
            action.release(cpu1);
        }
        assertEquals(List.of(7, 8), released, "each deferred release frees its own frame, once");
        // after deferral the CPU starts a new reusable flush, which completes and is reused again
        strategy.deferring = false;
        TlbFlusher.Flush third = replacePage(flusher, cpu0, 0x12000, 10);
        TlbFlusher.Flush fourth = replacePage(flusher, cpu0, 0x13000, 11);
        assertNotSame(second, third);
        assertSame(third, fourth);
        assertEquals(List.of(7, 8, 10, 11), released);
    }

    @Test
    void aFlushOpenedInsideAnotherIsItsOwn() {
        TlbFlusher flusher = new TlbFlusher(strategy, 2, false);
        TlbFlusher.Flush outer;
        TlbFlusher.Flush inner;
        try (TlbFlusher.Flush a = flusher.open(cpu0, space, FlushReason.FORK, 0, 0x100000)) {
            outer = a;
            try (TlbFlusher.Flush b = flusher.open(cpu0, space, FlushReason.TABLE_COPY, 0x10000, 0x11000)) {
                inner = b;
                b.addRange(0x10000, 1).onRelease(recordFrame, 3);
            }
            a.addAll().onRelease(recordFrame, 4);
        }
        assertNotSame(outer, inner);
        assertEquals(List.of(3, 4), released);
        assertSame(outer, replacePage(flusher, cpu0, 0x10000, 5), "the CPU's own flush is reused; the inner one was not");
    }

    @Test
    void anEmptyFlushRunsItsReleaseWithoutTheStrategy() {
        TlbFlusher flusher = new TlbFlusher(strategy, 2, false);
        try (TlbFlusher.Flush flush = flusher.open(cpu0, space, FlushReason.COW_REPLACE, 0x10000, 0x11000)) {
            flush.onRelease(recordFrame, 6);
        }
        assertEquals(0, strategy.flushes);
        assertEquals(List.of(6), released);
    }

    @Test
    void aFlushHasOneReleaseAction() {
        TlbFlusher flusher = new TlbFlusher(strategy, 2, false);
        try (TlbFlusher.Flush flush = flusher.open(cpu0, space, FlushReason.MUNMAP, 0x10000, 0x11000)) {
            flush.addRange(0x10000, 1).onRelease(recordFrame, 1);
            assertThrows(IllegalStateException.class, () -> flush.onRelease(on -> released.add(2)));
            assertThrows(IllegalStateException.class, () -> flush.onRelease(recordFrame, 3));
        }
        assertEquals(List.of(1), released);
        // the next use of the same object starts with no release action
        try (TlbFlusher.Flush flush = flusher.open(cpu0, space, FlushReason.MUNMAP, 0x10000, 0x11000)) {
            flush.addRange(0x10000, 1).onRelease(on -> released.add(2));
        }
        assertEquals(List.of(1, 2), released);
    }

    @Test
    void aStrategyThatThrowsLosesTheFlushNotTheCpu() {
        TlbFlusher flusher = new TlbFlusher(strategy, 2, false);
        TlbFlusher.Flush before = replacePage(flusher, cpu0, 0x10000, 1);
        strategy.failure = new IllegalStateException("planted");
        assertThrows(IllegalStateException.class, () -> replacePage(flusher, cpu0, 0x11000, 2));
        strategy.failure = null;
        TlbFlusher.Flush after = replacePage(flusher, cpu0, 0x12000, 3);
        assertNotSame(before, after, "a flush the strategy threw out of may still be held there: not reused");
        assertEquals(List.of(1, 3), released);
    }

    @Test
    void aDeferredDowngradeStaysInFlightUntilItsRelease() {
        TlbFlusher flusher = new TlbFlusher(strategy, 2, true);
        strategy.deferring = true;
        AddressSpace.Downgrade downgrade;
        try (TlbFlusher.Flush flush = flusher.open(cpu0, space, FlushReason.MUNMAP, 0x10000, 0x11000)) {
            downgrade = space.downgradeCovering(0x10000);
            assertNotNull(downgrade, "open registers the downgrade before any entry changes");
            flush.addRange(0x10000, 1).onRelease(recordFrame, 5);
        }
        assertTrue(space.inFlight(downgrade));
        assertTrue(downgrade.deferredPastReturn(), "a downgrade still in flight at close was deferred past the return");
        strategy.deferred.get(0).release(cpu1);
        assertFalse(space.inFlight(downgrade));
        assertNull(space.downgradeCovering(0x10000));
        assertEquals(List.of(5), released);
    }
}
