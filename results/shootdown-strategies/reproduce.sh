#!/usr/bin/env bash
# Reproduces results/shootdown-strategies: runs the sweep (1080 deterministic runs, about 16 minutes on 2 host
# cores with JOBS=2), merges it, plots it under each cost profile, and copies what is published (the merged table,
# the plots, the reports, every run's manifest, settings and summary) into this directory.
#
# Run it from a full clone (not a linked git worktree: the jar's version stamp would name the main checkout) at the
# commit the runs' manifests name, with a clean working tree. The modeled columns of merged.csv then come out
# identical; host-time columns (run.wall_ns, *_ns, host percentiles) are this host's.
#
#   bash results/shootdown-strategies/reproduce.sh          # OUT=runs/shootdown-strategies JOBS=2 by default
#
# RUNS_PER_JVM=N (default 1, as published) runs N runs one after another in each JVM (mmsim sweep --runs-per-jvm):
# much faster for these short runs, the same modeled columns; the host-time columns are then those of warm JVMs.
set -euo pipefail
cd "$(dirname "$0")/../.."
here=results/shootdown-strategies
out="${OUT:-runs/shootdown-strategies}"
jobs="${JOBS:-2}"
runs_per_jvm="${RUNS_PER_JVM:-1}"

./mmsim sweep "$here/sweep.yaml" --out "$out" --jobs "$jobs" --runs-per-jvm "$runs_per_jvm"
./mmsim merge "$out"
# the percentile curves are drawn for one slice (the most CPUs, the first profile): once per profile
./mmsim plot "$out"
./mmsim plot "$out" --where cost.profile=skylake-server --out "$out/skylake-server"

rm -rf "$here/plots" "$here/skylake-server"
cp "$out/merged.csv" "$out/report.html" "$here/"
cp -r "$out/plots" "$here/plots"
mkdir -p "$here/skylake-server"
cp -r "$out/skylake-server/plots" "$out/skylake-server/report.html" "$here/skylake-server/"
# every run's manifest (commit, JVM, host, seed, command), settings, sweep point and summary; the interval logs
# (.hlog, 150 MB) stay in $out
# (in file-kind order, every config.json, then every manifest.json, ...: like files side by side compress tenfold)
(cd "$out" && find . -mindepth 2 -maxdepth 2 \( -name manifest.json -o -name config.json -o -name point.json \
    -o -name summary.json \) | awk -F/ '{ print $3 "\t" $0 }' | sort | cut -f2 \
    | tar --owner=0 --group=0 --mtime=@0 -cf - -T - | gzip -n -9) > "$here/runs.tar.gz"
python3 "$here/table.py" "$here/merged.csv" > "$here/table.md"
echo "published into $here"
