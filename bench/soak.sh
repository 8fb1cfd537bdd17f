#!/usr/bin/env bash
# Soak test: many clients run short write transactions through Sluice (transaction pool)
# while backends are killed and the configuration is reloaded; then nothing acknowledged
# may be missing, nothing unacknowledged may be there, Sluice's RSS and open files must be
# flat after warm-up, and no backend may be left over.
#
#   bench/soak.sh                                   # 10 minutes, 1000 clients
#   SOAK_SECONDS=60 bench/soak.sh                   # the CI version (ctest "soak: short")
#
# Environment:
#   SOAK_SECONDS=600      how long clients start transactions
#   SOAK_CLIENTS=1000     client connections (the driver needs N+32 fds; cap is 20000)
#   KILL_EVERY=5          seconds between backend kills (0 = no kills)
#   SIGKILL_EVERY=0       every Nth kill is a SIGKILL of the backend process; PostgreSQL then
#                         restarts all its backends (crash recovery), so every client is hit
#                         at once. 0 = never: kills alternate pg_terminate_backend() and SIGTERM.
#                         Each such crash makes all 1000 clients reconnect at once, and Sluice's
#                         RSS steps up to glibc's high-water mark for that burst (the heap in use
#                         stays flat; freed chunks stay resident), so raise RSS_SLOPE_MAX_PCT
#                         and FD_SLOPE_MAX for such runs: they check rows, not memory.
#   SAMPLE_EVERY=1        seconds between RSS / fd samples of the Sluice process
#   WARMUP_PCT=20         the first WARMUP_PCT% of the run are left out of the slopes
#   RSS_SLOPE_MAX_PCT=1   fail if RSS grows faster than this % of its mean per minute
#   FD_SLOPE_MAX=5        fail if the open-fd count grows faster than this per minute
#   POOL_SIZE=20          pool_size before the reload; RELOAD_POOL_SIZE=15 after it
#   THINK_MS=20           maximum think time between a client's transactions
#   SOAK_MIN_ACKED=       fail if fewer transactions are acknowledged (default 50 per second)
#   SOAK_SEED=            driver random seed (default: time)
#   OUT_DIR=              if set, summary.txt, samples.csv and the logs are copied there
#   SLUICE_BIN=build/sluice (relative to the repository), KEEP_TMP=, NICE= (as for run.sh)
#
# Samples (CSV: seconds,rss_kib,fds,threads) are taken from /proc/PID of Sluice. Slopes are
# least-squares fits over the samples after warm-up, with the reload's step taken out (the
# pool shrinks there and a new configuration is allocated): one slope, a level of its own
# before and after the reload. Only growth fails the run.
# At the end, once the clients are gone: Sluice lists no client, SHOW SERVERS and
# pg_stat_activity name the same backends (at most the new pool_size), none survives an admin
# RECONNECT, and Sluice holds no more fds than it did idle before the run.
# Trust auth only; fsync is off but synchronous_commit is on, so a SIGKILLed backend's crash
# recovery loses no acknowledged commit (a lost row is then Sluice's doing).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
SLUICE_BIN=${SLUICE_BIN:-$HERE/../build/sluice}
# shellcheck source=bench/lib.sh
. "$HERE/lib.sh"

SOAK_SECONDS=${SOAK_SECONDS:-600}
SOAK_CLIENTS=${SOAK_CLIENTS:-1000}
KILL_EVERY=${KILL_EVERY:-5}
SIGKILL_EVERY=${SIGKILL_EVERY:-0}
SAMPLE_EVERY=${SAMPLE_EVERY:-1}
WARMUP_PCT=${WARMUP_PCT:-20}
RSS_SLOPE_MAX_PCT=${RSS_SLOPE_MAX_PCT:-1}
FD_SLOPE_MAX=${FD_SLOPE_MAX:-5}
POOL_SIZE=${POOL_SIZE:-20}
RELOAD_POOL_SIZE=${RELOAD_POOL_SIZE:-15}
THINK_MS=${THINK_MS:-20}
SOAK_MIN_ACKED=${SOAK_MIN_ACKED:-$((SOAK_SECONDS * 50))}
SOAK_SEED=${SOAK_SEED:-}
OUT_DIR=${OUT_DIR:-}
ADMIN_USER="admin"

[ "$SOAK_CLIENTS" -le 19900 ] || die "SOAK_CLIENTS must stay below the 20000 open-file cap"
[ "$SOAK_SECONDS" -ge 10 ] || die "SOAK_SECONDS must be at least 10"

install_traps
apply_nice
make_tmp
FAILURES=()
fail_check() { FAILURES+=("$*"); log "FAIL: $*"; }

log "compiling soak"
SOAK_BIN=$BENCH_TMP/soak
g++ -O2 -std=c++20 "$HERE/soak.cpp" -lpq -o "$SOAK_BIN" 2>"$BENCH_TMP/g++.log" \
    || { cat "$BENCH_TMP/g++.log" >&2; die "could not compile bench/soak.cpp (need g++ and libpq-dev)"; }

# ---- PostgreSQL and Sluice ---------------------------------------------------------------

start_postgres trust $((POOL_SIZE * 3 + 40))
# Commits must survive a backend crash (SIGKILL): WAL written before COMMIT is acknowledged.
pg_super() { PGCONNECT_TIMEOUT=3 psql -X -q -tA -h 127.0.0.1 -p "$PG_PORT" -U postgres -d "$BENCH_DB" -c "$1"; }
if ! pg_super "ALTER SYSTEM SET synchronous_commit = on" || ! pg_super "SELECT pg_reload_conf()" >/dev/null; then
    die "could not turn synchronous_commit on"
fi

SL_DIR=$BENCH_TMP/sluice
SL_CONFIG=$SL_DIR/sluice.yaml
# write_sluice_config POOL_SIZE STATEMENT_TIMEOUT
write_sluice_config() {
    cat >"$SL_CONFIG.new" <<EOF
listen:
  postgres: 127.0.0.1:$SL_PORT
workers: auto
max_client_connections: $((SOAK_CLIENTS + 200))
auth_type: trust
admin_users: [$ADMIN_USER]
defaults:
  pool_mode: transaction
  pool_size: $1
  statement_timeout: $2
  query_wait_timeout: 60s
  server_login_retry: 1s
  server_connect_timeout: 5s
$(bench_routes_yaml)
EOF
    mv "$SL_CONFIG.new" "$SL_CONFIG"   # a reload never reads a half-written file
}

# Like lib.sh's start_sluice, with an admin user and the soak's pool settings.
start_soak_sluice() {
    [ -x "$SLUICE_BIN" ] || die "sluice binary $SLUICE_BIN not found (set SLUICE_BIN or build it)"
    mkdir -p "$SL_DIR"
    SL_PORT=$(free_port)
    write_sluice_config "$POOL_SIZE" 0
    log "start Sluice ($SLUICE_BIN) on 127.0.0.1:$SL_PORT (transaction, pool $POOL_SIZE)"
    "$SLUICE_BIN" --config "$SL_CONFIG" >"$SL_DIR/sluice.log" 2>&1 &
    SL_PID=$!
    wait_ready "$SL_PORT" 20 "$SL_PID" || { tail -20 "$SL_DIR/sluice.log" >&2; die "Sluice did not start"; }
}
start_soak_sluice

# admin_query SQL: the console's answer as CSV with a header line.
admin_query() {
    PGCONNECT_TIMEOUT=3 psql -X -q -A -F, -P footer=off -h 127.0.0.1 -p "$SL_PORT" -U "$ADMIN_USER" -d sluice -c "$1"
}
# admin_column SQL COLUMN: one column of the answer, one value a line.
admin_column() {
    admin_query "$1" | awk -F, -v col="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == col) c = i; next }
        c { print $c }'
}
admin_column "SHOW POOLS" pool_size >/dev/null || die "the admin console does not answer"

# ---- background: RSS/fd sampler and backend killer ---------------------------------------

SAMPLES=$BENCH_TMP/samples.csv
KILLS=$BENCH_TMP/kills.log
STOP_FILE=$BENCH_TMP/stop
T0=$(date +%s.%N)
elapsed() { awk -v t0="$T0" -v now="$(date +%s.%N)" 'BEGIN { printf "%.1f", now - t0 }'; }
fd_count() { find "/proc/$1/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }
threads() { awk '/^Threads:/ {print $2}' "/proc/$1/status" 2>/dev/null; }

sampler() {
    echo "seconds,rss_kib,fds,threads" >"$SAMPLES"
    while [ ! -e "$STOP_FILE" ] && pid_alive "$SL_PID"; do
        echo "$(elapsed),$(rss_kib "$SL_PID"),$(fd_count "$SL_PID"),$(threads "$SL_PID")" >>"$SAMPLES"
        sleep "$SAMPLE_EVERY"
    done
}

# One random backend of Sluice's (user bench; the killer itself is postgres).
random_backend() {
    pg_super "SELECT pid FROM pg_stat_activity WHERE usename = '$BENCH_USER' AND backend_type = 'client backend'
              ORDER BY random() LIMIT 1" 2>/dev/null
}

killer() {
    local n=0 pid method ok
    : >"$KILLS"
    while [ ! -e "$STOP_FILE" ]; do
        sleep "$KILL_EVERY"
        [ -e "$STOP_FILE" ] && break
        # Only while clients start transactions: the end checks want a quiet pool.
        awk -v t="$(elapsed)" -v end="$SOAK_SECONDS" 'BEGIN { exit !(t >= end) }' && break
        pid=$(random_backend)
        [ -n "$pid" ] || { echo "$(elapsed) none - no-backend" >>"$KILLS"; continue; }
        n=$((n + 1))
        if [ "$SIGKILL_EVERY" -gt 0 ] && [ $((n % SIGKILL_EVERY)) = 0 ]; then method=SIGKILL
        elif [ $((n % 2)) = 1 ]; then method=pg_terminate_backend
        else method=SIGTERM; fi
        ok=no
        case $method in
            pg_terminate_backend) [ "$(pg_super "SELECT pg_terminate_backend($pid)" 2>/dev/null)" = t ] && ok=yes ;;
            SIGTERM) kill -TERM "$pid" 2>/dev/null && ok=yes ;;
            SIGKILL) kill -KILL "$pid" 2>/dev/null && ok=yes ;;
        esac
        echo "$(elapsed) $method $pid $ok" >>"$KILLS"
    done
}

# ---- the run -----------------------------------------------------------------------------

FDS_IDLE_BEFORE=$(fd_count "$SL_PID")
RSS_IDLE_BEFORE=$(rss_kib "$SL_PID")
sampler &
SAMPLER_PID=$!
BENCH_CHILD_PIDS+=("$SAMPLER_PID")
KILLER_PID=""
if [ "$KILL_EVERY" -gt 0 ]; then
    killer &
    KILLER_PID=$!
    BENCH_CHILD_PIDS+=("$KILLER_PID")
fi

SL_CONNINFO="host=127.0.0.1 port=$SL_PORT dbname=$BENCH_DB user=$BENCH_USER sslmode=disable gssencmode=disable application_name=soak connect_timeout=10"
DIRECT_CONNINFO="host=127.0.0.1 port=$PG_PORT dbname=$BENCH_DB user=$BENCH_USER password=$BENCH_PASSWORD sslmode=disable gssencmode=disable"
log "soak: $SOAK_CLIENTS clients for ${SOAK_SECONDS}s; a backend killed every ${KILL_EVERY}s$( [ "$SIGKILL_EVERY" -gt 0 ] && echo ", every ${SIGKILL_EVERY}th by SIGKILL"); reload at $((SOAK_SECONDS / 2))s"
DRIVER_START=$(date +%s)
"$SOAK_BIN" -n "$SOAK_CLIENTS" -d "$SOAK_SECONDS" -t "$THINK_MS" -m "$SOAK_MIN_ACKED" \
    ${SOAK_SEED:+-r "$SOAK_SEED"} -D "$DIRECT_CONNINFO" "$SL_CONNINFO" \
    >"$BENCH_TMP/driver.out" 2>"$BENCH_TMP/driver.err" &
DRIVER_PID=$!
BENCH_CHILD_PIDS+=("$DRIVER_PID")

# Midpoint: pool_size POOL_SIZE -> RELOAD_POOL_SIZE and a statement_timeout, then SIGHUP.
sleep $((SOAK_SECONDS / 2))
RELOAD_APPLIED=no
RELOADS_BEFORE=$(grep -c 'configuration reloaded' "$SL_DIR/sluice.log")
RELOAD_AT=$(elapsed)
write_sluice_config "$RELOAD_POOL_SIZE" 30s
kill -HUP "$SL_PID"
for _ in $(seq 1 50); do
    [ "$(grep -c 'configuration reloaded' "$SL_DIR/sluice.log")" -gt "$RELOADS_BEFORE" ] && break
    sleep 0.1
done
if [ "$(grep -c 'configuration reloaded' "$SL_DIR/sluice.log")" -gt "$RELOADS_BEFORE" ] &&
   [ "$(admin_column "SHOW POOLS" pool_size)" = "$RELOAD_POOL_SIZE" ] &&
   admin_query "SHOW CONFIG" | grep -q '^defaults.statement_timeout,30'; then
    RELOAD_APPLIED=yes
    log "reload applied at ${RELOAD_AT}s: pool_size $POOL_SIZE -> $RELOAD_POOL_SIZE, statement_timeout 0 -> 30s"
else
    fail_check "reload not applied (log: $(grep -E 'reload' "$SL_DIR/sluice.log" | tail -2 | tr '\n' ' '))"
fi

wait "$DRIVER_PID"
DRIVER_RC=$?
BENCH_CHILD_PIDS=("${BENCH_CHILD_PIDS[@]/$DRIVER_PID}")
DRIVER_SECONDS=$(( $(date +%s) - DRIVER_START ))
touch "$STOP_FILE"
[ -n "$KILLER_PID" ] && wait "$KILLER_PID"
wait "$SAMPLER_PID"
grep -v '^soak: t=' "$BENCH_TMP/driver.err" | tail -20 | sed 's/^/    /' >&2
RESULT=$(grep '^RESULT' "$BENCH_TMP/driver.out")
[ -n "$RESULT" ] || fail_check "the driver printed no result (exit $DRIVER_RC)"
[ "$DRIVER_RC" = 0 ] || fail_check "the driver failed (exit $DRIVER_RC)"
r() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<" $RESULT"; }
pid_alive "$SL_PID" || fail_check "Sluice is not running any more"

# ---- leftovers: after the clients left, PostgreSQL and Sluice agree on the backends -------

pg_backends() {
    pg_super "SELECT pid FROM pg_stat_activity WHERE usename = '$BENCH_USER' AND backend_type = 'client backend'
              " 2>/dev/null | sort
}
sluice_backends() { admin_column "SHOW SERVERS" remote_pid | sort; }
sluice_clients() { admin_column "SHOW CLIENTS" user | grep -vc "^$ADMIN_USER\$"; }
BACKENDS_END="?" ; SLUICE_SAYS="?" ; CLIENTS_LEFT="?" ; LEFTOVER="?" ; AFTER_RECONNECT="?"
DEADLINE=$((SECONDS + 20))                 # closes take a moment to reach PostgreSQL
while :; do
    PG_SET=$(pg_backends); SL_SET=$(sluice_backends); CLIENTS_LEFT=$(sluice_clients)
    [ "$PG_SET" = "$SL_SET" ] && [ "$CLIENTS_LEFT" = 0 ] && break
    [ "$SECONDS" -lt "$DEADLINE" ] || break
    sleep 0.2
done
BACKENDS_END=$(grep -c . <<<"$PG_SET")
SLUICE_SAYS=$(grep -c . <<<"$SL_SET")
LEFTOVER=$(comm -23 <(echo "$PG_SET") <(echo "$SL_SET") | grep -c .)
UNKNOWN=$(comm -13 <(echo "$PG_SET") <(echo "$SL_SET") | grep -c .)
[ "$CLIENTS_LEFT" = 0 ] || fail_check "Sluice still lists $CLIENTS_LEFT clients after they all left"
[ "$LEFTOVER" = 0 ] || fail_check "$LEFTOVER backends in pg_stat_activity that Sluice does not list"
[ "$UNKNOWN" = 0 ] || fail_check "$UNKNOWN backends listed by Sluice are not in pg_stat_activity"
[ "$BACKENDS_END" -le "$RELOAD_POOL_SIZE" ] || fail_check "$BACKENDS_END backends open, more than pool_size $RELOAD_POOL_SIZE"
# RECONNECT closes every idle backend: none may survive it.
admin_query "RECONNECT" >/dev/null || fail_check "admin RECONNECT failed"
DEADLINE=$((SECONDS + 10))
while :; do
    AFTER_RECONNECT=$(pg_backends | grep -c .)
    [ "$AFTER_RECONNECT" = 0 ] && [ -z "$(sluice_backends)" ] && break
    [ "$SECONDS" -lt "$DEADLINE" ] || break
    sleep 0.2
done
[ "$AFTER_RECONNECT" = 0 ] || fail_check "$AFTER_RECONNECT backends still open after RECONNECT"
sleep 1
FDS_IDLE_AFTER=$(fd_count "$SL_PID")
RSS_IDLE_AFTER=$(rss_kib "$SL_PID")
# Idle with no backend: one fewer socket than before the run (wait_ready's backend was open then).
[ "$FDS_IDLE_AFTER" -le "$FDS_IDLE_BEFORE" ] \
    || fail_check "Sluice holds $FDS_IDLE_AFTER fds idle after the run, $FDS_IDLE_BEFORE before it"

# ---- slopes ------------------------------------------------------------------------------

# fit COLUMN: "first last mean slope plain_slope n" over the samples after warm-up. slope is
# the least-squares slope per minute with the reload's step taken out (one line fitted to
# the samples before the reload and after it, same slope, each its own level: the pool
# shrinks there and a new configuration is allocated); plain_slope is one line through all.
WARMUP_S=$(awk -v s="$SOAK_SECONDS" -v p="$WARMUP_PCT" 'BEGIN { printf "%.1f", s * p / 100 }')
fit() {
    awk -F, -v col="$1" -v from="$WARMUP_S" -v to="$SOAK_SECONDS" -v reload="$RELOAD_AT" '
        NR > 1 && $1 >= from && $1 <= to && $col != "" {
            x = $1 / 60; y = $col; g = ($1 >= reload); n++
            sx += x; sy += y; sxx += x * x; sxy += x * y
            gn[g]++; gx[g] += x; gy[g] += y; gxx[g] += x * x; gxy[g] += x * y
            if (n == 1) first = y; last = y }
        END { if (n < 3) { print "NA NA NA NA NA " n; exit }
              for (g = 0; g <= 1; g++) if (gn[g]) {
                  num += gxy[g] - gx[g] * gy[g] / gn[g]; den += gxx[g] - gx[g] * gx[g] / gn[g] }
              d = n * sxx - sx * sx
              printf "%d %d %.0f %.2f %.2f %d\n", first, last, sy / n, den ? num / den : 0,
                     d ? (n * sxy - sx * sy) / d : 0, n }' "$SAMPLES"
}
read -r RSS_FIRST RSS_LAST RSS_MEAN RSS_SLOPE RSS_PLAIN RSS_N <<<"$(fit 2)"
read -r FD_FIRST FD_LAST _ FD_SLOPE FD_PLAIN _ <<<"$(fit 3)"
RSS_SLOPE_PCT=NA
is_number() { [[ $1 =~ ^-?[0-9]+(\.[0-9]+)?$ ]]; }
if is_number "$RSS_SLOPE" && is_number "$FD_SLOPE"; then
    RSS_SLOPE_PCT=$(awk -v s="$RSS_SLOPE" -v m="$RSS_MEAN" 'BEGIN { printf "%.3f", 100 * s / m }')
    awk -v p="$RSS_SLOPE_PCT" -v max="$RSS_SLOPE_MAX_PCT" 'BEGIN { exit !(p > max) }' \
        && fail_check "RSS grows ${RSS_SLOPE} KiB/min (${RSS_SLOPE_PCT}%/min of its mean; limit ${RSS_SLOPE_MAX_PCT}%)"
    awk -v s="$FD_SLOPE" -v max="$FD_SLOPE_MAX" 'BEGIN { exit !(s > max) }' \
        && fail_check "open fds grow ${FD_SLOPE}/min (limit ${FD_SLOPE_MAX})"
else
    fail_check "no slope: too few samples after warm-up (${RSS_N:-0}) or the fit failed"
fi

# ---- summary -----------------------------------------------------------------------------

KILLS_DONE=$(awk '$2 != "none" && $4 == "yes"' "$KILLS" | wc -l)
kills_by() { awk -v m="$1" '$2 == m && $4 == "yes"' "$KILLS" | wc -l; }
[ "$KILL_EVERY" -gt 0 ] && [ "$KILLS_DONE" = 0 ] && fail_check "no backend was killed"
for key in rows_lost rows_phantom torn visibility_violations stuck; do
    v=$(r "$key"); [ -z "$v" ] || [ "$v" = 0 ] || fail_check "$key=$v"
done
VERDICT=PASS
[ ${#FAILURES[@]} = 0 ] || VERDICT="FAIL (${#FAILURES[@]}: $(printf '%s; ' "${FAILURES[@]}"))"
{
    echo "soak $(date -u +%Y-%m-%dT%H:%MZ): ${SOAK_SECONDS}s, $SOAK_CLIENTS clients, transaction pool $POOL_SIZE -> $RELOAD_POOL_SIZE, $(nproc) cores, driver ${DRIVER_SECONDS}s"
    echo "  transactions:  $(r transactions) ($(r tps)/s): acked $(r acked), rolled back $(r rolled_back), failed before COMMIT $(r failed), in doubt $(r in_doubt) (committed $(r in_doubt_committed), not $(r in_doubt_absent)); reconnects $(r reconnects)"
    echo "  kills:         $KILLS_DONE every ${KILL_EVERY}s (pg_terminate_backend $(kills_by pg_terminate_backend), SIGTERM $(kills_by SIGTERM), SIGKILL $(kills_by SIGKILL))"
    echo "  reload:        $RELOAD_APPLIED at ${RELOAD_AT}s (pool_size $POOL_SIZE -> $RELOAD_POOL_SIZE, statement_timeout 0 -> 30s)"
    echo "  rows:          lost $(r rows_lost), phantom $(r rows_phantom) (acked rows $(r rows_acked), table rows $(r rows_in_table), torn transactions $(r torn), visibility violations $(r visibility_violations), stuck steps $(r stuck), slowest step $(r max_step_ms) ms)"
    echo "  RSS KiB:       start $RSS_FIRST, end $RSS_LAST, slope $RSS_SLOPE KiB/min = ${RSS_SLOPE_PCT}%/min of mean $RSS_MEAN (limit ${RSS_SLOPE_MAX_PCT}%; without the reload step; one line through all: $RSS_PLAIN; $RSS_N samples after ${WARMUP_S}s); idle $RSS_IDLE_BEFORE before, $RSS_IDLE_AFTER after"
    echo "  open fds:      start $FD_FIRST, end $FD_LAST, slope $FD_SLOPE /min (limit $FD_SLOPE_MAX; one line through all: $FD_PLAIN); idle $FDS_IDLE_BEFORE before, $FDS_IDLE_AFTER after"
    echo "  backends:      $BACKENDS_END at end (Sluice lists $SLUICE_SAYS, pool_size $RELOAD_POOL_SIZE), leftover $LEFTOVER, after RECONNECT $AFTER_RECONNECT"
    echo "  result:        $VERDICT"
} >"$BENCH_TMP/summary.txt"
echo
cat "$BENCH_TMP/summary.txt"
if [ -n "$OUT_DIR" ]; then
    mkdir -p "$OUT_DIR"
    cp "$BENCH_TMP/summary.txt" "$SAMPLES" "$KILLS" "$BENCH_TMP/driver.err" "$SL_DIR/sluice.log" "$OUT_DIR/" 2>/dev/null
fi
[ ${#FAILURES[@]} = 0 ]
