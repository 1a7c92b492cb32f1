/**
 * mmsim, the simulator library. {@link mmsim.Machine} boots a machine from a
 * {@link mmsim.config.MachineConfig}; {@link mmsim.kernel.Kernel} boots a kernel on it and runs processes.
 *
 * <p>The packages form a one-way stack, each using only those before it: {@code config} → {@code stats}
 * → {@code mem} → {@code paging} → {@code cpu} → {@code shootdown} and {@code check} → {@code kernel}.
 * No package reaches up the stack; a new concern goes into the lowest package that has what it needs.
 *
 * <p>Memory-ordering names are JCTools': {@code lv} volatile load, {@code la} acquire load, {@code lp}
 * plain load, {@code so} ordered (release) store, {@code sp} plain store, {@code cas} compare-and-set.
 * Each package note says which of its operations pair with which.
 */
package mmsim;
