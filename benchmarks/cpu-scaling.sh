#!/usr/bin/env bash
# Scaling across simulated CPUs on a fixed host: simulated memory accesses per host second of the chaos and munmap
# workloads at 4, 64 and 256 simulated CPUs, and each figure as a share of the 4-CPU one (issue 11's figure: at
# 64 CPUs >= 80 %, at 256 CPUs >= 60 %). Runs ./mmsim (its JDK, its build on first use); see benchmarks/README.md,
# "Scaling across simulated CPUs".
#
# accesses per host second = (loads + stores) / run.wall_ns, from each run's summary.json, as in
# workload-throughput.sh. Every run has a modeled budget (chaos.cycles, munmap.rounds); a larger machine does more
# work per modeled cycle, so the budgets shrink as the CPUs grow. chaos's are sized to 15-20 host seconds a run:
# its first seconds (JIT compilation, every walker's first touches, on 256 CPUs 600 MB of simulated memory taken
# from the host) run at half its steady rate and weigh on shorter runs, the larger machines' most.
#
# Settings (environment):
#   REPS       runs of each configuration (default 5: about 8 minutes on a 2-core host in a fast phase, up to 20
#              in a slow one, where a chaos run took 47-65 s on 2026-12-02); the configurations take
#              turns, in a rotating order
#   OUT        output directory (default benchmarks/target/cpu-scaling)
#   CPUS       simulated CPU counts (default "4 64 256"; the first is the baseline of the shares)
#   WORKLOADS  default "chaos munmap"
#   SEED       default 1
#   BUDGET_chaos_N, BUDGET_munmap_N
#              the budget setting for N CPUs (defaults below), e.g. BUDGET_chaos_64="chaos.cycles=150000000"
#   PHASE_BELOW_NS
#              keep only runs made in one host phase: before a run, wait until the host probe reads below this many
#              ns; after it, if the probe reads this or more, discard the run and make it again (default unset: every
#              run counts, whatever the phase). 150 selects this host's fast phase (benchmarks/README.md)
#   PHASE_WAIT_S
#              with PHASE_BELOW_NS: how long the script may wait and retry, in all, before it gives up (default 7200)
#
# Before and after each run the script measures the host's cross-core cache-line round trip (mmsim.bench.HostPhaseProbe,
# about 0.3 s): on a virtual machine it changes phase for minutes at a time, and these figures move with it (the
# 4-CPU ones most). runs.csv keeps both probes of every run, scaling.csv the range per configuration.
#
# Writes to OUT: scaling.csv (one row per workload and CPU count), runs.csv (one row per run), host.txt (the host,
# the JVM, the code version), and runs/ (every run's directory and its output).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

reps="${REPS:-5}"
out="${OUT:-benchmarks/target/cpu-scaling}"
read -r -a cpu_counts <<<"${CPUS:-4 64 256}"
read -r -a workloads <<<"${WORKLOADS:-chaos munmap}"
seed="${SEED:-1}"

fail() {
  echo "cpu-scaling: $*" >&2
  exit 1
}

# The default budget of WORKLOAD on N CPUs: a few host seconds each on a 2-core host.
budget() {
  local workload=$1 cpus=$2 var="BUDGET_${1}_${2}"
  if [ -n "${!var:-}" ]; then
    echo "${!var}"
    return
  fi
  case "$workload:$cpus" in
    chaos:4) echo "chaos.cycles=12000000000" ;;
    chaos:64) echo "chaos.cycles=900000000" ;;
    chaos:256) echo "chaos.cycles=150000000" ;;
    munmap:4) echo "munmap.rounds=20000" ;;
    munmap:64) echo "munmap.rounds=2000" ;;
    munmap:256) echo "munmap.rounds=500" ;;
    *) fail "no default budget for $workload on $cpus CPUs: set $var (e.g. $var=chaos.cycles=100000000)" ;;
  esac
}

phase_below="${PHASE_BELOW_NS:-}"
phase_wait="${PHASE_WAIT_S:-7200}"

[[ "$reps" =~ ^[1-9][0-9]*$ ]] || fail "REPS must be a positive integer, not '$reps'"
[[ "$seed" =~ ^[0-9]+$ ]] || fail "SEED must be a non-negative integer, not '$seed'"
[ -z "$phase_below" ] || [[ "$phase_below" =~ ^[1-9][0-9]*$ ]] || fail "PHASE_BELOW_NS must be a positive integer (ns), not '$phase_below'"
[[ "$phase_wait" =~ ^[1-9][0-9]*$ ]] || fail "PHASE_WAIT_S must be a positive integer (seconds), not '$phase_wait'"
[ "${#cpu_counts[@]}" -ge 1 ] || fail "CPUS names no CPU count"
[ "${#workloads[@]}" -ge 1 ] || fail "WORKLOADS names no workload"
for c in "${cpu_counts[@]}"; do
  [[ "$c" =~ ^[1-9][0-9]*$ ]] || fail "CPUS: '$c' is not a positive integer"
  for w in "${workloads[@]}"; do
    budget "$w" "$c" >/dev/null
  done
done

# json_get, median, host_info, run_rotated, host_probe_init, host_probe, probe_range
# shellcheck source=benchmarks/common.sh
source "$root/benchmarks/common.sh"

mkdir -p "$out"
rm -rf "$out/runs"
mkdir -p "$out/runs"

echo "cpu-scaling: building mmsim if needed..." >&2
./mmsim --version >/dev/null || fail "./mmsim --version failed: the build or the JDK is broken"
host_probe_init "$out/probe"
phase_deadline=$(($(date +%s) + phase_wait))
discarded=0

# in_phase NS: whether a probe reading is inside the phase PHASE_BELOW_NS asks for (always, without it)
in_phase() {
  [ -z "$phase_below" ] || { [[ "$1" =~ ^[0-9]+$ ]] && [ "$1" -lt "$phase_below" ]; }
}

# probe_in_phase: the first probe reading inside the phase, probing every 10 s; fails past PHASE_WAIT_S
probe_in_phase() {
  local ns
  while true; do
    ns=$(host_probe)
    if in_phase "$ns"; then
      echo "$ns"
      return
    fi
    [ "$(date +%s)" -lt "$phase_deadline" ] \
      || fail "no host probe read below $phase_below ns within PHASE_WAIT_S=$phase_wait s (the last read $ns ns); runs so far: $out/runs.csv"
    sleep 10
  done
}

# run_one WORKLOAD CPUS REP: one run; appends its row to runs.csv.
run_one() {
  local workload=$1 cpus=$2 rep=$3 setting
  setting=$(budget "$workload" "$cpus")
  local dir="$out/runs/$workload-${cpus}cpus-rep$rep"
  local log="$dir.log"
  mkdir -p "$dir"
  local probe_before probe_after
  probe_before=$(probe_in_phase)
  if ! ./mmsim run "$workload" --cpus "$cpus" --seed "$seed" --set "$setting" --out "$dir" --quiet >"$log" 2>&1; then
    tail -n 20 "$log" >&2
    fail "$workload on $cpus CPUs, rep $rep, failed (./mmsim run $workload --cpus $cpus --seed $seed --set $setting); its output: $log"
  fi
  probe_after=$(host_probe)
  if ! in_phase "$probe_after"; then
    discarded=$((discarded + 1))
    [ "$(date +%s)" -lt "$phase_deadline" ] \
      || fail "$workload on $cpus CPUs, rep $rep: the host left the phase during the run (probe $probe_after ns) and PHASE_WAIT_S=$phase_wait s have passed; runs so far: $out/runs.csv"
    echo "  $workload $cpus CPUs, rep $rep: the host left the phase during the run (probe $probe_before / $probe_after ns): made again" >&2
    rm -rf "$dir" "$log"
    run_one "$workload" "$cpus" "$rep"
    return
  fi
  local summary
  summary=$(find "$dir" -mindepth 2 -maxdepth 2 -name summary.json | head -1)
  [ -n "$summary" ] || fail "$workload on $cpus CPUs, rep $rep: no run directory under $dir"
  local outcome loads stores wall_ns grants
  outcome=$(json_get "$summary" outcome)
  loads=$(json_get "$summary" metrics loads value)
  stores=$(json_get "$summary" metrics stores value)
  wall_ns=$(json_get "$summary" metrics run.wall_ns value)
  grants=$(json_get "$summary" metrics sim.slot_grants value)
  [ "$outcome" = passed ] || fail "$workload on $cpus CPUs, rep $rep: outcome '$outcome' ($summary)"
  [[ "$loads" =~ ^[0-9]+$ && "$stores" =~ ^[0-9]+$ && "$wall_ns" =~ ^[1-9][0-9]*$ ]] \
    || fail "$workload on $cpus CPUs, rep $rep: no loads, stores or run.wall_ns in $summary"
  local accesses=$((loads + stores))
  local rate=$((accesses * 1000000000 / wall_ns))
  echo "$workload,$cpus,$rep,$setting,$accesses,$wall_ns,$rate,$grants,$probe_before,$probe_after,${summary#"$out"/}" >>"$out/runs.csv"
  printf '  %-7s %4d CPUs, rep %d/%d: %10d accesses in %6.2f s = %9d accesses/s (host probe %s / %s ns)\n' \
    "$workload" "$cpus" "$rep" "$reps" "$accesses" "$(awk -v n="$wall_ns" 'BEGIN { print n / 1e9 }')" "$rate" \
    "$probe_before" "$probe_after" >&2
}

configs=()
for w in "${workloads[@]}"; do
  for c in "${cpu_counts[@]}"; do
    configs+=("$w $c")
  done
done
echo "workload,cpus,rep,budget,accesses,wall_ns,accesses_per_s,slot_grants,probe_before_ns,probe_after_ns,summary" >"$out/runs.csv"
echo "cpu-scaling: ${#configs[@]} configurations x $reps reps, seed $seed" >&2
run_rotated "$reps" "${configs[@]}"

first_manifest=$(find "$out/runs" -mindepth 3 -maxdepth 3 -name manifest.json | head -1)
{
  host_info "$first_manifest"
  echo "reps=$reps"
  echo "seed=$seed"
  echo "phase_below_ns=${phase_below:-any}"
  echo "runs_discarded_out_of_phase=$discarded"
} >"$out/host.txt"

# per workload and CPU count: median, min and max rate, and the median as a share of the first CPU count's median
echo "workload,cpus,reps,budget,median_accesses_per_s,min_accesses_per_s,max_accesses_per_s,share_of_baseline_pct,host_probe_ns" >"$out/scaling.csv"
for w in "${workloads[@]}"; do
  base=""
  for c in "${cpu_counts[@]}"; do
    rates=$(awk -F, -v w="$w" -v c="$c" 'NR > 1 && $1 == w && $2 == c { print $7 }' "$out/runs.csv" | sort -n)
    med=$(median <<<"$rates")
    [ -n "$base" ] || base=$med
    probes=$(awk -F, -v w="$w" -v c="$c" 'NR > 1 && $1 == w && $2 == c' "$out/runs.csv" | probe_range /dev/stdin 9 10)
    printf '%s,%d,%d,%s,%s,%s,%s,%.1f,%s\n' "$w" "$c" "$reps" "$(budget "$w" "$c")" "$med" "$(head -1 <<<"$rates")" \
      "$(tail -1 <<<"$rates")" "$(awk -v m="$med" -v b="$base" 'BEGIN { print 100 * m / b }')" "$probes" >>"$out/scaling.csv"
  done
done

echo
echo "Simulated memory accesses per host second by simulated CPUs ($(sed -n 's/^cpu.model=//p' "$out/host.txt"), $(nproc) host cores;" \
  "$(sed -n 's/^java.vm=//p' "$out/host.txt"); $(git rev-parse --short HEAD 2>/dev/null || echo unknown))"
awk -F, 'NR == 1 { print "workload  CPUs  median accesses/s  min accesses/s  max accesses/s  % of first  reps  host probes     budget"; next }
  { printf "%-8s  %4d  %17.0f  %14.0f  %14.0f  %10.1f  %4d  %-14s  %s\n", $1, $2, $5, $6, $7, $8, $3, $9, $4 }' "$out/scaling.csv"
echo "Host probes: the cross-core cache-line round trip before and after each run (mmsim.bench.HostPhaseProbe); compare"
echo "figures only across runs whose probes agree (benchmarks/README.md, \"The host's phases\")."
if [ -n "$phase_below" ]; then
  echo "Every run above began and ended with a probe under $phase_below ns; $discarded that ended outside it were made again."
fi
echo "Written: $out/scaling.csv, $out/runs.csv, $out/host.txt"
