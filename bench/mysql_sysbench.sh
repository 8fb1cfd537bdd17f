#!/usr/bin/env bash
# MySQL benchmark: sysbench (Debian) straight against MariaDB vs through Sluice, in one run.
#
#   bench/mysql_sysbench.sh                                      # defaults below
#   ROUNDS=1 DURATION=5 bench/mysql_sysbench.sh                  # the smoke run of docs/benchmarks.md
#   TESTS=oltp_point_select THREADS=16 PS_MODES=disable bench/mysql_sysbench.sh
#
# Environment:
#   ROUNDS=3           rounds; the order of the targets alternates every round
#   DURATION=15        seconds per sysbench run
#   TESTS="oltp_point_select oltp_read_only"
#   THREADS="16 64"    sysbench --threads
#   PS_MODES="disable auto"   --db-ps-mode: disable = text protocol (COM_QUERY),
#                      auto = binary prepared statements (COM_STMT_PREPARE / EXECUTE)
#   POOL_SIZE=16       Sluice pool_size
#   TABLES=4 TABLE_SIZE=10000   sysbench prepare
#   TARGETS="direct sluice"   (relay also works: bench/floor_relay.cpp, a byte-copying proxy with
#                      no logic and one MariaDB connection per client, the floor of any proxy's
#                      CPU per query on this kernel)
#   SLUICE_WORKERS=auto  Sluice `workers:`
#   WARMUP=3           seconds of unrecorded oltp_point_select per target before round 1
#   OUT_DIR=           if set, results.tsv and results.md are copied there
#   SLUICE_BIN=/work/main/build/sluice, KEEP_TMP=, NICE= (as for run.sh)
#   INSTRUCTIONS=1     Sluice runs under valgrind's callgrind, and each Sluice run also reports its
#                      user-space instructions per query (counters zeroed before the run, dumped
#                      after; the run's 16-64 logins included). Rates are then meaningless, but
#                      the instruction count is stable to ~1 % between runs on a noisy host:
#                      INSTRUCTIONS=1 ROUNDS=1 DURATION=10 TESTS=oltp_point_select THREADS=16 \
#                        PS_MODES=disable TARGETS=sluice SLUICE_WORKERS=1 bench/mysql_sysbench.sh
#
# Per run: sysbench's own rate (queries per second) and 95th-percentile latency, and Sluice's
# CPU (utime+stime of /proc/PID/stat, all threads) over the run divided by the queries sysbench
# counted: µs of Sluice CPU per query. MariaDB runs in a fresh temp dir as the mysql OS user,
# on a free loopback port, with --no-defaults (the system's MariaDB is never touched).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=bench/lib.sh
. "$HERE/lib.sh"

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-15}
TESTS=${TESTS:-"oltp_point_select oltp_read_only"}
THREADS=${THREADS:-"16 64"}
PS_MODES=${PS_MODES:-"disable auto"}
POOL_SIZE=${POOL_SIZE:-16}
TABLES=${TABLES:-4}
TABLE_SIZE=${TABLE_SIZE:-10000}
TARGETS=${TARGETS:-"direct sluice"}
WARMUP=${WARMUP:-3}
SLUICE_WORKERS=${SLUICE_WORKERS:-auto}
OUT_DIR=${OUT_DIR:-}
MARIADBD=${MARIADBD:-/usr/sbin/mariadbd}
INSTRUCTIONS=${INSTRUCTIONS:-0}

for t in $TESTS; do case "$t" in oltp_point_select|oltp_read_only) ;; *) die "bad test $t" ;; esac; done
for m in $PS_MODES; do case "$m" in disable|auto) ;; *) die "bad ps mode $m (disable|auto)" ;; esac; done
for t in $TARGETS; do case "$t" in direct|sluice|relay) ;; *) die "bad target $t (direct|sluice|relay)" ;; esac; done
for c in $THREADS; do
    case "$c" in ''|*[!0-9]*) die "bad thread count $c" ;; esac
    if [ "$c" -lt 1 ] || [ "$c" -gt 1000 ]; then die "thread count $c out of range 1..1000"; fi
done
require_cmd sysbench "apt-get install -y sysbench (scripts/install-deps.sh)"
require_cmd mariadb "apt-get install -y mariadb-client"
[ -x "$MARIADBD" ] || die "$MARIADBD not found (apt-get install -y mariadb-server)"
[ "$INSTRUCTIONS" = 1 ] && require_cmd callgrind_control "apt-get install -y valgrind"

AS_MYSQL=()
[ "$(id -u)" = 0 ] && AS_MYSQL=(setpriv --reuid=mysql --regid=mysql --init-groups --)

LOAD_START=$(load_now)
install_traps
apply_nice
make_tmp
RES=$BENCH_TMP/results.tsv
printf 'round\ttest\tthreads\tps_mode\ttarget\tstatus\tqueries\tqps\tp95_ms\tproxy_ticks\tsluice_instructions\n' >"$RES"
CALLGRIND_OUT=$BENCH_TMP/callgrind.sluice
CALLGRIND_DUMPS=0
if [ "$INSTRUCTIONS" = 1 ]; then
    callgrind_wrapper "$(readlink -f "$SLUICE_BIN")" "$CALLGRIND_OUT" "$BENCH_TMP/sluice-callgrind"
    SLUICE_BIN=$BENCH_TMP/sluice-callgrind
fi

# my_query PORT SQL: one statement as the bench user.
my_query() {
    MYSQL_PWD=$BENCH_PASSWORD mariadb --no-defaults -h127.0.0.1 -P"$1" -u"$BENCH_USER" --connect-timeout=3 \
        -N -B "$BENCH_DB" -e "$2"
}

# wait_my_ready PORT TIMEOUT_S [PID]: until SELECT 1 works through PORT.
wait_my_ready() {
    local port=$1 timeout=$2 pid=${3:-}
    for _ in $(seq 1 $((timeout * 5))); do
        if [ -n "$pid" ] && ! pid_alive "$pid"; then return 2; fi
        [ "$(my_query "$port" 'SELECT 1' 2>/dev/null)" = 1 ] && return 0
        sleep 0.2
    done
    return 1
}

# --- MariaDB (throwaway: no binlog, no doublewrite, no flush at commit) ---
start_mariadb() {
    local d=$BENCH_TMP/mariadb
    mkdir -p "$d/tmp"  # a tmpdir of its own: a starting mariadbd deletes the #sql* files of a shared /tmp
    [ "$(id -u)" = 0 ] && chown mysql:mysql "$d" "$d/tmp"
    MY_PORT=$(free_port)
    log "mariadb-install-db and start MariaDB on 127.0.0.1:$MY_PORT"
    "${AS_MYSQL[@]}" mariadb-install-db --no-defaults --datadir="$d/data" --tmpdir="$d/tmp" --auth-root-authentication-method=normal \
        --skip-test-db --skip-name-resolve >"$d/install.log" 2>&1 || { cat "$d/install.log" >&2; die "mariadb-install-db failed"; }
    "${AS_MYSQL[@]}" "$MARIADBD" --no-defaults --datadir="$d/data" --tmpdir="$d/tmp" --socket="$d/mariadb.sock" --port="$MY_PORT" \
        --bind-address=127.0.0.1 --pid-file="$d/mariadbd.pid" --skip-name-resolve --skip-log-bin \
        --max-connections=1000 --innodb-buffer-pool-size=256M --innodb-flush-log-at-trx-commit=0 \
        --skip-innodb-doublewrite --max-prepared-stmt-count=100000 --log-error="$d/mariadb.log" &
    MY_PID=$!
    BENCH_SERVER_PIDS+=("$MY_PID")
    for _ in $(seq 1 300); do
        mariadb --no-defaults -uroot --socket="$d/mariadb.sock" -e 'SELECT 1' >/dev/null 2>&1 && break
        pid_alive "$MY_PID" || { tail -20 "$d/mariadb.log" >&2; die "mariadbd exited during startup"; }
        sleep 0.2
    done
    mariadb --no-defaults -uroot --socket="$d/mariadb.sock" -e "
        CREATE DATABASE $BENCH_DB;
        CREATE USER $BENCH_USER@'%' IDENTIFIED VIA mysql_native_password USING PASSWORD('$BENCH_PASSWORD');
        GRANT ALL ON $BENCH_DB.* TO $BENCH_USER@'%';" || die "creating the bench user failed"
}

# --- Sluice with a MySQL listener in front of it ---
start_my_sluice() {
    local d=$BENCH_TMP/sluice
    mkdir -p "$d"
    [ -x "$SLUICE_BIN" ] || { log "sluice: binary $SLUICE_BIN not found (set SLUICE_BIN or build it)"; return 1; }
    SL_PORT=$(free_port)
    SL_MY_PORT=$(free_port)
    cat >"$d/sluice.yaml" <<EOF
listen:
  postgres: 127.0.0.1:$SL_PORT
  mysql: 127.0.0.1:$SL_MY_PORT
max_client_connections: 20000
auth_type: md5
workers: $SLUICE_WORKERS
defaults:
  pool_mode: transaction
  pool_size: $POOL_SIZE
  query_wait_timeout: 20s
databases:
  $BENCH_DB:
    protocol: mysql
    host: 127.0.0.1
    port: $MY_PORT
users:
  $BENCH_USER:
    password: $BENCH_PASSWORD
EOF
    log "start Sluice ($SLUICE_BIN) MySQL on 127.0.0.1:$SL_MY_PORT (transaction, pool $POOL_SIZE, workers $SLUICE_WORKERS)"
    "$SLUICE_BIN" --config "$d/sluice.yaml" >"$d/sluice.log" 2>&1 &
    SL_PID=$!
    wait_my_ready "$SL_MY_PORT" $([ "$INSTRUCTIONS" = 1 ] && echo 90 || echo 20) "$SL_PID" || { tail -5 "$d/sluice.log" >&2; stop_pid "$SL_PID" 2; SL_PID=""; return 1; }
}

start_mariadb
declare -A T_PORT T_PID
T_PORT[direct]=$MY_PORT; T_PID[direct]=""
case " $TARGETS " in
    *" sluice "*) start_my_sluice || die "Sluice did not start"; T_PORT[sluice]=$SL_MY_PORT; T_PID[sluice]=$SL_PID ;;
esac
case " $TARGETS " in
    *" relay "*) start_floor_relay "$MY_PORT"; T_PORT[relay]=$RELAY_PORT; T_PID[relay]=$RELAY_PID ;;
esac

sysbench_args() {  # TEST PORT THREADS PS_MODE
    echo "$1 --db-driver=mysql --mysql-host=127.0.0.1 --mysql-port=$2 --mysql-user=$BENCH_USER" \
         "--mysql-password=$BENCH_PASSWORD --mysql-db=$BENCH_DB --tables=$TABLES --table-size=$TABLE_SIZE" \
         "--threads=$3 --db-ps-mode=$4 --percentile=95 --report-interval=0"
}

log "sysbench prepare ($TABLES tables of $TABLE_SIZE rows)"
# shellcheck disable=SC2046
run_child "$BENCH_TMP/prepare.log" sysbench $(sysbench_args oltp_read_only "$MY_PORT" 4 disable) prepare \
    || { tail -20 "$BENCH_TMP/prepare.log" >&2; die "sysbench prepare failed"; }

# measure_one ROUND TEST THREADS PS_MODE TARGET
measure_one() {
    local r=$1 test=$2 c=$3 mode=$4 t=$5 dir rc c0 c1 queries qps p95 ticks=NA instructions=NA
    dir=$BENCH_TMP/runs/r${r}_${test}_c${c}_${mode}_${t}
    mkdir -p "$dir"
    [ "$t" = sluice ] && [ "$INSTRUCTIONS" = 1 ] && callgrind_control -z "$SL_PID" >/dev/null 2>&1
    [ -n "${T_PID[$t]}" ] && c0=$(cpu_ticks "${T_PID[$t]}")
    rc=0
    # shellcheck disable=SC2046
    # Bounded: a client stuck waiting for a backend must not hold up the whole run.
    run_child "$dir/out" timeout -s KILL $((DURATION + 30)) \
        sysbench $(sysbench_args "$test" "${T_PORT[$t]}" "$c" "$mode") --time="$DURATION" run || rc=$?
    [ -n "${T_PID[$t]}" ] && { c1=$(cpu_ticks "${T_PID[$t]}"); ticks=$((c1 - c0)); }
    if [ "$t" = sluice ] && [ "$INSTRUCTIONS" = 1 ]; then
        callgrind_control -d "$SL_PID" >/dev/null 2>&1
        CALLGRIND_DUMPS=$((CALLGRIND_DUMPS + 1))
        for _ in $(seq 1 50); do [ -s "$CALLGRIND_OUT.$CALLGRIND_DUMPS" ] && break; sleep 0.1; done
        instructions=$(dumped_instructions "$CALLGRIND_OUT.$CALLGRIND_DUMPS")
    fi
    queries=$(awk '/queries:/ {print $2; exit}' "$dir/out")
    qps=$(sed -n 's/.*queries: *[0-9]* *(\([0-9.]*\) per sec.).*/\1/p' "$dir/out" | head -1)
    p95=$(awk '/95th percentile:/ {print $3; exit}' "$dir/out")
    if [ $rc -ne 0 ] || [ -z "$queries" ] || [ -z "$qps" ]; then
        log "  $t: FAILED (sysbench exit $rc)"; tail -5 "$dir/out" | sed 's/^/    /' >&2
        printf '%s\t%s\t%s\t%s\t%s\tfail(rc=%s)\tNA\tNA\tNA\tNA\tNA\n' "$r" "$test" "$c" "$mode" "$t" "$rc" >>"$RES"; return
    fi
    printf '%s\t%s\t%s\t%s\t%s\tok\t%s\t%s\t%s\t%s\t%s\n' "$r" "$test" "$c" "$mode" "$t" "$queries" "$qps" "${p95:-NA}" "$ticks" \
        "${instructions:-NA}" >>"$RES"
    log "  $(printf '%-6s' "$t") qps=$qps p95=${p95:-?}ms$( [ "$ticks" != NA ] && echo " $t=$(cpu_us_per "$ticks" "$queries")µs/query")"
}

if [ "$WARMUP" -gt 0 ]; then
    for t in $TARGETS; do
        log "warm-up $t (${WARMUP}s)"
        # shellcheck disable=SC2046
        run_child /dev/null sysbench $(sysbench_args oltp_point_select "${T_PORT[$t]}" "$POOL_SIZE" disable) \
            --time="$WARMUP" run || log "warm-up of $t failed"
    done
fi

read -r -a TLIST <<<"$TARGETS"
NT=${#TLIST[@]}
for r in $(seq 1 "$ROUNDS"); do
    order=()
    for i in $(seq 0 $((NT - 1))); do order+=("${TLIST[$(( (i + r - 1) % NT ))]}"); done
    for test in $TESTS; do
        for c in $THREADS; do
            for mode in $PS_MODES; do
                log "round $r/$ROUNDS $test threads=$c ps-mode=$mode order: ${order[*]}"
                for t in "${order[@]}"; do measure_one "$r" "$test" "$c" "$mode" "$t"; done
            done
        done
    done
done

# --- summary: medians over rounds; Sluice's rate as a fraction of direct ---
awk -F'\t' -v hz="$CLK_TCK" '
    function median(list,    a, n, i, j, t) {
        n = split(list, a, " ")
        for (i = 2; i <= n; i++) { t = a[i] + 0; for (j = i - 1; j >= 1 && a[j] + 0 > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
        if (n == 0) return ""
        return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    function fmt(list, f) { return list == "" ? "–" : sprintf(f, median(list)) }
    NR == 1 { next }
    {
        k = $2 SUBSEP $3 SUBSEP $4
        if (!(k in seen)) { seen[k] = 1; order[++n] = k }
        if ($6 != "ok") { bad[k, $5] = bad[k, $5] " " $6; next }
        Q[k, $5] = Q[k, $5] " " $8; P[k, $5] = P[k, $5] " " $9
        if ($10 != "NA") C[k, $5] = C[k, $5] " " ($10 / hz * 1e6 / $7)
        if ($5 == "sluice" && $11 != "NA") I[k] = I[k] " " ($11 / $7)
    }
    END {
        print "| test | threads | ps-mode | direct q/s | Sluice q/s | Sluice/direct | direct p95 ms | Sluice p95 ms | Sluice CPU µs/query | Sluice instructions/query | floor relay/direct | floor relay CPU µs/query |"
        print "|---|---|---|---|---|---|---|---|---|---|---|---|"
        for (i = 1; i <= n; i++) {
            k = order[i]; split(k, f, SUBSEP)
            d = Q[k, "direct"]; s = Q[k, "sluice"]
            x = Q[k, "relay"]
            ratio = (d != "" && s != "") ? sprintf("%.2f", median(s) / median(d)) : "–"
            xratio = (d != "" && x != "") ? sprintf("%.2f", median(x) / median(d)) : "–"
            sq = (s == "" && bad[k, "sluice"] != "") ? "failed" : fmt(s, "%.0f")
            printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", f[1], f[2], f[3], fmt(d, "%.0f"), sq, ratio,
                   fmt(P[k, "direct"], "%.2f"), fmt(P[k, "sluice"], "%.2f"), fmt(C[k, "sluice"], "%.1f"), fmt(I[k], "%.0f"),
                   xratio, fmt(C[k, "relay"], "%.1f")
        }
    }' "$RES" >"$BENCH_TMP/results.md"
{
    echo "load at start: $LOAD_START, at end: $(load_now); $(nproc) CPUs; rounds $ROUNDS × ${DURATION}s; pool $POOL_SIZE"
    cat "$BENCH_TMP/results.md"
} >&2
if [ -n "$OUT_DIR" ]; then
    mkdir -p "$OUT_DIR" && cp "$RES" "$BENCH_TMP/results.md" "$OUT_DIR/"
fi
