package mmsim.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayDeque;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

/**
 * The pipe's ring against a reference queue: random writes, peeks and partial consumes, the ring growing from one
 * page while its contents wrap, up to the 64 KiB capacity and never past it.
 */
class PipeRingTest {
    @Test
    void theRingHoldsExactlyWhatAQueueWould() {
        for (long seed = 1; seed <= 20; seed++) {
            SplittableRandom random = new SplittableRandom(seed);
            Pipe pipe = new Pipe();
            ArrayDeque<Byte> model = new ArrayDeque<>();
            byte next = 0;
            for (int step = 0; step < 2_000; step++) {
                // sizes from a byte to more than the capacity, small ones most often (wrap-arounds at every ring size)
                int n = random.nextInt(4) == 0 ? random.nextInt(1, Pipe.CAPACITY + 2) : random.nextInt(1, 3_000);
                if (random.nextBoolean()) {
                    byte[] source = new byte[n + 3];
                    for (int i = 0; i < source.length; i++) {
                        source[i] = next++;
                    }
                    int put = pipe.put(source, 3, n);
                    assertEquals(Math.min(n, Pipe.CAPACITY - model.size()), put, "a write takes what fits, seed " + seed);
                    for (int i = 0; i < put; i++) {
                        model.addLast(source[3 + i]);
                    }
                } else {
                    byte[] target = new byte[n];
                    int got = pipe.peek(target, n);
                    assertEquals(Math.min(n, model.size()), got, "a peek returns what is there, seed " + seed);
                    byte[] expected = new byte[got];
                    int i = 0;
                    for (Byte b : model) {
                        if (i == got) {
                            break;
                        }
                        expected[i++] = b;
                    }
                    byte[] actual = java.util.Arrays.copyOf(target, got);
                    assertArrayEquals(expected, actual, "the bytes in order, seed " + seed + " step " + step);
                    int consumed = got == 0 ? 0 : random.nextInt(got + 1);   // a copy to user memory may stop short
                    pipe.skip(consumed);
                    for (int k = 0; k < consumed; k++) {
                        model.removeFirst();
                    }
                }
                assertEquals(model.size(), pipe.count);
            }
        }
    }

    @Test
    void aFullPipeTakesNothingMore() {
        Pipe pipe = new Pipe();
        byte[] big = new byte[Pipe.CAPACITY + 100];
        assertEquals(Pipe.CAPACITY, pipe.put(big, 0, big.length));
        assertEquals(0, pipe.put(big, 0, 1));
        pipe.skip(10);
        assertEquals(10, pipe.put(big, 0, 50));
        assertEquals(Pipe.CAPACITY, pipe.count);
    }
}
