package mmsim.workloads;

import java.util.SplittableRandom;

/**
 * Draws keys {@code 0 .. n-1} with probability proportional to {@code 1 / (key + 1)^exponent}: Zipf's law,
 * key 0 the most popular ({@code exponent} 0 is uniform; YCSB's default is 0.99).
 *
 * <p>Hörmann and Derflinger's rejection-inversion ("Rejection-inversion to generate variates from monotone
 * discrete distributions", ACM TOMACS 6(3), 1996), as in Apache Commons RNG's
 * {@code RejectionInversionZipfSampler}: constant time and memory per draw for any {@code n}, with an
 * expected number of tries close to one. It inverts the integral {@code H} of the density
 * {@code h(x) = x^-exponent} (ranks from 1), and accepts a rounded point when it falls under the histogram of
 * the true probabilities. Immutable; the caller's random stream makes the draws reproducible.
 *
 * <p>The logarithms and exponentials are {@link StrictMath}'s (fdlibm's results, bit for bit, on every JVM and
 * platform), not {@link Math}'s, which may differ by an ulp where the JVM uses a CPU-specific intrinsic (HotSpot does
 * for {@code log} and {@code exp} on x86-64): a draw that rounds differently would change a deterministic run's
 * records, and its results, from one machine to the next.
 */
final class Zipf {
    private final long n;
    private final double exponent;
    private final double hIntegralX1;
    private final double hIntegralN;
    /** Ranks within this distance below the inverted point are accepted without the second test. */
    private final double squeeze;

    /**
     * @param n        how many keys, at least 1
     * @param exponent the skew, at least 0
     */
    Zipf(long n, double exponent) {
        if (n < 1) {
            throw new IllegalArgumentException("a Zipf distribution needs at least one key: " + n);
        }
        if (!(exponent >= 0) || Double.isInfinite(exponent)) {
            throw new IllegalArgumentException("a Zipf exponent is finite and at least 0: " + exponent);
        }
        this.n = n;
        this.exponent = exponent;
        this.hIntegralX1 = hIntegral(1.5) - 1;
        this.hIntegralN = hIntegral(n + 0.5);
        this.squeeze = 2 - hIntegralInverse(hIntegral(2.5) - h(2));
    }

    /** The next key, from {@code 0} (most popular) to {@code n - 1}. */
    long next(SplittableRandom random) {
        while (true) {
            double u = hIntegralN + random.nextDouble() * (hIntegralX1 - hIntegralN);
            double x = hIntegralInverse(u);
            long rank = Math.max(1, Math.min(n, (long) (x + 0.5)));
            if (rank - x <= squeeze || u >= hIntegral(rank + 0.5) - h(rank)) {
                return rank - 1;
            }
        }
    }

    /** {@code H(x) = (x^(1-e) - 1) / (1-e)}, or {@code log x} at {@code e = 1}, written to stay exact near 1. */
    private double hIntegral(double x) {
        double logX = StrictMath.log(x);
        return expm1OverX((1 - exponent) * logX) * logX;
    }

    private double h(double x) {
        return StrictMath.exp(-exponent * StrictMath.log(x));
    }

    private double hIntegralInverse(double x) {
        double t = Math.max(-1, x * (1 - exponent));
        return StrictMath.exp(log1pOverX(t) * x);
    }

    /** {@code log(1 + x) / x}, by its Taylor series where the quotient would lose precision. */
    private static double log1pOverX(double x) {
        if (Math.abs(x) > 1e-8) {
            return StrictMath.log1p(x) / x;
        }
        return 1 - x * (0.5 - x * (1.0 / 3 - 0.25 * x));
    }

    /** {@code (e^x - 1) / x}, by its Taylor series where the quotient would lose precision. */
    private static double expm1OverX(double x) {
        if (Math.abs(x) > 1e-8) {
            return StrictMath.expm1(x) / x;
        }
        return 1 + x * 0.5 * (1 + x / 3 * (1 + 0.25 * x));
    }
}
