package mmsim.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** What backs simulated tasks: virtual threads from JDK 24 under auto, platform threads when asked or before. */
class TaskThreadsTest {
    private static final int FEATURE = Runtime.version().feature();

    @Test
    void autoPicksVirtualThreadsFromJdk24() {
        assertEquals(FEATURE >= 24, new TaskThreads("auto", 2).virtual(), "auto on JDK " + FEATURE);
        assertFalse(new TaskThreads("platform", 2).virtual());
    }

    @Test
    void virtualIsRefusedWithAClearMessageBeforeJdk21() {
        if (FEATURE >= 21) {
            assertTrue(new TaskThreads("virtual", 2).virtual());
        } else {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> new TaskThreads("virtual", 2));
            assertTrue(e.getMessage().contains("needs JDK 21"), e.getMessage());
        }
    }

    @Test
    void aCreatedThreadRunsItsBodyAndCarriesItsName() throws Exception {
        for (String mode : FEATURE >= 21 ? new String[] {"platform", "virtual"} : new String[] {"platform"}) {
            boolean[] ran = new boolean[1];
            Thread t = new TaskThreads(mode, 2).create("mmsim-test-" + mode, () -> ran[0] = true);
            assertEquals("mmsim-test-" + mode, t.getName());
            t.start();
            t.join(10_000);
            assertTrue(ran[0], mode + " thread ran its body");
        }
    }
}
