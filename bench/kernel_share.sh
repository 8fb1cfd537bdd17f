#!/usr/bin/env bash
# Where each pooler's CPU goes: the kernel against its own code, sampled by `perf record`, with
# the pooler alone in front of the fake backend (bench/fake_pg_backend.cpp), one pooler at a time.
#
#   bench/kernel_share.sh                           # PgBouncer and Sluice (workers: 1), 50 clients
#   CLIENTS=10 TARGETS=sluice bench/kernel_share.sh
#   KEEP_PROFILES=/tmp/perf bench/kernel_share.sh   # keep perf.data files for `perf report -g`
#
# Why: on this machine most of a pooler's CPU per transaction is the kernel's (the loopback
# sends, the peers' wake-ups, system-call entry), which no pooler can avoid; this shows how
# much, so the CPU benchmarks (bench/pooler_only.sh, bench/run.sh) can be read against it.
#
# Environment:
#   CLIENTS=50        pgbench -c (simple protocol, `select 1;`, -j 2)
#   POOL_SIZE=20      both poolers' pool size (transaction mode)
#   RAMP=3            seconds pgbench runs before perf attaches
#   WINDOW=6          seconds perf samples the pooler (all its threads, with call graphs)
#   TARGETS="pgbouncer sluice"
#   SLUICE_WORKERS=1  Sluice `workers:`
#   SLUICE_BIN=, KEEP_TMP=, NICE= (as for run.sh)
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=bench/lib.sh
. "$HERE/lib.sh"

CLIENTS=${CLIENTS:-50}
POOL_SIZE=${POOL_SIZE:-20}
RAMP=${RAMP:-3}
WINDOW=${WINDOW:-6}
TARGETS=${TARGETS:-"pgbouncer sluice"}
SLUICE_WORKERS=${SLUICE_WORKERS:-1}

require_cmd perf "apt-get install -y linux-perf"
require_cmd pgbench "apt-get install -y postgresql-client-15"
install_traps
apply_nice
make_tmp
echo 'select 1;' >"$BENCH_TMP/select1.sql"

start_fake_backend

# sample NAME PORT PID: pgbench for RAMP + WINDOW + 3 s, perf on PID for WINDOW s in between;
# prints one table row: the share of samples per binary (kernel, the pooler, libc, the rest).
sample() {
    local name=$1 port=$2 pid=$3 data=$BENCH_TMP/$1.perf.data
    PGPASSWORD=$BENCH_PASSWORD pgbench -n -f "$BENCH_TMP/select1.sql" -c "$CLIENTS" -j 2 -T "$((RAMP + WINDOW + 3))" \
        -h 127.0.0.1 -p "$port" -U "$BENCH_USER" "$BENCH_DB" >"$BENCH_TMP/$name.pgbench" 2>&1 &
    local client=$!
    sleep "$RAMP"
    perf record -q -g -o "$data" -p "$pid" -- sleep "$WINDOW" >/dev/null 2>&1 || die "$name: perf record failed"
    wait "$client" || die "$name: pgbench failed"
    if [ -n "${KEEP_PROFILES:-}" ]; then mkdir -p "$KEEP_PROFILES" && cp "$data" "$KEEP_PROFILES/"; fi
    perf report -i "$data" --no-children --sort dso -g none --stdio 2>/dev/null | awk -v name="$name" '
        /^ *[0-9.]+%/ {
            share = $1; sub("%", "", share); dso = $2
            if (dso ~ /kernel/) kernel += share
            else if (dso ~ /^libc/) libc += share
            else if (dso == "pgbouncer" || dso == "sluice") own += share
            else other += share
        }
        END { printf "| %s | %.1f %% | %.1f %% | %.1f %% | %.1f %% |\n", name, kernel, own, libc, other }'
}

printf '| pooler | kernel | its own code | libc | other libraries (libevent, libstdc++, vdso) |\n|---|---:|---:|---:|---:|\n'
for target in $TARGETS; do
    case "$target" in
        pgbouncer)
            start_pgbouncer trust "$POOL_SIZE"
            sample PgBouncer "$PGB_PORT" "$PGB_PID"
            stop_pid "$PGB_PID" 10
            ;;
        sluice)
            start_sluice trust "$POOL_SIZE" "$SLUICE_WORKERS" || die "sluice did not start: $SL_REASON"
            sample "Sluice w$SLUICE_WORKERS" "$SL_PORT" "$SL_PID"
            stop_pid "$SL_PID" 10
            ;;
        *) die "bad target $target (pgbouncer|sluice)" ;;
    esac
done
