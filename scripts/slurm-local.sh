#!/usr/bin/env bash
# A one-node Slurm on this machine, to try 'mmsim slurm' without a cluster (and for its integration test,
# SlurmIntegrationTest). Debian/Ubuntu, as root.
#
#   scripts/slurm-local.sh start    install slurm-wlm and munge if missing (apt-get), write a one-node
#                                   /etc/slurm/slurm.conf for this host, start munged, slurmctld and slurmd,
#                                   wait until sinfo shows the node idle
#   scripts/slurm-local.sh stop     stop the daemons this script started (by their pid files)
#   scripts/slurm-local.sh status   say whether they run, and show sinfo; exit status 0 when they do
#
# State, logs and pid files live in $MMSIM_SLURM_DIR (default /var/tmp/mmsim-slurm). It never overwrites a
# slurm.conf it did not write. Exit status: 0 done; 3 Slurm cannot be had here (not root, no apt-get, the
# packages cannot be installed): what the integration test skips on; 1 anything else.
set -euo pipefail

STATE=${MMSIM_SLURM_DIR:-/var/tmp/mmsim-slurm}
CONF=/etc/slurm/slurm.conf
MARK="# Written by mmsim's scripts/slurm-local.sh: a one-node Slurm for this host."
WAIT_SECONDS=${MMSIM_SLURM_WAIT:-60}

say() { echo "slurm-local: $*" >&2; }
unavailable() { say "$*"; exit 3; }
fail() { say "$*"; exit 1; }

have_slurm() {
  command -v slurmctld >/dev/null && command -v slurmd >/dev/null && command -v sbatch >/dev/null \
    && command -v munged >/dev/null && command -v munge >/dev/null
}

install() {
  if have_slurm; then
    return
  fi
  [ "$(id -u)" -eq 0 ] || unavailable "Slurm is not installed and installing it needs root (this is uid $(id -u))"
  command -v apt-get >/dev/null || unavailable "Slurm is not installed and there is no apt-get to install it with"
  say "installing slurm-wlm and munge with apt-get (a few minutes the first time)"
  local started=$SECONDS
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y -q slurm-wlm munge >"$STATE/apt.log" 2>&1; then
    apt-get update -q >>"$STATE/apt.log" 2>&1 || true
    apt-get install -y -q slurm-wlm munge >>"$STATE/apt.log" 2>&1 \
      || unavailable "apt-get could not install slurm-wlm and munge (see $STATE/apt.log): $(tail -1 "$STATE/apt.log")"
  fi
  have_slurm || unavailable "slurm-wlm installed, but slurmctld, slurmd, sbatch or munged is still missing"
  say "installed in $((SECONDS - started)) s"
}

alive() { # pid file
  [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null
}

write_conf() {
  if [ -f "$CONF" ] && ! grep -qF "$MARK" "$CONF"; then
    fail "$CONF exists and was not written by this script; not touching it (move it away to use this script)"
  fi
  local host cpus mem
  host=$(hostname -s)
  cpus=$(nproc --all)
  # slurmd drains a node whose real memory is below RealMemory: claim 90% of it
  mem=$(awk '/^MemTotal:/ { print int($2 / 1024 * 0.9) }' /proc/meminfo)
  mkdir -p /etc/slurm
  cat >"$CONF" <<EOF
$MARK
# Its state, logs and pid files: $STATE. Stop it with scripts/slurm-local.sh stop.
ClusterName=mmsim-local
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
StateSaveLocation=$STATE/spool/ctld
SlurmdSpoolDir=$STATE/spool/d
SlurmctldPidFile=$STATE/run/slurmctld.pid
SlurmdPidFile=$STATE/run/slurmd.pid
SlurmctldLogFile=$STATE/log/slurmctld.log
SlurmdLogFile=$STATE/log/slurmd.log
NodeName=$host CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=local Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
  say "wrote $CONF: node $host, $cpus CPUs, $mem MiB, partition local"
}

start_munge() {
  if munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
    return # a munged already answers (ours or the system's)
  fi
  if [ ! -f /etc/munge/munge.key ]; then
    mkdir -p /etc/munge
    dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
  fi
  chown munge:munge /etc/munge/munge.key
  chmod 400 /etc/munge/munge.key
  mkdir -p /run/munge /var/log/munge /var/lib/munge
  chown munge:munge /run/munge /var/log/munge /var/lib/munge
  runuser -u munge -- /usr/sbin/munged
  touch "$STATE/run/munged.ours"
  local i
  for i in $(seq 1 50); do
    if munge -n | unmunge >/dev/null 2>&1; then
      return
    fi
    sleep 0.1
  done
  fail "munged started but 'munge -n | unmunge' does not succeed (see /var/log/munge/munged.log)"
}

node_state() {
  sinfo -h -N -o '%T' 2>/dev/null | head -1
}

start() {
  mkdir -p "$STATE/spool/ctld" "$STATE/spool/d" "$STATE/log" "$STATE/run"
  local started=$SECONDS
  install
  if alive "$STATE/run/slurmctld.pid" && alive "$STATE/run/slurmd.pid" && [ "$(node_state)" = idle ]; then
    say "already running: $(sinfo -h -N -o '%N %T %c CPUs %m MiB')"
    return
  fi
  [ "$(id -u)" -eq 0 ] || unavailable "starting Slurm's daemons needs root (this is uid $(id -u))"
  write_conf
  start_munge
  alive "$STATE/run/slurmctld.pid" || slurmctld -f "$CONF" || fail "slurmctld did not start (see $STATE/log/slurmctld.log)"
  alive "$STATE/run/slurmd.pid" || slurmd -f "$CONF" || fail "slurmd did not start (see $STATE/log/slurmd.log)"
  local deadline=$((SECONDS + WAIT_SECONDS)) state=""
  while [ $SECONDS -lt $deadline ]; do
    state=$(node_state)
    case "$state" in
      idle) say "up in $((SECONDS - started)) s: $(sinfo -h -N -o '%N %T, %c CPUs, %m MiB, partition %P')"; return ;;
      down*|drain*) scontrol update nodename="$(hostname -s)" state=resume >/dev/null 2>&1 || true ;;
    esac
    sleep 0.5
  done
  fail "the node is not idle after ${WAIT_SECONDS} s (state: '${state:-no answer}'; see $STATE/log/)"
}

stop_pid() { # name pid-file
  local pid i
  [ -f "$2" ] || return 0
  pid=$(cat "$2")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    for i in $(seq 1 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      say "$1 (pid $pid) did not stop in 10 s: killing it"
      kill -9 "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$2"
  say "stopped $1"
}

stop() {
  if command -v scancel >/dev/null && [ -f "$STATE/run/slurmctld.pid" ] && alive "$STATE/run/slurmctld.pid"; then
    scancel --quiet --full --user="$(id -un)" 2>/dev/null || true
  fi
  stop_pid slurmd "$STATE/run/slurmd.pid"
  stop_pid slurmctld "$STATE/run/slurmctld.pid"
  if [ -f "$STATE/run/munged.ours" ]; then
    stop_pid munged /run/munge/munged.pid
    rm -f "$STATE/run/munged.ours"
  fi
}

status() { # exit status 0 when both daemons this script starts are running
  local d up=0
  for d in slurmctld slurmd; do
    if alive "$STATE/run/$d.pid"; then
      echo "$d: running (pid $(cat "$STATE/run/$d.pid"))"
    else
      echo "$d: not running"
      up=1
    fi
  done
  if [ $up -eq 0 ] && command -v sinfo >/dev/null; then sinfo 2>&1 || true; fi
  return $up
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 1 ;;
esac
