/**
 * JMH benchmarks of mmsim's machine layer: how many host nanoseconds the simulator spends per simulated
 * event (DESIGN.md §4, "measured" numbers). They say how fast the simulator is, not what a strategy
 * would cost on real hardware, and they depend on the host: always report the host's core count with
 * them.
 *
 * <ul>
 *   <li>{@link mmsim.bench.AccessPathBenchmark}: one simulated 8-byte load or store through the MMU, on a
 *       TLB hit and on a TLB miss that walks the page table, for two TLB geometries.</li>
 *   <li>{@link mmsim.bench.FramePoolBenchmark}: an allocate + free pair of physical frames through a
 *       per-CPU cache, through the global pool alone, and in batches that refill and drain the cache, on
 *       one thread and on all host threads.</li>
 * </ul>
 *
 * <p>Every benchmark checks its answer (a sum of loaded values, counters that prove the path taken,
 * frame conservation) and throws when it is wrong, so that a fast wrong result fails the run instead of
 * being reported.
 *
 * <p>Build and run (from the repository root):
 * <pre>
 *   mvn -B -pl benchmarks -am verify        # builds benchmarks/target/benchmarks.jar, runs a smoke of each
 *   java -jar benchmarks/target/benchmarks.jar AccessPath -f 1 -wi 3 -i 5 -w 1s -r 1s
 *   java -jar benchmarks/target/benchmarks.jar FramePool -f 1 -wi 3 -i 5 -w 1s -r 1s
 *   java -jar benchmarks/target/benchmarks.jar -l     # list every benchmark
 * </pre>
 * The smoke run of {@code verify} ({@code -f 1 -wi 1 -i 1 -w 200ms -r 200ms -foe true}) proves that each
 * benchmark runs and checks its answer; its numbers are not measurements. Add {@code -foe true} to a real
 * run too, or JMH exits 0 when a benchmark throws.
 */
package mmsim.bench;
