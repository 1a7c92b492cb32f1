package mmsim.workloads;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ZipfTest {
    private static final long SEED = 20261130L;

    private static long[] histogram(long n, double exponent, int draws, long seed) {
        Zipf zipf = new Zipf(n, exponent);
        SplittableRandom random = new SplittableRandom(seed);
        long[] counts = new long[(int) n];
        for (int i = 0; i < draws; i++) {
            counts[(int) zipf.next(random)]++;
        }
        return counts;
    }

    @ParameterizedTest
    @ValueSource(doubles = {0, 0.5, 0.99, 1, 1.5, 3})
    void everyKeyIsDrawnAsOftenAsZipfsLawSays(double exponent) {
        int n = 10;
        int draws = 200_000;
        long[] counts = histogram(n, exponent, draws, SEED);
        double norm = 0;
        for (int k = 1; k <= n; k++) {
            norm += Math.pow(k, -exponent);
        }
        for (int key = 0; key < n; key++) {
            double p = Math.pow(key + 1, -exponent) / norm;
            double mean = draws * p;
            double sd = Math.sqrt(draws * p * (1 - p));
            assertTrue(Math.abs(counts[key] - mean) <= 5 * sd + 1, "exponent " + exponent + ", key " + key + ": drawn "
                    + counts[key] + " times, expected " + Math.round(mean) + " ± " + Math.round(5 * sd) + " (seed " + SEED + ")");
        }
    }

    @Test
    void theHottestKeyIsDrawnFarMoreOftenThanAMiddleOneAtExponent099() {
        long[] counts = histogram(1000, 0.99, 200_000, SEED);
        // Zipf's law gives key 0 501^0.99 ≈ 470 times key 500's probability.
        assertTrue(counts[500] > 0 && counts[0] > 200 * counts[500],
                "key 0 drawn " + counts[0] + " times, key 500 " + counts[500] + " times (seed " + SEED + ")");
    }

    @Test
    void exponentZeroDrawsEveryKeyAboutEquallyOften() {
        int n = 1000;
        int draws = 200_000;
        long[] counts = histogram(n, 0, draws, SEED);
        double mean = (double) draws / n;
        for (int key = 0; key < n; key++) {
            assertTrue(Math.abs(counts[key] - mean) <= 5 * Math.sqrt(mean),
                    "key " + key + " drawn " + counts[key] + " times, expected about " + mean + " (seed " + SEED + ")");
        }
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 1L << 30})
    void drawsStayAmongTheKeys(long n) {
        Zipf zipf = new Zipf(n, 0.99);
        SplittableRandom random = new SplittableRandom(SEED);
        for (int i = 0; i < 100_000; i++) {
            long key = zipf.next(random);
            assertTrue(key >= 0 && key < n, "key " + key + " of " + n + " (seed " + SEED + ")");
        }
    }

    @Test
    void theSameSeedDrawsTheSameKeys() {
        assertArrayEquals(sequence(SEED), sequence(SEED));
    }

    private static long[] sequence(long seed) {
        Zipf zipf = new Zipf(50, 0.99);
        SplittableRandom random = new SplittableRandom(seed);
        long[] keys = new long[10_000];
        for (int i = 0; i < keys.length; i++) {
            keys[i] = zipf.next(random);
        }
        return keys;
    }
}
