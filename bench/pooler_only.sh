#!/usr/bin/env bash
# Pooler-only benchmark: the CPU a pooler spends per transaction, with a backend that costs
# next to nothing (bench/fake_pg_backend.cpp) instead of PostgreSQL.
#
#   bench/pooler_only.sh                                   # defaults below
#   ROUNDS=3 DURATION=10 bench/pooler_only.sh              # the "before" numbers in docs/benchmarks.md
#   CLIENTS="10 50 200" MODES=simple TARGETS="pgbouncer sluice-w1" bench/pooler_only.sh
#
# Environment:
#   ROUNDS=3           rounds; the order of the targets rotates every round
#   DURATION=10        seconds of the measurement window per run
#   RAMP=2             seconds pgbench runs before the window opens (connections, pool fill)
#   CLIENTS="50"       pgbench client counts (-c)
#   MODES="simple extended"   pgbench -M protocol modes (prepared also works)
#   JOBS=2             pgbench threads (-j)
#   POOL_SIZE=20       server connections per pool (PgBouncer default_pool_size, Sluice pool_size)
#   ROWS=1             rows the fake backend returns per SELECT (ROWS=100: a pooler's cost per row)
#   TARGETS="direct pgbouncer sluice-w1 sluice-w2"
#                      direct = pgbench straight to the fake backend (no pooler: the ceiling of
#                      client + backend); sluice-wN = Sluice with `workers: N` (any N);
#                      relay = bench/floor_relay.cpp, a byte-copying proxy with no logic and one
#                      backend per client: the floor of any pooler's CPU on this kernel
#   WARMUP=2           seconds of unrecorded pgbench per target before round 1
#   OUT_DIR=           if set, results.tsv and results.md are copied there
#   SLUICE_BIN=/work/main/build/sluice, KEEP_TMP=, NICE= (as for run.sh)
#
# Per run: pgbench -n -f (select 1;) -M MODE -c C runs RAMP + DURATION + 2 s; the window is the
# DURATION s after RAMP. At both ends of the window the script reads utime+stime of the pooler,
# the fake backend and pgbench (/proc/PID/stat), and the fake backend's count of answered
# SELECTs/Executes (SIGUSR1 → "COUNTS"), i.e. the transactions completed in exactly that window.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=bench/lib.sh
. "$HERE/lib.sh"

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10}
RAMP=${RAMP:-2}
CLIENTS=${CLIENTS:-50}
MODES=${MODES:-"simple extended"}
JOBS=${JOBS:-2}
POOL_SIZE=${POOL_SIZE:-20}
TARGETS=${TARGETS:-"direct pgbouncer sluice-w1 sluice-w2"}
WARMUP=${WARMUP:-2}
OUT_DIR=${OUT_DIR:-}

for m in $MODES; do case "$m" in simple|extended|prepared) ;; *) die "bad mode $m" ;; esac; done
for t in $TARGETS; do
    case "$t" in direct|pgbouncer|relay|sluice-w[1-9]|sluice-w[1-9][0-9]) ;; *) die "bad target $t (direct|pgbouncer|relay|sluice-wN)" ;; esac
done
for c in $CLIENTS; do
    case "$c" in ''|*[!0-9]*) die "bad client count $c" ;; esac
    if [ "$c" -lt 1 ] || [ "$c" -gt 5000 ]; then die "client count $c out of range 1..5000"; fi
done
require_cmd pgbench "apt-get install -y postgresql-client-15"
case " $TARGETS " in *" pgbouncer "*) [ -x "$PGBOUNCER_BIN" ] || die "PgBouncer not found at $PGBOUNCER_BIN (apt-get install -y pgbouncer)" ;; esac

LOAD_START=$(load_now)
install_traps
apply_nice
make_tmp
RES=$BENCH_TMP/results.tsv
printf 'round\tclients\tmode\ttarget\tstatus\twindow_s\ttransactions\tpooler_ticks\tbackend_ticks\tclient_ticks\tpgbench_tps\n' >"$RES"
echo 'select 1;' >"$BENCH_TMP/select1.sql"

# --- the fake backend ---
start_fake_backend "${ROWS:-1}"

# Transactions the fake backend has answered so far (asks it with SIGUSR1).
backend_transactions() {
    local before n
    before=$(grep -c '^COUNTS' "$FAKE_OUT")
    kill -USR1 "$FAKE_PID" 2>/dev/null || return 1
    for _ in $(seq 1 400); do
        n=$(grep -c '^COUNTS' "$FAKE_OUT")
        [ "$n" -gt "$before" ] && break
        sleep 0.005
    done
    grep '^COUNTS' "$FAKE_OUT" | tail -1 | sed -n 's/.*transactions=\([0-9]*\).*/\1/p'
}

# --- the poolers in front of it ---
declare -A T_PID T_PORT T_WHY
T_PORT[direct]=$PG_PORT ; T_PID[direct]=""
for t in $TARGETS; do
    case "$t" in
        pgbouncer) start_pgbouncer trust "$POOL_SIZE"; T_PID[$t]=$PGB_PID; T_PORT[$t]=$PGB_PORT ;;
        relay) start_floor_relay "$PG_PORT"; T_PID[$t]=$RELAY_PID; T_PORT[$t]=$RELAY_PORT ;;
        sluice-w*)
            if start_sluice trust "$POOL_SIZE" "${t#sluice-w}" "$t"; then T_PID[$t]=$SL_PID; T_PORT[$t]=$SL_PORT
            else T_WHY[$t]=$SL_REASON; fi ;;
    esac
done
SL_PID=""   # every instance is in BENCH_SERVER_PIDS

# Why TARGET cannot run now ("" = it can).
unavailable() {
    local t=$1
    [ -n "${T_WHY[$t]:-}" ] && { echo "n/a"; return; }
    [ "$t" = direct ] && return
    pid_alive "${T_PID[$t]}" || { T_WHY[$t]="process exited during the benchmark"; echo "n/a"; }
}

# measure_one ROUND C MODE TARGET
measure_one() {
    local r=$1 c=$2 mode=$3 t=$4 dir why pid ppid rc t0 t1 w0 w1
    local p0 p1 b0 b1 k0 k1 x0 x1 tps
    why=$(unavailable "$t")
    if [ -n "$why" ]; then
        printf '%s\t%s\t%s\t%s\t%s\tNA\tNA\tNA\tNA\tNA\tNA\n' "$r" "$c" "$mode" "$t" "$why" >>"$RES"; return
    fi
    ppid=${T_PID[$t]}
    dir=$BENCH_TMP/runs/r${r}_c${c}_${mode}_${t}
    mkdir -p "$dir"
    pgbench -n -f "$BENCH_TMP/select1.sql" -M "$mode" -c "$c" -j "$JOBS" -T $((RAMP + DURATION + 2)) \
        -h 127.0.0.1 -p "${T_PORT[$t]}" -U "$BENCH_USER" "$BENCH_DB" >"$dir/out" 2>&1 &
    pid=$!
    BENCH_CHILD_PIDS+=("$pid")
    t0=$(awk -v n="$(now_epoch)" -v r="$RAMP" 'BEGIN { printf "%.6f", n + r }')
    sleep_until "$t0"
    w0=$(now_epoch); p0=$( [ -n "$ppid" ] && cpu_ticks "$ppid"); b0=$(cpu_ticks "$FAKE_PID"); k0=$(cpu_ticks "$pid")
    x0=$(backend_transactions)
    t1=$(awk -v a="$w0" -v d="$DURATION" 'BEGIN { printf "%.6f", a + d }')
    sleep_until "$t1"
    w1=$(now_epoch); p1=$( [ -n "$ppid" ] && cpu_ticks "$ppid"); b1=$(cpu_ticks "$FAKE_PID"); k1=$(cpu_ticks "$pid")
    x1=$(backend_transactions)
    local alive_at_end=1
    pid_alive "$pid" || alive_at_end=0
    rc=0; wait "$pid" || rc=$?
    BENCH_CHILD_PIDS=("${BENCH_CHILD_PIDS[@]/$pid}")
    tps=$(awk '/^tps = / {print $3; exit}' "$dir/out")
    if [ $rc -ne 0 ] || [ $alive_at_end = 0 ] || [ -z "$x0" ] || [ -z "$x1" ] || [ -z "$k1" ]; then
        log "  $t: FAILED (pgbench exit $rc, running at window end: $alive_at_end)"; tail -5 "$dir/out" | sed 's/^/    /' >&2
        printf '%s\t%s\t%s\t%s\tfail(rc=%s)\tNA\tNA\tNA\tNA\tNA\t%s\n' "$r" "$c" "$mode" "$t" "$rc" "${tps:-NA}" >>"$RES"; return
    fi
    local window tx pt
    window=$(awk -v a="$w0" -v b="$w1" 'BEGIN { printf "%.3f", b - a }')
    tx=$((x1 - x0))
    pt=NA; [ -n "$ppid" ] && pt=$((p1 - p0))
    printf '%s\t%s\t%s\t%s\tok\t%s\t%s\t%s\t%s\t%s\t%s\n' "$r" "$c" "$mode" "$t" "$window" "$tx" "$pt" \
        $((b1 - b0)) $((k1 - k0)) "${tps:-NA}" >>"$RES"
    log "  $(printf '%-10s' "$t") tps=$(awk -v n="$tx" -v w="$window" 'BEGIN { printf "%.0f", n / w }')" \
        "pooler=$( [ "$pt" = NA ] && echo – || cpu_us_per "$pt" "$tx")µs/tx backend=$(cpu_us_per $((b1 - b0)) "$tx")µs/tx pgbench=$(cpu_us_per $((k1 - k0)) "$tx")µs/tx"
}

# --- warm-up (not recorded): opens the pools' server connections ---
MAX_C=$(tr ' ' '\n' <<<"$CLIENTS" | sort -n | tail -1)
if [ "$WARMUP" -gt 0 ]; then
    for t in $TARGETS; do
        [ -n "$(unavailable "$t")" ] && continue
        log "warm-up $t (${WARMUP}s, -c $MAX_C)"
        run_child /dev/null pgbench -n -f "$BENCH_TMP/select1.sql" -c "$MAX_C" -j "$JOBS" -T "$WARMUP" \
            -h 127.0.0.1 -p "${T_PORT[$t]}" -U "$BENCH_USER" "$BENCH_DB" || log "warm-up of $t failed"
    done
fi

read -r -a TLIST <<<"$TARGETS"
NT=${#TLIST[@]}
for r in $(seq 1 "$ROUNDS"); do
    order=()
    for i in $(seq 0 $((NT - 1))); do order+=("${TLIST[$(( (i + r - 1) % NT ))]}"); done
    for c in $CLIENTS; do
        for mode in $MODES; do
            log "round $r/$ROUNDS clients=$c mode=$mode order: ${order[*]}"
            for t in "${order[@]}"; do measure_one "$r" "$c" "$mode" "$t"; done
        done
    done
done

# --- summary ---
summarize() {
    awk -F'\t' -v clients="$CLIENTS" -v modes="$MODES" -v targets="$TARGETS" -v hz="$CLK_TCK" '
    function median(list,    a, n, i, j, t) {
        n = split(list, a, " ")
        for (i = 2; i <= n; i++) { t = a[i] + 0; for (j = i - 1; j >= 1 && a[j] + 0 > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
        if (n == 0) return ""
        return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    function fmt(list, f) { return list == "" ? "–" : sprintf(f, median(list)) }
    function ratio(c, m, g, what,    r, list, a, b) {
        list = ""
        for (r = 1; r <= maxr; r++) {
            a = (r SUBSEP c SUBSEP m SUBSEP g); b = (r SUBSEP c SUBSEP m SUBSEP "pgbouncer")
            if (what == "tps" && (a in tps) && (b in tps)) list = list " " tps[a] / tps[b]
            if (what == "eff" && (a in eff) && (b in eff)) list = list " " eff[a] / eff[b]
        }
        return list == "" ? "–" : sprintf("%.2f", median(list))
    }
    NR == 1 { next }
    {
        if ($1 + 0 > maxr) maxr = $1 + 0
        k = $2 SUBSEP $3 SUBSEP $4
        if ($5 != "ok") { bad[k] = bad[k] " " $5; next }
        rk = $1 SUBSEP k
        tps[rk] = $7 / $6; T[k] = T[k] " " tps[rk]
        B[k] = B[k] " " ($9 / hz * 1e6 / $7); BL[k] = BL[k] " " ($9 / hz / $6 * 100); K[k] = K[k] " " ($10 / hz * 1e6 / $7)
        if ($8 != "NA" && $8 > 0) {
            eff[rk] = $7 / ($8 / hz)
            E[k] = E[k] " " eff[rk]; U[k] = U[k] " " ($8 / hz * 1e6 / $7); L[k] = L[k] " " ($8 / hz / $6 * 100)
        }
    }
    END {
        nc = split(clients, C, " "); nm = split(modes, M, " "); nt = split(targets, TG, " ")
        print "| clients | mode | target | TPS | pooler CPU µs/tx | tx per pooler CPU-s | pooler CPU % of a core | backend CPU µs/tx | backend CPU % of a core | pgbench CPU µs/tx | vs PgBouncer: TPS | vs PgBouncer: tx per CPU-s |"
        print "|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
        for (i = 1; i <= nc; i++) for (j = 1; j <= nm; j++) for (t = 1; t <= nt; t++) {
            c = C[i]; m = M[j]; g = TG[t]; k = c SUBSEP m SUBSEP g
            if (!(k in T)) { printf "| %s | %s | %s | %s | | | | | | | | |\n", c, m, g, (k in bad) ? "failed:" bad[k] : "not run"; continue }
            compared = (g ~ /^sluice/ || g == "relay")  # PgBouncer is the baseline
            printf "| %s | %s | %s | %s%s | %s | %s | %s | %s | %s | %s | %s | %s |\n", c, m, g, fmt(T[k], "%.0f"),
                (k in bad) ? " (failed:" bad[k] ")" : "",
                fmt(U[k], "%.1f"), fmt(E[k], "%.0f"), fmt(L[k], "%.0f"), fmt(B[k], "%.1f"), fmt(BL[k], "%.0f"), fmt(K[k], "%.1f"),
                compared ? ratio(c, m, g, "tps") : "–", compared ? ratio(c, m, g, "eff") : "–"
        }
    }' "$RES"
}

{
    echo "## Pooler-only benchmark $(date -u +%Y-%m-%dT%H:%MZ)"
    echo
    echo "- machine: $(nproc) cores, $(uname -sr), $(awk '/MemTotal/ {printf "%.0f GiB RAM", $2/1048576}' /proc/meminfo)"
    echo "- backend: bench/fake_pg_backend (one thread, epoll); $("$PGBOUNCER_BIN" --version 2>/dev/null | head -1); sluice: $SLUICE_BIN"
    for t in $TARGETS; do [ -n "${T_WHY[$t]:-}" ] && echo "- $t: not available (${T_WHY[$t]})"; done
    echo "- load average (1/5/15 min) at start: $LOAD_START; at end: $(load_now)${NICE:+; everything ran at nice $NICE}"
    echo "- workload: pgbench -n -f (select 1;) -M MODE -c C -j $JOBS; window ${DURATION}s after ${RAMP}s ramp; pool size $POOL_SIZE (transaction mode), trust auth; $ROUNDS rounds, target order rotated per round"
    echo "- TPS = transactions the backend answered in the window / window; CPU = utime+stime of each process over the window; each value is the median over rounds; ratios (Sluice or the floor relay / PgBouncer) are medians of per-round ratios"
    echo
    summarize
} >"$BENCH_TMP/results.md"

echo
cat "$BENCH_TMP/results.md"
if [ -n "$OUT_DIR" ]; then
    mkdir -p "$OUT_DIR" && cp "$RES" "$BENCH_TMP/results.md" "$OUT_DIR/" && log "results copied to $OUT_DIR"
fi
