# Helpers shared by the benchmark scripts (workload-throughput.sh, cpu-scaling.sh); sourced, not run. The sourcing
# script defines fail MESSAGE (print it and exit 1) first.

# JSON: jq where installed, else python3. json_get FILE KEY... prints the value at that path of keys.
if command -v jq >/dev/null; then
  json_get() {
    local file=$1 path=""
    shift
    for key in "$@"; do path+="[\"$key\"]"; done
    jq -r ".$path // empty" "$file"
  }
elif command -v python3 >/dev/null; then
  json_get() {
    python3 -c 'import json, sys
v = json.load(open(sys.argv[1]))
for k in sys.argv[2:]:
    v = v.get(k) if isinstance(v, dict) else None
print("" if v is None else json.dumps(v) if isinstance(v, (dict, list)) else v)' "$@"
  }
else
  fail "neither jq nor python3 is installed: one is needed to read summary.json"
fi

# median of numbers sorted one a line on stdin (the mean of the middle two when their count is even)
median() {
  awk '{ v[NR] = $1 } END { printf "%.0f", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# host_info MANIFEST: the host.txt lines every script writes (date, host, JVM from a run's manifest.json, code version)
host_info() {
  local manifest=$1
  echo "date=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "nproc=$(nproc)"
  echo "cpu.model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
  echo "kernel=$(uname -r)"
  echo "java.version=$(json_get "$manifest" java.version)"
  echo "java.vm=$(json_get "$manifest" java.vm)"
  echo "threads=$(json_get "$manifest" threads)"
  echo "git.commit=$(git rev-parse HEAD 2>/dev/null || echo unknown)"
  echo "git.dirty=$([ -z "$(git status --porcelain --untracked-files=no 2>/dev/null)" ] && echo false || echo true)"
  echo "code.version=$(json_get "$manifest" code.version)"
}

# run_rotated REPS CONFIG...: calls the sourcing script's run_one with each CONFIG's two words and the rep number,
# REPS times; each rep starts one configuration further on, so that none always runs first and host drift (this
# host's cross-core latency changes phase every few minutes) reaches every configuration alike
run_rotated() {
  local reps=$1
  shift
  local configs=("$@") rep i first second
  for rep in $(seq "$reps"); do
    for i in "${!configs[@]}"; do
      read -r first second <<<"${configs[$(((i + rep - 1) % ${#configs[@]}))]}"
      run_one "$first" "$second" "$rep"
    done
  done
}

# host_probe_init DIR: compiles HostPhaseProbe.java (of the benchmarks module; it needs nothing but the JDK) into DIR
# (javac from PATH: any JDK 11 or later), for
# host_probe. A run's host-time figures are read beside the probes taken before and after it (benchmarks/README.md,
# "The host's phases").
host_probe_init() {
  probe_classes=$1
  command -v javac >/dev/null || fail "javac (a JDK) is needed to build the host probe (HostPhaseProbe.java)"
  mkdir -p "$probe_classes"
  javac -d "$probe_classes" "$root/benchmarks/src/main/java/mmsim/bench/HostPhaseProbe.java" \
    || fail "javac of benchmarks/src/main/java/mmsim/bench/HostPhaseProbe.java failed"
}

# host_probe: the host's cross-core cache-line round trip now, in whole ns, or "-" when the probe gives no figure (one
# host core, or two threads could not get a core each); about 0.3 s
host_probe() {
  local ns
  ns=$(java -cp "$probe_classes" mmsim.bench.HostPhaseProbe 2>/dev/null) || ns=""
  [[ "$ns" =~ ^[0-9]+$ ]] && echo "$ns" || echo "-"
}

# probe_range CSV COLUMN COLUMN2 [FILTER_AWK]: "min-max ns" of two probe columns of CSV's rows (no header), "-" when none
probe_range() {
  awk -F, -v a="$2" -v b="$3" '
    { for (k = 0; k < 2; k++) { v = (k ? $b : $a); if (v ~ /^[0-9]+$/) { if (n == 0 || v < lo) lo = v; if (n == 0 || v > hi) hi = v; n++ } } }
    END { if (n) printf "%d-%d ns", lo, hi; else printf "-" }' "$1"
}
