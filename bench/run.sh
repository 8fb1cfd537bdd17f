#!/usr/bin/env bash
# Sluice throughput/latency benchmark: direct PostgreSQL vs PgBouncer vs Sluice.
#
#   bench/run.sh                                   # defaults below
#   ROUNDS=2 DURATION=5 bench/run.sh               # quick run
#   SLUICE_BIN=/path/to/sluice CLIENTS="100 50 10" MODES=simple bench/run.sh
#   CASES="50:simple 50:extended" bench/run.sh
#
# Environment:
#   ROUNDS=3           rounds; the order of the targets rotates every round
#   DURATION=15        seconds per pgbench run
#   POOL_SIZE=20       server connections per pool (PgBouncer default_pool_size, Sluice pool_size)
#   CASES="10:simple 50:simple 50:extended 200:simple 50:prepared"
#                      CLIENTS:MODE pairs to run (the cases of the hot-path issue, and
#                      -M prepared of issue 12: named statements, which PgBouncer 1.18 cannot
#                      pool in transaction mode; its failure is recorded, the run goes on)
#   CLIENTS=, MODES=   if either is set (and CASES is not), every CLIENTS × MODES pair is run
#                      instead; the unset one defaults to "10 50 200" / "simple extended"
#   JOBS=2             pgbench threads (-j)
#   SCALE=10           pgbench -i scale factor
#   AUTH=trust         trust | scram (PostgreSQL, PgBouncer and Sluice all use it)
#   TARGETS="direct pgbouncer sluice"   (relay also works: bench/floor_relay.cpp, a byte-copying
#                      proxy with no logic and one PostgreSQL connection per client, so like direct
#                      it is skipped above max_connections; its CPU is the floor of any pooler's)
#   SLUICE_WORKERS=auto  `workers:` of the Sluice under test (auto = one per core)
#   TLS=0              1: clients reach both poolers over TLS (pgbench sslmode=require; a throwaway
#                      self-signed RSA-2048 certificate; PgBouncer client_tls_sslmode=require, Sluice
#                      tls.client.mode: require); direct is skipped (the bench PostgreSQL has no TLS)
#   CONNECT=0          1: pgbench -C, a new connection per transaction (with TLS=1: handshakes/s)
#   WARMUP=3           seconds of unrecorded pgbench -S per target before round 1
#   OUT_DIR=           if set, results.tsv, results.md and failing pgbench output are copied there
#   SLUICE_BIN=/work/main/build/sluice
#   KEEP_TMP=          if set, the temp dir is not deleted (debugging)
#   NICE=              e.g. -10: run everything at that priority (see lib.sh apply_nice)
#
# Everything runs on 127.0.0.1 in a fresh temp dir that is removed on exit,
# including on Ctrl-C. PostgreSQL runs with fsync=off (throwaway data).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=bench/lib.sh
. "$HERE/lib.sh"

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-15}
POOL_SIZE=${POOL_SIZE:-20}
if [ -z "${CASES:-}" ]; then
    if [ -n "${CLIENTS:-}" ] || [ -n "${MODES:-}" ]; then
        CASES=""
        for c in ${CLIENTS:-10 50 200}; do for m in ${MODES:-simple extended}; do CASES="$CASES $c:$m"; done; done
    else
        CASES="10:simple 50:simple 50:extended 200:simple 50:prepared"
    fi
fi
# shellcheck disable=SC2086,SC2116   # unquoted on purpose: squeezes the whitespace
CASES=$(echo $CASES)
JOBS=${JOBS:-2}
SCALE=${SCALE:-10}
AUTH=${AUTH:-trust}
TARGETS=${TARGETS:-"direct pgbouncer sluice"}
WARMUP=${WARMUP:-3}
OUT_DIR=${OUT_DIR:-}
PG_MAX_CONN=200

case "$AUTH" in trust|scram) ;; *) die "AUTH must be trust or scram" ;; esac
for cm in $CASES; do
    case "${cm%%:*}" in ''|*[!0-9]*) die "bad case $cm (CLIENTS:MODE)" ;; esac
    case "${cm#*:}" in simple|extended|prepared) ;; *) die "bad mode in case $cm" ;; esac
done
for t in $TARGETS; do case "$t" in direct|pgbouncer|sluice|relay) ;; *) die "bad target $t" ;; esac; done
command -v pgbench >/dev/null || die "pgbench not found (apt-get install -y postgresql-client-15)"

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
if awk -v l="${LOAD_START%% *}" -v n="$(nproc)" 'BEGIN { exit !(l > n / 2) }'; then
    log "warning: load average is $LOAD_START on $(nproc) cores; other work will skew the numbers"
fi
install_traps
apply_nice
make_tmp
RES=$BENCH_TMP/results.tsv
TLS=${TLS:-0}
CONNECT=${CONNECT:-0}
CONNECT_FLAG=()
[ "$CONNECT" = 1 ] && CONNECT_FLAG=(-C)
PG_SSLMODE=disable
if [ "$TLS" = 1 ]; then
    require_cmd openssl "apt-get install -y openssl"
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
        -keyout "$BENCH_TMP/tls.key" -out "$BENCH_TMP/tls.crt" >/dev/null 2>&1 || die "openssl could not make a certificate"
    chmod 0600 "$BENCH_TMP/tls.key"
    [ "$(id -u)" = 0 ] && chown postgres:postgres "$BENCH_TMP/tls.key" "$BENCH_TMP/tls.crt"
    PGBOUNCER_EXTRA=$(printf 'client_tls_sslmode = require\nclient_tls_key_file = %s\nclient_tls_cert_file = %s' \
        "$BENCH_TMP/tls.key" "$BENCH_TMP/tls.crt")
    SLUICE_TOP_LEVEL=$(printf 'tls:\n  client:\n    mode: require\n    cert: %s\n    key: %s' \
        "$BENCH_TMP/tls.crt" "$BENCH_TMP/tls.key")
    PG_SSLMODE=require
fi
FAILS=$BENCH_TMP/failures.log
: >"$FAILS"
printf 'round\tclients\tmode\ttarget\tstatus\ttps\tlat_avg_ms\tp99_ms\tfailed_tx\ttransactions\tpooler_ticks\n' >"$RES"

start_postgres "$AUTH" "$PG_MAX_CONN"
init_pgbench "$SCALE"
case " $TARGETS " in *" pgbouncer "*) start_pgbouncer "$AUTH" "$POOL_SIZE" ;; esac
SLUICE_OK=0
case " $TARGETS " in *" sluice "*) start_sluice "$AUTH" "$POOL_SIZE" "${SLUICE_WORKERS:-auto}" && SLUICE_OK=1 ;; esac
case " $TARGETS " in *" relay "*) start_floor_relay "$PG_PORT" ;; esac

pid_of() {
    case "$1" in pgbouncer) echo "$PGB_PID" ;; sluice) echo "$SL_PID" ;; relay) echo "$RELAY_PID" ;; esac
}

port_of() {
    case "$1" in direct) echo "$PG_PORT" ;; pgbouncer) echo "$PGB_PORT" ;; sluice) echo "$SL_PORT" ;; relay) echo "$RELAY_PORT" ;; esac
}

# Why TARGET cannot run with C clients right now ("" = it can).
unavailable() {
    local target=$1 c=$2
    case "$target" in
        direct|relay) if [ "$TLS" = 1 ]; then echo "skip(no TLS)"
                elif [ "$c" -gt $((PG_MAX_CONN - 10)) ]; then echo "skip(max_connections=$PG_MAX_CONN)"; fi ;;
        pgbouncer) pid_alive "$PGB_PID" || echo "n/a(pgbouncer died)" ;;
        sluice) [ "$SLUICE_OK" = 1 ] || echo "n/a" ;;
    esac
}

# Notice a Sluice that died mid-benchmark (must not run in a $(...) subshell).
check_sluice() {
    if [ "$SLUICE_OK" = 1 ] && ! pid_alive "$SL_PID"; then
        SLUICE_OK=0; SL_REASON="process exited during the benchmark"
        log "sluice: not available ($SL_REASON); last log lines:"
        tail -5 "$BENCH_TMP/sluice/sluice.log" 2>/dev/null | sed 's/^/    /' >&2
    fi
}

# 99th percentile (nearest rank) of the latency column of pgbench --log files, in ms.
p99_ms() {
    local dir=$1 n idx
    cat "$dir"/tx.* 2>/dev/null | awk '{print $3}' | sort -n -S 64M >"$dir/lat.sorted"
    n=$(wc -l <"$dir/lat.sorted")
    [ "$n" -gt 0 ] || { echo "NA"; return; }
    idx=$(( (99 * n + 99) / 100 ))
    sed -n "${idx}p" "$dir/lat.sorted" | awk '{printf "%.3f", $1 / 1000}'
}

# bench_one ROUND C MODE TARGET
bench_one() {
    local r=$1 c=$2 mode=$3 target=$4 why port dir rc tps lat p99 failed tx pid cpu0 cpu1 ticks=NA
    check_sluice
    why=$(unavailable "$target" "$c")
    if [ -n "$why" ]; then
        printf '%s\t%s\t%s\t%s\t%s\tNA\tNA\tNA\tNA\tNA\tNA\n' "$r" "$c" "$mode" "$target" "$why" >>"$RES"
        return
    fi
    port=$(port_of "$target")
    pid=$(pid_of "$target")
    dir=$BENCH_TMP/runs/r${r}_c${c}_${mode}_${target}
    mkdir -p "$dir"
    rc=0
    # The pooler's own CPU across the whole pgbench run (its connects included: a few ms at most).
    cpu0=$( [ -n "$pid" ] && cpu_ticks "$pid")
    # timeout: a pooler that loses a client's statement may leave pgbench waiting for ever.
    PGPASSWORD=$BENCH_PASSWORD PGSSLMODE=$PG_SSLMODE run_child "$dir/out" timeout -k 5 $((DURATION + 60)) \
        pgbench -n -S "${CONNECT_FLAG[@]}" -c "$c" -j "$JOBS" -T "$DURATION" \
        -M "$mode" --log --log-prefix="$dir/tx" -h 127.0.0.1 -p "$port" -U "$BENCH_USER" "$BENCH_DB" \
        || rc=$?
    cpu1=$( [ -n "$pid" ] && cpu_ticks "$pid")
    [ -n "$cpu0" ] && [ -n "$cpu1" ] && ticks=$((cpu1 - cpu0))
    tps=$(awk '/^tps = / {print $3; exit}' "$dir/out")
    lat=$(awk '/^latency average = / {print $4; exit}' "$dir/out")
    failed=$(awk '/^number of failed transactions: / {print $5; exit}' "$dir/out")
    tx=$(awk '/^number of transactions actually processed: / {print $6; exit}' "$dir/out")
    if [ $rc -ne 0 ] || [ -z "$tps" ]; then
        # The first errors say why (e.g. `prepared statement "P_0" does not exist`); the tail, how it ended.
        { echo "=== round $r clients $c mode $mode target $target: pgbench exit $rc$( [ $rc = 124 ] && echo " (timed out)")"
          grep -m 3 'error' "$dir/out"; echo "..."; tail -15 "$dir/out"; } >>"$FAILS"
        printf '%s\t%s\t%s\t%s\tfail(rc=%s)\t%s\t%s\tNA\t%s\tNA\tNA\n' "$r" "$c" "$mode" "$target" "$rc" \
            "${tps:-NA}" "${lat:-NA}" "${failed:-NA}" >>"$RES"
        log "  $target: FAILED (pgbench exit $rc; see summary)"
        rm -f "$dir"/tx.*
        return
    fi
    p99=$(p99_ms "$dir")
    rm -f "$dir"/tx.* "$dir/lat.sorted"
    printf '%s\t%s\t%s\t%s\tok\t%s\t%s\t%s\t%s\t%s\t%s\n' "$r" "$c" "$mode" "$target" "$tps" "$lat" "$p99" \
        "${failed:-0}" "${tx:-NA}" "$ticks" >>"$RES"
    log "  $(printf '%-9s' "$target") tps=$(printf '%.0f' "$tps") avg=${lat}ms p99=${p99}ms$( [ "$ticks" != NA ] && echo " cpu=$(cpu_us_per "$ticks" "${tx:-0}")µs/tx")"
}

# --- warm-up (not recorded): fills shared_buffers and the proxies' pools ---
if [ "$WARMUP" -gt 0 ]; then
    for t in $TARGETS; do
        [ -n "$(unavailable "$t" 10)" ] && continue
        log "warm-up $t (${WARMUP}s)"
        PGPASSWORD=$BENCH_PASSWORD PGSSLMODE=$PG_SSLMODE run_child /dev/null pgbench -n -S -c 10 -j "$JOBS" -T "$WARMUP" \
            -h 127.0.0.1 -p "$(port_of "$t")" -U "$BENCH_USER" "$BENCH_DB" \
            || log "warm-up of $t failed"
    done
fi

# --- the rounds: target order rotates each round so drift hits every target alike ---
read -r -a TLIST <<<"$TARGETS"
NT=${#TLIST[@]}
for r in $(seq 1 "$ROUNDS"); do
    order=()
    for i in $(seq 0 $((NT - 1))); do order+=("${TLIST[$(( (i + r - 1) % NT ))]}"); done
    for cm in $CASES; do
        c=${cm%%:*} mode=${cm#*:}
        log "round $r/$ROUNDS clients=$c mode=$mode order: ${order[*]}"
        for t in "${order[@]}"; do bench_one "$r" "$c" "$mode" "$t"; done
    done
done

# --- summary ---
summarize() {
    awk -F'\t' -v cases="$CASES" -v targets="$TARGETS" -v hz="$CLK_TCK" '
    function median(list,    a, n, i, j, t) {
        n = split(list, a, " ")
        for (i = 2; i <= n; i++) { t = a[i] + 0; for (j = i - 1; j >= 1 && a[j] + 0 > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
        if (n == 0) return ""
        return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    function minmax(list,    a, n, i, lo, hi) {
        n = split(list, a, " "); lo = hi = a[1] + 0
        for (i = 2; i <= n; i++) { if (a[i] + 0 < lo) lo = a[i] + 0; if (a[i] + 0 > hi) hi = a[i] + 0 }
        return sprintf("%.0f–%.0f", lo, hi)
    }
    function ratio(c, m, num, den,    r, k, list) {
        list = ""
        for (r = 1; r <= maxr; r++) {
            k = r SUBSEP c SUBSEP m
            if ((k SUBSEP num) in tps && (k SUBSEP den) in tps && tps[k, den] > 0)
                list = list " " tps[k, num] / tps[k, den]
        }
        return list == "" ? "–" : sprintf("%.2f", median(list))
    }
    function dedupe(list,    a, n, i, same) {
        n = split(list, a, ","); same = 1
        for (i = 2; i <= n; i++) if (a[i] != a[1]) same = 0
        return (same && n > 1) ? a[1] " ×" n : list
    }
    NR == 1 { next }
    {
        k = $2 SUBSEP $3 SUBSEP $4
        if ($1 + 0 > maxr) maxr = $1 + 0
        if ($5 == "ok") {
            T[k] = T[k] " " $6; L[k] = L[k] " " $7; if ($8 != "NA") P[k] = P[k] " " $8
            if ($10 != "NA" && $10 > 0 && $11 != "NA") U[k] = U[k] " " ($11 / hz * 1e6 / $10)
            tps[$1, $2, $3, $4] = $6; nok[k]++
        } else { bad[k] = bad[k] (bad[k] == "" ? "" : ",") $5 }
    }
    END {
        ncase = split(cases, CS, " "); nt = split(targets, TG, " ")
        print "| clients | mode | target | TPS (median) | TPS min–max | avg latency ms | p99 latency ms | pooler CPU µs/tx | vs PgBouncer (TPS) | vs PgBouncer (CPU/tx) | vs direct (TPS) |"
        print "|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
        for (i = 1; i <= ncase; i++) for (t = 1; t <= nt; t++) {
            split(CS[i], cm, ":"); c = cm[1]; m = cm[2]; g = TG[t]; k = c SUBSEP m SUBSEP g
            vp = (g == "sluice" || g == "relay") ? ratio(c, m, g, "pgbouncer") : "–"
            kp = c SUBSEP m SUBSEP "pgbouncer"
            vc = (vp != "–" && (k in U) && (kp in U)) ? sprintf("%.2f", median(U[k]) / median(U[kp])) : "–"
            vd = (g == "direct") ? "–" : ratio(c, m, g, "direct")
            if (nok[k] > 0) {
                note = ""
                if (k in bad) {
                    nb = split(bad[k], tmp, ",")
                    st = dedupe(bad[k]); gsub(/n\/a/, "not available", st)
                    note = sprintf(" (%d of %d rounds; %s)", nok[k], nok[k] + nb, st)
                }
                printf "| %s | %s | %s | %.0f%s | %s | %.3f | %s | %s | %s | %s | %s |\n", c, m, g, median(T[k]), note, minmax(T[k]), median(L[k]), (k in P) ? sprintf("%.3f", median(P[k])) : "NA", (k in U) ? sprintf("%.1f", median(U[k])) : "–", vp, vc, vd
            } else {
                st = (k in bad) ? dedupe(bad[k]) : "not run"
                if (st ~ /^n\/a/) st = g ": not available"
                printf "| %s | %s | %s | %s | | | | | | | |\n", c, m, g, st
            }
        }
    }' "$RES"
}

{
    echo "## Sluice benchmark $(date -u +%Y-%m-%dT%H:%MZ)"
    echo
    echo "- machine: $(nproc) cores, $(uname -sr), $(awk '/MemTotal/ {printf "%.0f GiB RAM", $2/1048576}' /proc/meminfo)"
    echo "- PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}') (fsync=off, synchronous_commit=off, max_connections=$PG_MAX_CONN, shared_buffers=256MB); $("$PGBOUNCER_BIN" --version 2>/dev/null | head -1)"
    if [ -n "$SL_PID" ]; then echo "- sluice: $SLUICE_BIN${SL_REASON:+ ($SL_REASON)}"
    else echo "- sluice: not available (${SL_REASON:-not requested})"; fi
    echo "- load average (1/5/15 min) at start: $LOAD_START; at end: $(cut -d' ' -f1-3 /proc/loadavg)${NICE:+; everything ran at nice $NICE}"
    echo "- cases (clients:mode): $CASES"
    echo "- workload: pgbench -n -S -c C -M MODE -j $JOBS -T $DURATION, scale $SCALE, auth $AUTH; pool size $POOL_SIZE (transaction mode); $ROUNDS rounds, target order rotated per round"
    [ "$TLS" = 1 ] && echo "- clients over TLS (sslmode=require, self-signed RSA-2048): PgBouncer client_tls_sslmode=require, Sluice tls.client.mode: require; backends in plain text"
    [ "$CONNECT" = 1 ] && echo "- pgbench -C: a new connection (login$( [ "$TLS" = 1 ] && echo ", TLS handshake")) per transaction, so TPS is connections per second"
    echo "- TPS and avg latency: pgbench's own numbers; p99: nearest-rank over all per-transaction latencies (--log); each value is the median over rounds; TPS ratios are the median of the per-round ratios, the CPU ratio is of the medians; pooler CPU µs/tx: the pooler process's utime+stime (all threads, /proc/PID/stat) across the pgbench run ÷ pgbench's transactions"
    echo
    summarize
} >"$BENCH_TMP/results.md"

echo
cat "$BENCH_TMP/results.md"
if [ -s "$FAILS" ]; then
    echo
    echo "### failed runs"
    echo '```'
    cat "$FAILS"
    echo '```'
fi
if [ -n "$OUT_DIR" ]; then
    mkdir -p "$OUT_DIR" && cp "$RES" "$BENCH_TMP/results.md" "$FAILS" "$OUT_DIR/" && log "results copied to $OUT_DIR"
fi
