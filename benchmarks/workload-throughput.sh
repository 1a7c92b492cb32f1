#!/usr/bin/env bash
# Whole-workload throughput: simulated memory accesses per host second, on the chaos workload and on a lackey
# trace replay, with the JVM confined to 1 and to 2 host cores. Runs ./mmsim (and so its JDK and its build on
# first use); see benchmarks/README.md, "Whole-workload throughput".
#
# accesses per host second = (loads + stores) / run.wall_ns, from each run's summary.json: the machine's
# counters of accesses through the MMU (a replayed access that crosses a page counts twice, as the MMU sees
# it) over the host time of the run (boot, workload, teardown, checks; the JVM's own start-up is not in it).
#
# Settings (environment):
#   REPS           runs of each configuration (default 5); the configurations take turns, in a rotating order
#   OUT            output directory (default benchmarks/target/workload-throughput)
#   CHAOS_ARGS     arguments after 'mmsim run chaos' (default: --cpus 4 --seed 7 --set chaos.cycles=2000000000)
#   TRACE          lackey trace (default: workloads/traces/lackey/qsort-5000.lackey.gz, the shipped one)
#   TRACE_COPIES   the trace is replayed this many times back to back, as one gzip file of that many members
#                  (default 120: the shipped trace alone is 0.8 M accesses, a fraction of a second)
#   REPLAY_ARGS    arguments after 'mmsim replay lackey FILE' (default: none)
#
# Before and after each run the script measures the host's cross-core cache-line round trip (mmsim.bench.HostPhaseProbe,
# about 0.3 s, on both cores whatever the run's confinement): on a virtual machine it changes phase for minutes at a
# time, and the 2-core figures move with it. runs.csv keeps both probes of every run, throughput.csv their range.
#
# Writes to OUT: throughput.csv (one row per workload and core count), runs.csv (one row per run), host.txt (the
# host, the JVM, the code version), and runs/ (every run's directory and its output).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

reps="${REPS:-5}"
out="${OUT:-benchmarks/target/workload-throughput}"
chaos_args="${CHAOS_ARGS:---cpus 4 --seed 7 --set chaos.cycles=2000000000}"
trace="${TRACE:-workloads/traces/lackey/qsort-5000.lackey.gz}"
trace_copies="${TRACE_COPIES:-120}"
replay_args="${REPLAY_ARGS:-}"

fail() {
  echo "workload-throughput: $*" >&2
  exit 1
}

[[ "$reps" =~ ^[1-9][0-9]*$ ]] || fail "REPS must be a positive integer, not '$reps'"
[[ "$trace_copies" =~ ^[1-9][0-9]*$ ]] || fail "TRACE_COPIES must be a positive integer, not '$trace_copies'"
[ -f "$trace" ] || fail "no lackey trace at $trace (TRACE)"
command -v taskset >/dev/null || fail "taskset (util-linux) is needed to confine the JVM to host cores"
taskset -c 0,1 true 2>/dev/null || fail "this host cannot run a process on cores 0 and 1 (taskset -c 0,1 failed)"

# json_get, median, host_info, run_rotated, host_probe_init, host_probe, probe_range
# shellcheck source=benchmarks/common.sh
source "$root/benchmarks/common.sh"

mkdir -p "$out"
rm -rf "$out/runs"
mkdir -p "$out/runs"

echo "workload-throughput: building mmsim if needed..." >&2
./mmsim --version >/dev/null || fail "./mmsim --version failed: the build or the JDK is broken"
host_probe_init "$out/probe"

replay_trace="$out/trace-x$trace_copies.lackey"
case "$trace" in *.gz) replay_trace+=".gz" ;; esac
rm -f "$replay_trace"
for _ in $(seq "$trace_copies"); do cat "$trace"; done >"$replay_trace"

# run_one WORKLOAD CORES REP: one run on that many host cores; appends its row to runs.csv.
run_one() {
  local workload=$1 cores=$2 rep=$3 cpu_list
  case "$cores" in 1) cpu_list=0 ;; 2) cpu_list=0,1 ;; *) fail "no core list for $cores host cores" ;; esac
  local dir="$out/runs/$workload-${cores}core-rep$rep"
  local log="$dir.log"
  local -a args
  if [ "$workload" = chaos ]; then
    read -r -a args <<<"$chaos_args"
    args=(run chaos "${args[@]}")
  else
    read -r -a args <<<"$replay_args"
    args=(replay lackey "$replay_trace" "${args[@]}")
  fi
  mkdir -p "$dir"
  local probe_before probe_after
  probe_before=$(host_probe)
  # taskset confines the JVM and every thread it starts; ActiveProcessorCount makes the JVM size itself (GC and
  # JIT threads, availableProcessors and so sim.parallelism) to the same count. The java launcher that ./mmsim
  # execs reads JDK_JAVA_OPTIONS.
  if ! JDK_JAVA_OPTIONS="${JDK_JAVA_OPTIONS:+$JDK_JAVA_OPTIONS }-XX:ActiveProcessorCount=$cores" \
      taskset -c "$cpu_list" ./mmsim "${args[@]}" --out "$dir" --quiet >"$log" 2>&1; then
    tail -n 20 "$log" >&2
    fail "$workload on $cores host core(s), rep $rep, failed (./mmsim ${args[*]}); its output: $log"
  fi
  probe_after=$(host_probe)
  local summary manifest
  summary=$(find "$dir" -mindepth 2 -maxdepth 2 -name summary.json | head -1)
  manifest=$(find "$dir" -mindepth 2 -maxdepth 2 -name manifest.json | head -1)
  [ -n "$summary" ] && [ -n "$manifest" ] || fail "$workload on $cores host core(s), rep $rep: no run directory under $dir"
  local outcome host_cores parallelism loads stores wall_ns
  outcome=$(json_get "$summary" outcome)
  host_cores=$(json_get "$manifest" host.cores)
  parallelism=$(json_get "$manifest" sim.parallelism)
  loads=$(json_get "$summary" metrics loads value)
  stores=$(json_get "$summary" metrics stores value)
  wall_ns=$(json_get "$summary" metrics run.wall_ns value)
  [ "$outcome" = passed ] || fail "$workload on $cores host core(s), rep $rep: outcome '$outcome' ($summary)"
  [ "$host_cores" = "$cores" ] && [ "$parallelism" = "$cores" ] \
    || fail "$workload: asked for $cores host core(s) but the JVM saw $host_cores and sim.parallelism was $parallelism ($manifest)"
  [[ "$loads" =~ ^[0-9]+$ && "$stores" =~ ^[0-9]+$ && "$wall_ns" =~ ^[1-9][0-9]*$ ]] \
    || fail "$workload on $cores host core(s), rep $rep: no loads, stores or run.wall_ns in $summary"
  local accesses=$((loads + stores))
  local rate=$((accesses * 1000000000 / wall_ns))
  echo "$workload,$cores,$rep,$accesses,$wall_ns,$rate,$probe_before,$probe_after,${summary#"$out"/}" >>"$out/runs.csv"
  printf '  %-6s %d host core(s), rep %d/%d: %12d accesses in %7.2f s = %12d accesses/s (host probe %s / %s ns)\n' \
    "$workload" "$cores" "$rep" "$reps" "$accesses" "$(awk -v n="$wall_ns" 'BEGIN { print n / 1e9 }')" "$rate" \
    "$probe_before" "$probe_after" >&2
}

configs=("chaos 1" "chaos 2" "replay 1" "replay 2")
echo "workload,host_cores,rep,accesses,wall_ns,accesses_per_s,probe_before_ns,probe_after_ns,summary" >"$out/runs.csv"
echo "workload-throughput: ${#configs[@]} configurations x $reps reps; chaos: $chaos_args;" \
  "replay: $trace x $trace_copies${replay_args:+ ($replay_args)}" >&2
run_rotated "$reps" "${configs[@]}"

first_manifest=$(find "$out/runs" -mindepth 3 -maxdepth 3 -name manifest.json | head -1)
{
  host_info "$first_manifest"
  echo "reps=$reps"
  echo "chaos.args=$chaos_args"
  echo "replay.trace=$trace x $trace_copies"
  echo "replay.args=$replay_args"
} >"$out/host.txt"

# median, min and max of the rate (and the median wall time) per workload and core count
echo "workload,host_cores,reps,median_accesses_per_s,min_accesses_per_s,max_accesses_per_s,median_wall_s,accesses_per_run,host_probe_ns" >"$out/throughput.csv"
for config in "${configs[@]}"; do
  read -r workload cores <<<"$config"
  rates=$(awk -F, -v w="$workload" -v c="$cores" 'NR > 1 && $1 == w && $2 == c { print $6 }' "$out/runs.csv" | sort -n)
  walls=$(awk -F, -v w="$workload" -v c="$cores" 'NR > 1 && $1 == w && $2 == c { print $5 }' "$out/runs.csv" | sort -n)
  accesses=$(awk -F, -v w="$workload" -v c="$cores" 'NR > 1 && $1 == w && $2 == c { sum += $4; n++ } END { printf "%.0f", sum / n }' "$out/runs.csv")
  probes=$(awk -F, -v w="$workload" -v c="$cores" 'NR > 1 && $1 == w && $2 == c' "$out/runs.csv" | probe_range /dev/stdin 7 8)
  printf '%s,%d,%d,%s,%s,%s,%.2f,%d,%s\n' "$workload" "$cores" "$reps" "$(median <<<"$rates")" "$(head -1 <<<"$rates")" \
    "$(tail -1 <<<"$rates")" "$(median <<<"$walls" | awk '{ print $1 / 1e9 }')" "$accesses" "$probes" >>"$out/throughput.csv"
done

echo
echo "Simulated memory accesses per host second ($(sed -n 's/^cpu.model=//p' "$out/host.txt"), $(nproc) cores;" \
  "$(sed -n 's/^java.vm=//p' "$out/host.txt"); $(git rev-parse --short HEAD 2>/dev/null || echo unknown))"
awk -F, 'NR == 1 { print "workload  host cores  median accesses/s  min accesses/s  max accesses/s  reps  median wall s  accesses/run  host probes"; next }
  { printf "%-8s  %10d  %17.0f  %14.0f  %14.0f  %4d  %13.2f  %12.0f  %s\n", $1, $2, $4, $5, $6, $3, $7, $8, $9 }' "$out/throughput.csv"
echo "Host probes: the cross-core cache-line round trip before and after each run (mmsim.bench.HostPhaseProbe); compare"
echo "figures only across runs whose probes agree (benchmarks/README.md, \"The host's phases\")."
echo "Written: $out/throughput.csv, $out/runs.csv, $out/host.txt"
