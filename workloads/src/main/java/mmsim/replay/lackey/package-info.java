/**
 * Replay of valgrind lackey memory-access traces ({@code mmsim replay lackey FILE}): {@link mmsim.replay.lackey.LackeyReader}
 * streams the trace (gzip or plain) into batches without allocating per line; when the host has cores to spare it
 * parses on a host thread of its own, ahead of the replay, while the replaying thread inflates
 * ({@link mmsim.replay.lackey.LackeyReadAhead}); {@link mmsim.replay.lackey.LackeyReplay}
 * sends each access through one simulated process's MMU and reports TLB hit rates, walks and faults.
 */
package mmsim.replay.lackey;
