package mmsim;

import java.util.HashMap;
import java.util.Map;

import mmsim.config.MachineConfig;
import mmsim.cpu.Cpu;
import mmsim.cpu.FaultKind;
import mmsim.cpu.PageFaultHandler;
import mmsim.mem.FramePool;
import mmsim.mem.PhysicalMemory;
import mmsim.paging.AddressSpace;
import mmsim.paging.PageTable;
import mmsim.paging.Pte;
import mmsim.paging.Vma;

/** Small machines and a minimal demand-zero fault handler for tests of the machine layer (no kernel). */
public final class TestMachines {
    private TestMachines() {
    }

    /** A machine with {@code cpus} CPUs, {@code memory} of physical memory, and extra settings as key, value pairs. */
    public static Machine boot(int cpus, String memory, String... keyValues) {
        Map<String, String> settings = new HashMap<>();
        settings.put("cpus", Integer.toString(cpus));
        settings.put("memory", memory);
        for (int i = 0; i < keyValues.length; i += 2) {
            settings.put(keyValues[i], keyValues[i + 1]);
        }
        return Machine.boot(MachineConfig.parse(settings));
    }

    /** Threads servicing CPUs' interrupts until closed: see {@link #servicing}. */
    public static final class InterruptServicers implements AutoCloseable {
        private final java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
        private final java.util.List<Thread> threads = new java.util.ArrayList<>();

        private InterruptServicers(Cpu... cpus) {
            for (Cpu cpu : cpus) {
                Thread t = new Thread(() -> {
                    while (!done.get()) {
                        cpu.serviceInterrupts();
                        Thread.onSpinWait();
                    }
                }, "servicing-cpu-" + cpu.id());
                threads.add(t);
                t.start();
            }
        }

        /** Stops the threads; fails if one is still running after 10 s (stuck in a handler). */
        @Override
        public void close() throws InterruptedException {
            done.set(true);
            for (Thread t : threads) {
                t.join(10_000);
                if (t.isAlive()) {
                    throw new IllegalStateException(t.getName() + " still running 10 s after it was told to stop");
                }
            }
        }
    }

    /**
     * A thread per CPU of {@code cpus} that services its interrupts until the result is closed: the targets of a
     * strategy driven from a test thread, with no kernel running them.
     */
    public static InterruptServicers servicing(Cpu... cpus) {
        return new InterruptServicers(cpus);
    }

    /**
     * Demand-zero for any page inside a VMA of the CPU's loaded space, with the VMA's write permission;
     * anything else is rethrown as unhandled. Enough to drive the MMU without a kernel.
     */
    public static PageFaultHandler demandZero(Machine machine) {
        return (cpu, va, write, kind) -> {
            AddressSpace space = cpu.loadedSpace();
            Vma vma = space == null ? null : space.findVma(va);
            if (vma == null || kind != FaultKind.NOT_PRESENT) {
                PageFaultHandler.UNHANDLED.handlePageFault(cpu, va, write, kind);
            }
            mapZeroPage(machine, cpu, space, va & ~PhysicalMemory.PAGE_OFFSET_MASK,
                    vma.writable() ? Pte.WRITABLE : 0);
        };
    }

    /** Maps a fresh zeroed frame at {@code va} unless a translation got there first. Returns the frame. */
    public static int mapZeroPage(Machine machine, Cpu cpu, AddressSpace space, long va, long extraFlags) {
        int cpuId = cpu == null ? FramePool.NO_CPU : cpu.id();
        long slot = machine.pageTable().leafSlotMut(cpuId, space.root(), va);
        if (slot == PageTable.NO_SLOT) {
            throw new IllegalStateException("out of frames for page tables");
        }
        int frame = machine.framePool().allocate(cpuId);
        if (frame == FramePool.NO_FRAME) {
            throw new IllegalStateException("out of frames");
        }
        machine.memory().zeroFrame(frame);
        machine.frames().claim(frame);
        if (!PhysicalMemory.casLong(slot, 0L, Pte.make(frame, Pte.PRESENT | Pte.USER | extraFlags))) {
            machine.frames().release(frame);
            machine.framePool().free(cpuId, frame);
            return Pte.frame(PhysicalMemory.laLong(slot));
        }
        return frame;
    }

    /** Maps an existing frame at {@code va} (adding a reference). */
    public static void mapFrame(Machine machine, AddressSpace space, long va, int frame, long flags) {
        long slot = machine.pageTable().leafSlotMut(FramePool.NO_CPU, space.root(), va);
        machine.frames().retain(frame);
        if (!PhysicalMemory.casLong(slot, 0L, Pte.make(frame, Pte.PRESENT | Pte.USER | flags))) {
            throw new IllegalStateException("0x" + Long.toHexString(va) + " is already mapped");
        }
    }

    /** Releases every mapped frame and every table of {@code space} (tests have no kernel to do it). */
    public static void destroy(Machine machine, AddressSpace space) {
        machine.pageTable().forEachLeaf(space.root(), 0, PageTable.USER_VA_LIMIT, (va, slot, table) -> {
            long pte = PhysicalMemory.laLong(slot);
            PhysicalMemory.soLong(slot, 0L);
            if (Pte.isPresent(pte) && machine.frames().release(Pte.frame(pte))) {
                machine.framePool().free(FramePool.NO_CPU, Pte.frame(pte));
            }
        });
        machine.pageTable().releaseTables(FramePool.NO_CPU, space.root());
    }
}
