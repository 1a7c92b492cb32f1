package mmsim.shootdown;

import mmsim.cpu.Cpu;
import mmsim.paging.CpuMask;

/**
 * {@code multicast}: Linux's algorithm ({@link LinuxShootdown}) with its interrupts sent along the machine's
 * topology, as Barrelfish's NUMA-aware multicast does (Baumann et al., "The multikernel", SOSP'09, section 5): one
 * message per remote socket, to a core there that forwards it to the rest of its socket and aggregates their
 * acknowledgements into one; the initiator's own socket is reached with one multicast IPI. The initiator then
 * sends one IPI per socket with targets and reads one acknowledgement line per socket, instead of one of each
 * per target, and the sockets' forwarding runs in parallel, so its cost stays nearly flat as the CPUs running
 * the process grow, where {@code linux}'s grows with every target.
 *
 * <p>What it costs: a forwarder is interrupted for longer (it sends, and waits for its socket before it
 * acknowledges), and a shootdown to one remote CPU costs what linux's does. On one socket it differs from linux
 * only by the multicast send and the aggregated acknowledgements. (Linux on x2APIC cluster mode also sends one
 * IPI per cluster; mmsim's {@code linux} models one per target, as on the machines Barrelfish measured.)
 */
public final class MulticastShootdown extends LinuxShootdown {
    public MulticastShootdown(Cpu[] cpus, ShootdownStats stats) {
        super(cpus, stats);
    }

    @Override
    public String name() {
        return "multicast";
    }

    @Override
    protected void deliver(Cpu initiator, FlushRequest request, CpuMask candidates, TargetFilter filter) {
        startMulticastRound(initiator, request, candidates, filter);
    }
}
