#!/usr/bin/env bash
# The poolers' own user-space instructions per transaction, counted by valgrind's callgrind in
# front of the fake backend (bench/fake_pg_backend.cpp), PgBouncer and Sluice in the same run.
#
# Why: on a shared 2-core VM, CPU time per transaction moves ±15 % between rounds; the number of
# instructions a pooler executes per transaction does not (two runs of one binary agree within
# 1 %), so it shows what a hot-path change saved in user space even on a noisy machine. It does not
# count the kernel's share (the system calls: bench/syscalls.sh) and says nothing about cache
# misses; the CPU benchmarks (bench/pooler_only.sh, bench/run.sh) remain the measure of record.
#
#   bench/instructions.sh                                  # simple and extended, pgbouncer + sluice
#   SLUICE_BINS="/tmp/old/sluice build/sluice" bench/instructions.sh   # before/after
#   MODES=simple TRANSACTIONS=200 bench/instructions.sh
#   KEEP_PROFILES=/tmp/profiles bench/instructions.sh      # keep the dumps for callgrind_annotate
#   ROWS=1000 TRANSACTIONS=40 bench/instructions.sh         # each SELECT returns 1000 rows: the cost per row
#
# Each target runs under callgrind with `workers: 1` (Sluice) in front of one fake backend;
# pgbench -c CLIENTS fills the pools, the counters are zeroed, pgbench -c CLIENTS -t
# TRANSACTIONS runs, the counters are dumped: instructions ÷ (CLIENTS × TRANSACTIONS), logins
# of the measured pgbench included (one per client, ~1 % of the total at the defaults).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"

MODES=${MODES:-"simple extended"}
CLIENTS=${CLIENTS:-50}
TRANSACTIONS=${TRANSACTIONS:-400}
POOL_SIZE=${POOL_SIZE:-20}
ROWS=${ROWS:-1}
SLUICE_BINS=${SLUICE_BINS:-$SLUICE_BIN}
TARGETS=${TARGETS:-"pgbouncer sluice"}

require_cmd valgrind "apt-get install -y valgrind"
require_cmd callgrind_control "apt-get install -y valgrind"
require_cmd pgbench "apt-get install -y postgresql-client"
install_traps
make_tmp
echo 'select 1;' >"$BENCH_TMP/select1.sql"

start_fake_backend "$ROWS"

# measure NAME PORT PID AS_USER...: zero, run pgbench, dump; prints instructions per transaction.
measure() {
    local name=$1 port=$2 pid=$3 mode=$4 out=$5; shift 5
    local control=("$@" callgrind_control)
    PGPASSWORD=$BENCH_PASSWORD pgbench -n -M "$mode" -f "$BENCH_TMP/select1.sql" -c "$CLIENTS" -j 2 -t 20 \
        -h 127.0.0.1 -p "$port" -U "$BENCH_USER" "$BENCH_DB" >/dev/null 2>&1 || die "$name: warm-up pgbench failed"
    "${control[@]}" -z "$pid" >/dev/null 2>&1
    PGPASSWORD=$BENCH_PASSWORD pgbench -n -M "$mode" -f "$BENCH_TMP/select1.sql" -c "$CLIENTS" -j 2 -t "$TRANSACTIONS" \
        -h 127.0.0.1 -p "$port" -U "$BENCH_USER" "$BENCH_DB" >"$out.pgbench" 2>&1 || die "$name: pgbench failed"
    "${control[@]}" -d "$pid" >/dev/null 2>&1
    for _ in $(seq 1 50); do [ -s "$out.1" ] && break; sleep 0.1; done
    if [ -n "${KEEP_PROFILES:-}" ]; then mkdir -p "$KEEP_PROFILES" && cp "$out.1" "$KEEP_PROFILES/$(basename "$out")"; fi
    awk -v i="$(dumped_instructions "$out.1")" -v n="$((CLIENTS * TRANSACTIONS))" 'BEGIN { printf "%.0f", i / n }'
}

printf '| target | mode | rows per SELECT | instructions per transaction |\n|---|---|---:|---:|\n'
for mode in $MODES; do
    for target in $TARGETS; do
        if [ "$target" = pgbouncer ]; then
            out=$BENCH_TMP/callgrind.pgbouncer.$mode
            callgrind_wrapper "$PGBOUNCER_BIN" "$out" "$BENCH_TMP/pgbouncer-callgrind"
            PGBOUNCER_BIN=$BENCH_TMP/pgbouncer-callgrind start_pgbouncer trust "$POOL_SIZE"
            per=$(measure pgbouncer "$PGB_PORT" "$PGB_PID" "$mode" "$out" "${AS_PG[@]}")
            stop_pid "$PGB_PID" 10
            printf '| PgBouncer | %s | %s | %s |\n' "$mode" "$ROWS" "$per"
            continue
        fi
        for binary in $SLUICE_BINS; do
            out=$BENCH_TMP/callgrind.sluice.$mode.$(echo "$binary" | tr '/' '_')
            callgrind_wrapper "$(readlink -f "$binary")" "$out" "$BENCH_TMP/sluice-callgrind"
            SLUICE_BIN=$BENCH_TMP/sluice-callgrind start_sluice trust "$POOL_SIZE" 1 "sluice-$mode" \
                || die "sluice did not start under valgrind: $SL_REASON"
            per=$(measure sluice "$SL_PORT" "$SL_PID" "$mode" "$out")
            stop_pid "$SL_PID" 10
            printf '| Sluice `workers: 1` (%s) | %s | %s | %s |\n' "$binary" "$mode" "$ROWS" "$per"
        done
    done
done
