package mmsim.kernel;

import static mmsim.kernel.KernelHarness.assertExited;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import mmsim.Machine;
import mmsim.TestMachines;
import mmsim.check.ContentOracle;
import mmsim.check.MemoryModel;
import mmsim.cpu.Cpu;
import mmsim.mem.PhysicalMemory;
import mmsim.paging.AddressSpace;
import mmsim.paging.PageTable;
import mmsim.paging.Pte;
import mmsim.paging.SharedMemoryObject;
import mmsim.paging.Vma;
import mmsim.stats.CpuCounter;

/**
 * Shared anonymous mappings ({@link Sys#mmapShared}, Linux's {@code MAP_SHARED | MAP_ANONYMOUS}): inherited across
 * fork as one set of pages under every fork strategy, never copied on write; munmap, mprotect and madvise change
 * only the caller's mapping; madvise(MADV_DONTNEED) keeps the data; the pages are freed with the last mapping.
 */
class SharedMappingTest {
    private static final long PAGE = 4096;
    private static final int MAX_POLLS = 1_000_000;
    private final KernelHarness h = new KernelHarness();

    @ParameterizedTest
    @MethodSource("mmsim.kernel.KernelHarness#machines")
    void sharedMappingIsNotCopiedOnWrite(String machine) throws Exception {
        ExitStatus s = h.run(2, "16MiB", machine, sys -> {
            long shared = sys.mmapShared(2 * PAGE, Vma.READ_WRITE);
            sys.storeLong(shared, 1);
            int frame = sys.frameOf(shared);
            long e = leaf(sys.mm(), shared);
            h.check(Pte.isWritable(e) && Pte.isShared(e) && !Pte.isCow(e), "the parent's entry: " + Pte.toString(e));
            int[] toChild = sys.pipe();
            int[] toParent = sys.pipe();
            long msg = sys.mmap(PAGE, Vma.READ_WRITE);
            int pid = sys.fork(c -> {
                h.checkEquals(1, c.loadLong(shared), "the child reads the parent's write before fork");
                c.storeLong(shared, 2);
                c.storeLong(shared + PAGE, 3);               // a page no one touched before: allocated once, for both
                h.checkEquals(frame, c.frameOf(shared), "the child's write went to the one shared frame");
                long ce = leaf(c.mm(), shared);
                h.check(Pte.isWritable(ce) && Pte.isShared(ce) && !Pte.isCow(ce), "the child's entry: " + Pte.toString(ce));
                c.write(toParent[1], msg, 1);
                c.read(toChild[0], msg, 1);
                h.checkEquals(4, c.loadLong(shared), "the child sees the parent's write after fork");
                return 0;
            });
            sys.read(toParent[0], msg, 1);
            h.checkEquals(2, sys.loadLong(shared), "the parent sees the child's write");
            h.checkEquals(3, sys.loadLong(shared + PAGE), "and the page the child touched first");
            h.checkEquals(frame, sys.frameOf(shared), "the parent still maps the one frame");
            sys.storeLong(shared, 4);
            sys.write(toChild[1], msg, 1);
            h.check(sys.waitpid(pid).exitedNormally(), "child");
            return 0;
        });
        assertExited(0, s);
        assertTrue(h.counters.get(CpuCounter.FAULTS_SHARED) >= 3, "the parent's first touch and the child's faults on shared pages: "
                + h.counters.get(CpuCounter.FAULTS_SHARED));
    }

    /** A shared page written by several children at once (a master and its workers): each sees every write, in place. */
    @ParameterizedTest
    @MethodSource("mmsim.kernel.KernelHarness#machines")
    void childrenAndParentShareOnePageOfCounters(String machine) throws Exception {
        final int children = 3;
        final int rounds = 200;
        ExitStatus s = h.run(3, "16MiB", machine, sys -> {
            long counters = sys.mmapShared(PAGE, Vma.READ_WRITE);
            sys.storeLong(counters, 0);                       // mapped in the parent before the forks
            int[] pids = new int[children];
            for (int k = 0; k < children; k++) {
                final long slot = counters + 8L * k;
                pids[k] = sys.fork(c -> {
                    for (int i = 1; i <= rounds; i++) {
                        c.storeLong(slot, i);
                        c.yield();
                    }
                    return 0;
                });
            }
            for (int pid : pids) {
                h.check(sys.waitpid(pid).exitedNormally(), "child " + pid);
            }
            for (int k = 0; k < children; k++) {
                h.checkEquals(rounds, sys.loadLong(counters + 8L * k), "child " + k + "'s last count");
            }
            return 0;
        });
        assertExited(0, s);
        assertEquals(0, h.counters.get(CpuCounter.FAULTS_COW_COPY), "nothing was copied");
    }

    @ParameterizedTest
    @MethodSource("mmsim.kernel.KernelHarness#machines")
    void sharedMappingSurvivesTheParentsExitUntilTheLastMapping(String machine) throws Exception {
        ExitStatus s = h.run(2, "16MiB", machine, init -> {
            int parent = init.fork(p -> {
                long shared = p.mmapShared(2 * PAGE, Vma.READ_WRITE);
                p.storeLong(shared, 10);
                p.storeLong(shared + PAGE, 11);
                p.fork(c -> {
                    for (long polls = 0; c.getppid() != 0; polls++) {
                        if (polls > MAX_POLLS) {
                            h.check(false, machine + ": the parent never exited");
                            return 1;
                        }
                        c.yield();
                    }
                    SharedMemoryObject object = c.mm().space.findVma(shared).shared();
                    h.checkEquals(2, object.mappedPages(), "only the child's mapping is left");
                    h.checkEquals(10, c.loadLong(shared), "the data outlived the parent that wrote it");
                    h.checkEquals(11, c.loadLong(shared + PAGE), "both pages");
                    c.munmap(shared, PAGE);
                    h.checkEquals(1, object.mappedPages(), "one page left mapped");
                    h.check(object.frame(0) != SharedMemoryObject.NO_FRAME, "page 0 stays in the object while it is mapped");
                    h.checkEquals(11, c.loadLong(shared + PAGE), "the page still mapped keeps its data");
                    c.munmap(shared + PAGE, PAGE);
                    h.checkEquals(0, object.mappedPages(), "the last mapping went");
                    h.checkEquals(SharedMemoryObject.NO_FRAME, object.frame(0), "the object released page 0");
                    h.checkEquals(SharedMemoryObject.NO_FRAME, object.frame(1), "and page 1");
                    return 0;
                });
                return 0;
            });
            h.check(init.waitpid(parent).exitedNormally(), "parent");
            return 0;
        });
        assertExited(0, s);
    }

    @ParameterizedTest
    @MethodSource("mmsim.kernel.KernelHarness#machines")
    void execDropsTheChildsSharedMappingAndLeavesTheParentsAlone(String machine) throws Exception {
        ExitStatus s = h.run(2, "16MiB", machine, sys -> {
            long shared = sys.mmapShared(PAGE, Vma.READ_WRITE);
            sys.storeLong(shared, 5);
            SharedMemoryObject object = sys.mm().space.findVma(shared).shared();
            int pid = sys.fork(c -> {
                c.storeLong(shared, 6);
                c.exec(image -> image.mm().space.vmas().size() == 1 ? 0 : 1, new Segment(PAGE, Vma.READ));
                return 2;
            });
            h.checkEquals(0, sys.waitpid(pid).code(), "the exec'd image maps only its segment");
            h.checkEquals(1, object.mappedPages(), "only the parent's mapping is left");
            h.checkEquals(6, sys.loadLong(shared), "the child's write before exec stays");
            return 0;
        });
        assertExited(0, s);
    }

    @ParameterizedTest
    @MethodSource("mmsim.kernel.KernelHarness#machines")
    void madviseDontNeedOnASharedMappingKeepsTheData(String machine) throws Exception {
        ExitStatus s = h.run(2, "16MiB", machine, sys -> {
            long shared = sys.mmapShared(PAGE, Vma.READ_WRITE);
            long own = sys.mmap(PAGE, Vma.READ_WRITE);
            sys.storeLong(shared, 21);
            sys.storeLong(own, 22);
            int frame = sys.frameOf(shared);
            int pid = sys.fork(c -> {
                h.checkEquals(21, c.loadLong(shared), "the child reads the shared page");
                c.madvise(shared, PAGE, Sys.MADV_DONTNEED);
                h.checkEquals(-1, c.frameOf(shared), "madvise dropped the child's translation");
                h.checkEquals(21, c.loadLong(shared), "the next touch maps the same data again");
                h.checkEquals(frame, c.frameOf(shared), "the same page of the shared object");
                c.storeLong(shared, 23);
                return 0;
            });
            h.check(sys.waitpid(pid).exitedNormally(), "child");
            sys.madvise(shared, PAGE, Sys.MADV_DONTNEED);
            sys.madvise(own, PAGE, Sys.MADV_DONTNEED);
            h.checkEquals(23, sys.loadLong(shared), "the parent reads the child's write after its own madvise");
            h.checkEquals(0, sys.loadLong(own), "a private page reads zeros after madvise");
            return 0;
        });
        assertExited(0, s);
    }

    @ParameterizedTest
    @MethodSource("mmsim.kernel.KernelHarness#machines")
    void munmapAndMprotectOfASharedMappingChangeOnlyTheCaller(String machine) throws Exception {
        ExitStatus s = h.run(2, "16MiB", machine, sys -> {
            long shared = sys.mmapShared(PAGE, Vma.READ_WRITE);
            sys.storeLong(shared, 1);
            int[] toChild = sys.pipe();
            int[] toParent = sys.pipe();
            long msg = sys.mmapShared(PAGE, Vma.READ_WRITE);  // shared too, so the pipe traffic copies nothing
            int pid = sys.fork(c -> {
                c.mprotect(shared, PAGE, Vma.READ);
                c.write(toParent[1], msg, 1);
                c.read(toChild[0], msg, 1);
                h.checkEquals(2, c.loadLong(shared), "the read-only child sees the parent's write");
                c.mprotect(shared, PAGE, Vma.READ_WRITE);
                long ce = leaf(c.mm(), shared);
                h.check(!Pte.isCow(ce), "mprotect never marks a shared page COW: " + Pte.toString(ce));
                c.storeLong(shared, 3);
                h.check(Pte.isWritable(leaf(c.mm(), shared)), "the write fault made the entry writable in place");
                c.munmap(shared, PAGE);
                c.write(toParent[1], msg, 1);
                return 0;
            });
            sys.read(toParent[0], msg, 1);
            h.check(Pte.isWritable(leaf(sys.mm(), shared)) || leaf(sys.mm(), shared) == 0,
                    "the child's mprotect left the parent's entry alone: " + Pte.toString(leaf(sys.mm(), shared)));
            sys.storeLong(shared, 2);
            sys.write(toChild[1], msg, 1);
            sys.read(toParent[0], msg, 1);
            h.checkEquals(3, sys.loadLong(shared), "the child's write after mprotect reached the parent");
            sys.storeLong(shared, 4);
            h.checkEquals(4, sys.loadLong(shared), "the child's munmap left the parent's mapping");
            h.check(sys.waitpid(pid).exitedNormally(), "child");
            return 0;
        });
        assertExited(0, s);
        assertEquals(0, h.counters.get(CpuCounter.FAULTS_COW_COPY), "nothing was copied");
    }

    /**
     * On-demand fork shares a leaf table that holds a shared mapping's entries next to private ones: while shared,
     * the link write-protects all of them; the first write through either side makes that side's table private,
     * keeping the shared entries writable and without COW, so both processes go on writing the one page.
     */
    @Test
    void onDemandForkSharesATableHoldingSharedPagesAndKeepsThemShared() throws Exception {
        ExitStatus s = h.run(2, "16MiB", "odf", sys -> {
            long priv = sys.mmap(PAGE, Vma.READ_WRITE);
            long shared = sys.mmapShared(PAGE, Vma.READ_WRITE);
            h.checkEquals(priv & ~(PageTable.LEAF_TABLE_SPAN - 1), shared & ~(PageTable.LEAF_TABLE_SPAN - 1),
                    "both pages lie under one leaf table");
            sys.storeLong(priv, 1);
            sys.storeLong(shared, 1);
            Mm parentMm = sys.mm();
            int[] toParent = sys.pipe();
            int[] toChild = sys.pipe();
            long msg = sys.mmapShared(PAGE, Vma.READ_WRITE);  // shared too, so the pipe traffic copies nothing
            long tablesShared = h.machine.counterTotal(CpuCounter.FORK_TABLES_SHARED);
            int pid = sys.fork(c -> {
                Mm childMm = c.mm();
                h.checkEquals(leafTable(parentMm, shared), leafTable(childMm, shared), "the child shares the parent's leaf table");
                h.check(!Pte.isWritable(leaf(childMm, shared)), "the shared table's link write-protects the shared page too");
                c.storeLong(shared, 2);                       // makes the child's table private
                long ce = rawLeaf(childMm, shared);
                h.check(Pte.isWritable(ce) && Pte.isShared(ce) && !Pte.isCow(ce), "the child's copy keeps the shared entry: " + Pte.toString(ce));
                long pe = rawLeaf(parentMm, shared);
                h.check(Pte.isWritable(pe) && Pte.isShared(pe) && !Pte.isCow(pe), "so does the parent's table: " + Pte.toString(pe));
                long pp = rawLeaf(parentMm, priv);
                h.check(!Pte.isWritable(pp) && Pte.isCow(pp), "the private page became COW: " + Pte.toString(pp));
                c.storeLong(priv, 5);
                c.write(toParent[1], msg, 1);
                c.read(toChild[0], msg, 1);
                h.checkEquals(3, c.loadLong(shared), "the child sees the parent's write");
                h.checkEquals(5, c.loadLong(priv), "the child's private page is its own");
                return 0;
            });
            h.check(h.machine.counterTotal(CpuCounter.FORK_TABLES_SHARED) > tablesShared, "fork shared leaf tables");
            sys.read(toParent[0], msg, 1);
            h.checkEquals(2, sys.loadLong(shared), "the parent sees the child's write");
            sys.storeLong(shared, 3);
            h.checkEquals(1, sys.loadLong(priv), "the parent's private page kept its value");
            sys.write(toChild[1], msg, 1);
            h.check(sys.waitpid(pid).exitedNormally(), "child");
            return 0;
        });
        assertExited(0, s);
        assertEquals(1, h.counters.get(CpuCounter.FAULTS_COW_COPY), "only the child's write to the private page copied");
    }

    /**
     * The content model's shared regions catch a planted bug: a fork strategy that copies a shared mapping's pages
     * eagerly. The parent hands every word to the child, which stores new values; after waitpid the parent takes
     * them back and must read the child's values, which it does only when the pages were really shared.
     */
    @Test
    void theContentModelCatchesAForkThatCopiesASharedMapping() throws Exception {
        assertEquals(0, mismatchesAfterTakingBack((frames, flusher) -> ForkStrategies.create("eager", frames, flusher)),
                "the real eager fork shares the pages");
        assertEquals(2 * MemoryModel.WORDS_PER_PAGE, mismatchesAfterTakingBack(CopiesSharedPagesFork::new),
                "every word the child stored was lost in its copy");
    }

    /** The planted bug: eager fork that copies every page, a shared mapping's included (keeping its SHARED bit). */
    static final class CopiesSharedPagesFork implements ForkStrategy {
        private final KernelFrames frames;

        CopiesSharedPagesFork(KernelFrames frames, TlbFlusher flusher) {
            this.frames = frames;
        }

        @Override
        public String name() {
            return "copies-shared-pages";
        }

        @Override
        public void copy(Cpu cpu, AddressSpace parent, AddressSpace child) {
            ChildSlots slots = new ChildSlots(frames, cpu, child, 0);
            for (Vma vma : parent.vmas()) {
                frames.pageTable().forEachLeaf(parent.root(), vma.start(), vma.end(), (va, slot, table) -> {
                    long e = PhysicalMemory.laLong(slot);
                    if (Pte.holdsFrame(e)) {
                        long childSlot = slots.slot(va, table);
                        int copy = frames.allocFrame(cpu, "a planted copy");
                        frames.memory().copyFrame(Pte.frame(e), copy);
                        PhysicalMemory.soLong(childSlot, Pte.make(copy, Pte.flags(e)));
                    }
                });
            }
        }
    }

    private long mismatchesAfterTakingBack(ForkStrategy.Factory fork) throws Exception {
        ContentOracle content = new ContentOracle();
        try (Machine machine = TestMachines.boot(2, "16MiB", "checking", "true")) {
            Kernel kernel = Kernel.boot(machine, Kernel.configuredShootdown(machine), fork);
            ExitStatus status;
            try {
                status = kernel.run(sys -> {
                    MemoryModel model = new MemoryModel();
                    long a = sys.mmapShared(2 * PAGE, Vma.READ_WRITE);
                    MemoryModel.Region region = model.addShared(a, 2, true, false);
                    for (int page = 0; page < 2; page++) {
                        for (int w = 0; w < MemoryModel.WORDS_PER_PAGE; w++) {
                            sys.storeLong(region.address(page, w), 10 * page + w + 1);
                            region.stored(page, w, 10 * page + w + 1);
                        }
                    }
                    MemoryModel.Handoff handoff = model.fork(() -> true);
                    int pid = sys.fork(c -> {
                        MemoryModel.Region mine = handoff.child().regions().get(0);
                        for (int page = 0; page < 2; page++) {
                            for (int w = 0; w < MemoryModel.WORDS_PER_PAGE; w++) {
                                c.storeLong(mine.address(page, w), 100 + 10 * page + w);
                                mine.stored(page, w, 100 + 10 * page + w);
                            }
                        }
                        return 0;
                    });
                    sys.waitpid(pid);
                    for (MemoryModel.Word word : model.takeBack(handoff)) {
                        content.check(word.expected(), sys.loadLong(word.address()), "word at 0x" + Long.toHexString(word.address()));
                    }
                    return 0;
                }, Duration.ofSeconds(30));
            } finally {
                kernel.close();
            }
            assertExited(0, status);
            assertEquals(machine.config().frames(), machine.framePool().freeFramesQuiescent(), "every frame came back");
        }
        assertEquals(2 * MemoryModel.WORDS_PER_PAGE, content.checks(), "every word handed over was checked");
        return content.mismatches();
    }

    @Test
    void mmapSharedRejectsBadArgumentsAndMapsNothing() throws Exception {
        ExitStatus s = h.run(2, "1MiB", "cow", sys -> {
            expect(Errno.EINVAL, () -> sys.mmapShared(0, Vma.READ_WRITE), "length 0");
            expect(Errno.EINVAL, () -> sys.mmapShared(PAGE, Vma.WRITE), "write-only protection");
            expect(Errno.ENOMEM, () -> sys.mmapShared(2L << 20, Vma.READ_WRITE), "more than physical memory");
            h.checkEquals(0, sys.mm().space.vmas().size(), "nothing was mapped");
            return 0;
        });
        assertExited(0, s);
    }

    private void expect(Errno errno, Runnable call, String what) {
        try {
            call.run();
            h.check(false, what + ": no error");
        } catch (SyscallException e) {
            h.check(e.errno() == errno, what + ": " + e);
        }
    }

    /** The leaf entry as the MMU sees it (W cleared under a write-protected link). */
    private long leaf(Mm mm, long va) {
        return h.kernel.inspector.inspect(mm.space, va).entry();   // the inspection API, not a walk of our own
    }

    /** The leaf word itself, without the links' write protection. */
    private long rawLeaf(Mm mm, long va) {
        return PhysicalMemory.laLong(h.machine.pageTable().leafSlot(mm.space.root(), va));
    }

    private int leafTable(Mm mm, long va) {
        return Pte.frame(PhysicalMemory.laLong(h.machine.pageTable().slot(mm.space.root(), va, 1)));
    }
}
