package mmsim.calibrate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;

import mmsim.stats.CostModel;

class ModeledProbeTest {
    private final ModeledProbe probe = new ModeledProbe(Map.of());

    @Test
    void everyOperationMeasuresAPositiveDeterministicLatency() {
        Map<String, Double> first = new LinkedHashMap<>();
        for (String op : ModeledProbe.OPS) {
            double v = probe.measure(op, 64);
            assertTrue(v > 0, op + " measured " + v);
            first.put(op, v);
        }
        System.out.println("modeled (skylake-server): " + first);
        assertEquals(first.get("munmap"), probe.measure("munmap", 0), "the deterministic mode gives the same number again");
    }

    @Test
    void theSimplestOperationsAddUpToTheirCosts() {
        CostModel c = probe.config().costs();
        assertEquals(c.syscall, probe.measure("null_syscall", 0), "a null system call is its entry and exit");
        // a demand-zero write: an L1/L2 miss and walk, the fault, the allocation, zeroing and entry, then the retried walk
        // (the leaf tables' allocations are amortised over their 512 pages)
        double dz = probe.measure("fault_demand_zero", 0);
        long perFault = c.tlbL1Hit + 2 * 4 * c.walkLevel + c.faultEntryExit + c.pageAlloc + c.pageZero + c.pteUpdate;
        assertTrue(dz >= perFault && dz < perFault + 100, "demand-zero fault " + dz + " vs " + perFault + " per fault");
    }

    @Test
    void forkGrowsByTheCostPerResidentPage() {
        CostModel c = probe.config().costs();
        double small = probe.measure("fork", 0);
        double big = probe.measure("fork", 4096);
        double perPage = (big - small) / 4096;
        assertTrue(perPage >= c.forkPerPage && perPage < c.forkPerPage + 5, "fork per page " + perPage + " vs " + c.forkPerPage);
        assertTrue(small >= c.forkFixed, "fork of an empty process " + small + " vs fixed " + c.forkFixed);
    }

    @Test
    void aSiblingOnTheOtherCpuMakesMunmapPayAnIpiRound() {
        double alone = probe.measure("munmap", 0);
        double sibling = probe.measure("munmap_sibling", 0);
        CostModel c = probe.config().costs();
        assertTrue(sibling - alone >= c.ipiDelivery, "munmap alone " + alone + ", with a sibling " + sibling);
    }
}
