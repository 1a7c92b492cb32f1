package mmsim.paging;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

/** A cpumask iterates its set CPUs in ascending order, across word boundaries, and nothing else. */
class CpuMaskTest {
    @Test
    void nextSetBitVisitsExactlyTheSetCpusInOrder() {
        CpuMask mask = new CpuMask(200);
        int[] set = {0, 5, 63, 64, 130, 199};
        for (int cpu : set) {
            mask.set(cpu);
        }
        mask.set(7);
        mask.clear(7);
        List<Integer> seen = new ArrayList<>();
        for (int id = mask.nextSetBit(0); id >= 0; id = mask.nextSetBit(id + 1)) {
            seen.add(id);
        }
        assertEquals(List.of(0, 5, 63, 64, 130, 199), seen);
        assertEquals(64, mask.nextSetBit(6 + 58));
        assertEquals(-1, mask.nextSetBit(200), "past the last CPU");
        assertEquals(-1, new CpuMask(64).nextSetBit(0), "an empty mask");
        assertEquals(mask.count(), seen.size());
    }
}
