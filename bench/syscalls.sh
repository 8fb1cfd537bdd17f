#!/usr/bin/env bash
# System calls per transaction of each pooler, by syscall name, under pgbench -S.
#
#   bench/syscalls.sh                              # 50 clients, simple protocol, 10 s window
#   WINDOW=20 MODE=extended bench/syscalls.sh
#   TARGETS=sluice SLUICE_WORKERS=1 bench/syscalls.sh
#
# Environment:
#   WINDOW=10          seconds strace stays attached to the pooler
#   RAMP=3             seconds pgbench runs before strace attaches
#   ROUNDS=1           windows per pooler (alternating); calls and transactions are summed
#   CLIENTS=50         pgbench -c
#   MODE=simple        pgbench -M (simple | extended | prepared)
#   JOBS=2             pgbench -j
#   SCALE=1            pgbench -i -s (the syscall pattern does not depend on it; 1 initialises fast)
#   POOL_SIZE=20       both poolers' pool size (transaction mode)
#   TARGETS="pgbouncer sluice"
#   SLUICE_WORKERS=auto   Sluice `workers:`
#   OUT_DIR=, SLUICE_BIN=, KEEP_TMP=, NICE= (as for run.sh)
#
# Per pooler: pgbench -n -S -c CLIENTS runs RAMP + WINDOW + 5 s with --log (one line per
# transaction, with its completion time). After RAMP s, `strace -C -f -ttt -p PID` attaches to the
# pooler (all its threads) for WINDOW s, logs every system call with a timestamp and counts them
# (the -c table). The traced window runs from the first to the last logged call (attaching and
# detaching take a noticeable, load-dependent time, so the wall time around strace would be too
# long); transactions in it = pgbench log lines whose completion time lies inside. strace stops the
# pooler at every system call, so TPS in the window drops a lot; the counts per transaction are
# what this is for (a slowed-down pooler may find more bytes per read, so read-side counts can be
# slightly lower than at full speed).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=bench/lib.sh
. "$HERE/lib.sh"

WINDOW=${WINDOW:-10}
RAMP=${RAMP:-3}
ROUNDS=${ROUNDS:-1}
CLIENTS=${CLIENTS:-50}
MODE=${MODE:-simple}
JOBS=${JOBS:-2}
SCALE=${SCALE:-1}
POOL_SIZE=${POOL_SIZE:-20}
TARGETS=${TARGETS:-"pgbouncer sluice"}
SLUICE_WORKERS=${SLUICE_WORKERS:-auto}
OUT_DIR=${OUT_DIR:-}

case "$MODE" in simple|extended|prepared) ;; *) die "bad MODE $MODE" ;; esac
for t in $TARGETS; do case "$t" in pgbouncer|sluice) ;; *) die "bad target $t (pgbouncer|sluice)" ;; esac; done
[ "$CLIENTS" -le 190 ] || die "CLIENTS must stay below max_connections - 10 (190)"
require_cmd pgbench "apt-get install -y postgresql-client-15"
require_cmd strace "apt-get install -y strace"
require_cmd timeout "coreutils"
case " $TARGETS " in *" sluice "*) [ -x "$SLUICE_BIN" ] || die "Sluice not found at $SLUICE_BIN (set SLUICE_BIN or build it)" ;; esac
case " $TARGETS " in *" pgbouncer "*) [ -x "$PGBOUNCER_BIN" ] || die "PgBouncer not found at $PGBOUNCER_BIN (apt-get install -y pgbouncer)" ;; esac

LOAD_START=$(load_now)
install_traps
apply_nice
make_tmp
start_postgres trust 200
init_pgbench "$SCALE"
declare -A T_PID T_PORT
for t in $TARGETS; do
    case "$t" in
        pgbouncer) start_pgbouncer trust "$POOL_SIZE"; T_PID[$t]=$PGB_PID; T_PORT[$t]=$PGB_PORT ;;
        sluice) start_sluice trust "$POOL_SIZE" "$SLUICE_WORKERS" || die "sluice: not available ($SL_REASON)"
                T_PID[$t]=$SL_PID; T_PORT[$t]=$SL_PORT ;;
    esac
done

# transactions_between LOGDIR FROM TO: pgbench --log lines completed in [FROM, TO] (epoch seconds).
transactions_between() {
    cat "$1"/tx.* 2>/dev/null | awk -v a="$2" -v b="$3" '{ t = $5 + $6 / 1e6; if (t >= a && t <= b) n++ } END { print n + 0 }'
}

# strace -c's table → "name calls errors" lines (the errors column is empty when there were none).
strace_counts() {
    awk '/^-+ / { part++; next } part == 1 { if (NF == 6) print $6, $4, $5; else if (NF == 5) print $5, $4, 0 }' "$1"
}

COUNTS=$BENCH_TMP/counts.tsv   # target  syscall  calls  errors
TXS=$BENCH_TMP/transactions.tsv  # target  transactions  seconds
: >"$COUNTS"; : >"$TXS"

# measure ROUND TARGET
measure() {
    local r=$1 t=$2 pid=${T_PID[$2]} dir=$BENCH_TMP/runs/r$1_$2 bench w0 w1 rc tx
    mkdir -p "$dir"
    pid_alive "$pid" || die "$t (pid $pid) is not running"
    PGPASSWORD=$BENCH_PASSWORD pgbench -n -S -c "$CLIENTS" -j "$JOBS" -M "$MODE" -T $((RAMP + WINDOW + 5)) \
        --log --log-prefix="$dir/tx" -h 127.0.0.1 -p "${T_PORT[$t]}" -U "$BENCH_USER" "$BENCH_DB" >"$dir/pgbench.out" 2>&1 &
    bench=$!
    BENCH_CHILD_PIDS+=("$bench")
    sleep "$RAMP"
    pid_alive "$bench" || { tail -5 "$dir/pgbench.out" >&2; die "pgbench against $t ended early"; }
    log "round $r/$ROUNDS $t: strace -C -f -p $pid for ${WINDOW}s"
    rc=0
    run_child "$dir/strace.err" timeout -s INT "$WINDOW" \
        strace -C -f -q -ttt -s 0 -e signal=none -p "$pid" -o "$dir/strace.txt" || rc=$?
    # timeout exits 124 when it had to stop strace, which is the normal end here.
    [ $rc = 0 ] || [ $rc = 124 ] || { cat "$dir/strace.err" >&2; die "strace failed (exit $rc)"; }
    grep -q ' total$' "$dir/strace.txt" || { cat "$dir/strace.err" >&2; die "strace wrote no summary"; }
    read -r w0 w1 < <(awk '$1 ~ /^[0-9]+$/ && $2 ~ /^[0-9]+\.[0-9]+$/ && $2 > 1000000 { if (first == "") first = $2; last = $2 } END { print first, last }' "$dir/strace.txt")
    [ -n "$w1" ] || die "no system call of $t was traced"
    pid_alive "$bench" || die "pgbench against $t ended inside the traced window (slow strace detach?)"
    rc=0; wait "$bench" || rc=$?
    BENCH_CHILD_PIDS=("${BENCH_CHILD_PIDS[@]/$bench}")
    [ $rc = 0 ] || { tail -5 "$dir/pgbench.out" >&2; die "pgbench against $t failed (exit $rc)"; }
    tx=$(transactions_between "$dir" "$w0" "$w1")
    rm -f "$dir"/tx.*
    awk '/^% time/ { p = 1 } p' "$dir/strace.txt" >"$dir/strace-summary.txt"   # the table only; the trace is large
    [ -n "${KEEP_TMP:-}" ] || rm -f "$dir/strace.txt"
    [ "$tx" -gt 0 ] || die "no transactions completed through $t in the window"
    strace_counts "$dir/strace-summary.txt" | sed "s/^/$t /" | tr ' ' '\t' >>"$COUNTS"
    printf '%s\t%s\t%s\n' "$t" "$tx" "$(awk -v a="$w0" -v b="$w1" 'BEGIN { printf "%.3f", b - a }')" >>"$TXS"
    log "  $t: $tx transactions in the window ($(awk -v n="$tx" -v a="$w0" -v b="$w1" 'BEGIN { printf "%.0f", n / (b - a) }') TPS under strace)"
}

for r in $(seq 1 "$ROUNDS"); do
    for t in $TARGETS; do measure "$r" "$t"; done
done

# One row per syscall name, one column pair per target: calls per transaction (errors per transaction).
summarize() {
    awk -F'\t' -v targets="$TARGETS" '
    FNR == NR { tx[$1] += $2; secs[$1] += $3; next }
    $2 != "total" { calls[$1, $2] += $3; errs[$1, $2] += $4; names[$2] = 1; total[$1] += $3; terr[$1] += $4 }
    END {
        nt = split(targets, T, " ")
        head = "| syscall |"; rule = "|---|"
        for (i = 1; i <= nt; i++) { head = head " " T[i] " calls/tx | " T[i] " errors/tx |"; rule = rule "---:|---:|" }
        print head; print rule
        # order: by the first target s count, descending
        n = 0
        for (s in names) { n++; list[n] = s }
        for (i = 2; i <= n; i++) { v = list[i]; for (j = i - 1; j >= 1 && key(list[j]) < key(v); j--) list[j + 1] = list[j]; list[j + 1] = v }
        rare = 0
        for (i = 1; i <= n; i++) {
            if (!common(list[i])) {
                rare++
                for (k = 1; k <= nt; k++) { calls[T[k], "(rare)"] += calls[T[k], list[i]]; errs[T[k], "(rare)"] += errs[T[k], list[i]] }
                continue
            }
            row = "| " list[i] " |"
            for (k = 1; k <= nt; k++) row = row cell(calls[T[k], list[i]], T[k]) cell(errs[T[k], list[i]], T[k])
            print row
        }
        if (rare) {
            row = "| " rare " others (each < 0.005/tx) |"
            for (k = 1; k <= nt; k++) row = row cell(calls[T[k], "(rare)"], T[k]) cell(errs[T[k], "(rare)"], T[k])
            print row
        }
        row = "| **total** |"
        for (k = 1; k <= nt; k++) row = row cell(total[T[k]], T[k]) cell(terr[T[k]], T[k])
        print row
        row = "| transactions in window (TPS under strace) |"
        for (k = 1; k <= nt; k++) row = row sprintf(" %d (%.0f) | |", tx[T[k]], (secs[T[k]] > 0) ? tx[T[k]] / secs[T[k]] : 0)
        print row
    }
    function key(s,    k, sum) { sum = 0; for (k = 1; k <= nt; k++) sum += calls[T[k], s] / (tx[T[k]] > 0 ? tx[T[k]] : 1); return sum }
    function common(s,    k) { for (k = 1; k <= nt; k++) if (tx[T[k]] > 0 && calls[T[k], s] / tx[T[k]] >= 0.005) return 1; return 0 }
    function cell(v, t) { return (v == "" || v == 0) ? " – |" : sprintf(" %.2f |", v / tx[t]) }
    ' "$TXS" "$COUNTS"
}

{
    echo "## System calls per transaction $(date -u +%Y-%m-%dT%H:%MZ)"
    echo
    echo "- machine: $(nproc) cores, $(uname -sr); PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}'); $("$PGBOUNCER_BIN" --version 2>/dev/null | head -1); $(strace -V | head -1)"
    echo "- sluice: $SLUICE_BIN (workers: $SLUICE_WORKERS)"
    echo "- load average (1/5/15 min) at start: $LOAD_START; at end: $(load_now)${NICE:+; everything ran at nice $NICE}"
    echo "- workload: pgbench -n -S -M $MODE -c $CLIENTS -j $JOBS, scale $SCALE, trust auth; pool size $POOL_SIZE (transaction mode); strace -C -f -ttt -p PID attached for ${WINDOW}s after ${RAMP}s, $ROUNDS round(s) per pooler"
    echo "- calls/tx: calls counted by strace ÷ transactions pgbench completed between the first and the last traced call; errors are mostly EAGAIN"
    echo
    summarize
} >"$BENCH_TMP/results.md"
echo
cat "$BENCH_TMP/results.md"
if [ -n "$OUT_DIR" ]; then
    mkdir -p "$OUT_DIR" && cp "$BENCH_TMP/results.md" "$OUT_DIR/syscalls.md" && cp "$COUNTS" "$TXS" "$OUT_DIR/"
fi
