package mmsim.workload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

class ThrottledProgressTest {
    @Test
    void passesOnAStepOfAThousandthOrTheEndAndNeverGoesBack() {
        List<Double> seen = new ArrayList<>();
        ThrottledProgress throttled = new ThrottledProgress(seen::add);
        int calls = 1_000_000;
        for (int i = 0; i <= calls; i++) {
            throttled.accept((double) i / calls);
            throttled.accept((double) i / calls / 2);   // another walk, behind
        }
        throttled.accept(1.0);
        throttled.accept(1.5);   // clamped to the end, already passed on
        assertTrue(seen.size() >= 1000 && seen.size() <= 1002, "fractions passed on: " + seen.size());
        assertEquals(0.0, seen.get(0));
        assertEquals(1.0, seen.get(seen.size() - 1));
        for (int i = 1; i < seen.size(); i++) {
            assertTrue(seen.get(i) >= seen.get(i - 1) + ThrottledProgress.STEP || seen.get(i) == 1.0,
                    "step " + i + ": " + seen.get(i - 1) + " then " + seen.get(i));
        }
    }

    @Test
    void theEndIsPassedOnEvenWhenItIsLessThanAStepAway() {
        List<Double> seen = new ArrayList<>();
        ThrottledProgress throttled = new ThrottledProgress(seen::add);
        throttled.accept(0.9995);
        throttled.accept(1.0);
        throttled.accept(-3);
        assertEquals(List.of(0.9995, 1.0), seen);
    }
}
