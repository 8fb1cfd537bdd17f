#!/usr/bin/env bash
# Idle-client cost of the proxies: memory per idle client connection and CPU
# burned while N clients sit idle.
#
#   bench/idle_memory.sh                              # 10000 clients, 60 s hold
#   IDLE_CLIENTS=2000 HOLD=10 bench/idle_memory.sh    # quick run
#
# Environment:
#   IDLE_CLIENTS=10000   connections opened to each proxy (the client tool needs N+32 fds; cap is 20000)
#   HOLD=60              seconds the clients stay idle while the proxy's CPU time is measured
#   POOL_SIZE=20         pool size for both proxies (transaction mode)
#   TARGETS="pgbouncer sluice"
#   IDLE_BATCH=200       connection attempts in flight at once
#   IDLE_QUERY=0         1 = every client runs SELECT 1 once before the hold (touches the pool/buffers)
#   SETTLE=2             seconds to wait after the last connect before reading RSS
#   OUT_DIR=             if set, results.md is copied there
#   SLUICE_BIN=/work/main/build/sluice, KEEP_TMP=, NICE= (as for run.sh)
#
# Per proxy: RSS (VmRSS of the proxy PID, all threads) before the clients connect
# (after one warm-up query, so the first server connection is already open),
# after all N are connected, at the end of the hold and after they disconnect;
# CPU (utime+stime from /proc/PID/stat) used while accepting the N clients and
# during the idle hold. Trust auth only, for connect speed.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=bench/lib.sh
. "$HERE/lib.sh"

IDLE_CLIENTS=${IDLE_CLIENTS:-10000}
HOLD=${HOLD:-60}
POOL_SIZE=${POOL_SIZE:-20}
TARGETS=${TARGETS:-"pgbouncer sluice"}
IDLE_BATCH=${IDLE_BATCH:-200}
IDLE_QUERY=${IDLE_QUERY:-0}
SETTLE=${SETTLE:-2}
OUT_DIR=${OUT_DIR:-}

for t in $TARGETS; do case "$t" in pgbouncer|sluice) ;; *) die "bad target $t (pgbouncer|sluice)" ;; esac; done
[ "$IDLE_CLIENTS" -le 19900 ] || die "IDLE_CLIENTS must stay below the 20000 open-file cap"

install_traps
apply_nice
make_tmp

IDLE_BIN=$BENCH_TMP/idle_clients
build_tool "$HERE/idle_clients.cpp" "$IDLE_BIN" -lpq   # needs libpq-dev

start_postgres trust 200
SLUICE_OK=0
case " $TARGETS " in *" pgbouncer "*) start_pgbouncer trust "$POOL_SIZE" ;; esac
case " $TARGETS " in *" sluice "*) start_sluice trust "$POOL_SIZE" && SLUICE_OK=1 ;; esac

ROWS=()
kib_per() { awk -v a="$1" -v b="$2" -v n="$3" 'BEGIN { if (n > 0) printf "%.2f", (b - a) / n; else print "NA" }'; }
secs() { awk -v t="$1" -v hz="$CLK_TCK" 'BEGIN { printf "%.2f", t / hz }'; }

# measure NAME PID PORT
measure() {
    local name=$1 pid=$2 port=$3 out=$BENCH_TMP/idle-$1 qflag=""
    [ "$IDLE_QUERY" = 1 ] && qflag=-q
    pg_query "$port" "SELECT 1" >/dev/null || { log "$name: warm-up query failed"; }
    sleep 1
    local rss0 cpu0 rss1 cpu1 cpu1b cpu2 rss2 rss3 ready done_line tool
    rss0=$(rss_kib "$pid"); cpu0=$(cpu_ticks "$pid")
    log "$name (pid $pid): RSS ${rss0} KiB before; opening $IDLE_CLIENTS idle clients"
    # Upper bound on the hold; we end it with SIGTERM once HOLD is measured.
    "$IDLE_BIN" -n "$IDLE_CLIENTS" -H $((HOLD + 600)) -b "$IDLE_BATCH" $qflag \
        "host=127.0.0.1 port=$port dbname=$BENCH_DB user=$BENCH_USER sslmode=disable gssencmode=disable application_name=idle" \
        >"$out.out" 2>"$out.err" &
    tool=$!
    BENCH_CHILD_PIDS+=("$tool")
    ready=""
    for _ in $(seq 1 3000); do                      # up to 10 minutes
        ready=$(grep '^READY' "$out.out" 2>/dev/null)
        [ -n "$ready" ] && break
        pid_alive "$tool" || break
        sleep 0.2
    done
    if [ -z "$ready" ]; then
        log "$name: idle_clients did not get its clients up:"; tail -5 "$out.err" | sed 's/^/    /' >&2
        stop_pid "$tool" 2
        ROWS+=("| $name | $IDLE_CLIENTS | $rss0 | connect phase failed | | | | | | |")
        return
    fi
    local connected failed connect_s
    connected=$(sed -n 's/.*connected=\([0-9]*\).*/\1/p' <<<"$ready")
    failed=$(sed -n 's/.*failed=\([0-9]*\).*/\1/p' <<<"$ready")
    connect_s=$(sed -n 's/.*seconds=\([0-9.]*\).*/\1/p' <<<"$ready")
    [ "$failed" = 0 ] || { log "$name: $failed connections failed:"; head -5 "$out.err" | sed 's/^/    /' >&2; }
    cpu1=$(cpu_ticks "$pid")
    sleep "$SETTLE"
    rss1=$(rss_kib "$pid"); cpu1b=$(cpu_ticks "$pid")
    log "$name: $connected connected in ${connect_s}s, RSS ${rss1} KiB; idle hold ${HOLD}s"
    sleep "$HOLD"
    cpu2=$(cpu_ticks "$pid"); rss2=$(rss_kib "$pid")
    if ! pid_alive "$pid"; then
        log "$name: proxy process exited during the measurement"
        stop_pid "$tool" 2
        ROWS+=("| $name | $connected/$IDLE_CLIENTS | $rss0 | $rss1 | $(kib_per "$rss0" "$rss1" "$connected") | proxy exited during the hold | | | | |")
        return
    fi
    kill -TERM "$tool" 2>/dev/null
    wait "$tool" 2>/dev/null
    done_line=$(grep '^DONE' "$out.out")
    local alive
    alive=$(sed -n 's/.*alive=\([0-9]*\/[0-9]*\).*/\1/p' <<<"$done_line")
    sleep "$SETTLE"
    rss3=$(rss_kib "$pid")
    local after_ok=yes
    pg_query "$port" "SELECT 1" >/dev/null 2>&1 || after_ok=no
    log "$name: alive at end ${alive:-?}; RSS ${rss2} KiB at end of hold, ${rss3} KiB after close; idle CPU $(secs $((cpu2 - cpu1b)))s"
    ROWS+=("| $name | $connected/$IDLE_CLIENTS | $rss0 | $rss1 | $(kib_per "$rss0" "$rss1" "$connected") | $rss2 | $rss3 | $(secs $((cpu1 - cpu0))) ($connect_s s) | $(secs $((cpu2 - cpu1b))) | ${alive:-?}, SELECT 1 after: $after_ok |")
}

for t in $TARGETS; do
    case "$t" in
        pgbouncer) measure pgbouncer "$PGB_PID" "$PGB_PORT" ;;
        sluice)
            if [ "$SLUICE_OK" = 1 ] && pid_alive "$SL_PID"; then measure sluice "$SL_PID" "$SL_PORT"
            else ROWS+=("| sluice | sluice: not available (${SL_REASON:-?}) | | | | | | | | |"); fi ;;
    esac
done

{
    echo "## Idle clients $(date -u +%Y-%m-%dT%H:%MZ)"
    echo
    echo "- machine: $(nproc) cores, $(uname -sr); $("$PGBOUNCER_BIN" --version 2>/dev/null | head -1); sluice: $( [ "$SLUICE_OK" = 1 ] && echo "$SLUICE_BIN" || echo "not available (${SL_REASON:-not requested})")"
    echo "- load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "- $IDLE_CLIENTS clients (trust auth, no TLS$( [ "$IDLE_QUERY" = 1 ] && echo ", one SELECT 1 each")), hold ${HOLD}s, pool size $POOL_SIZE, transaction mode"
    echo
    echo "| proxy | clients | RSS before KiB | RSS connected KiB | KiB / idle client | RSS end of hold KiB | RSS after close KiB | CPU s to accept (wall) | CPU s during ${HOLD}s idle | alive at end |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"
    printf '%s\n' "${ROWS[@]}"
} >"$BENCH_TMP/results.md"
echo
cat "$BENCH_TMP/results.md"
if [ -n "$OUT_DIR" ]; then mkdir -p "$OUT_DIR" && cp "$BENCH_TMP/results.md" "$OUT_DIR/idle_results.md"; fi
