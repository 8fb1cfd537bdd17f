# shellcheck shell=bash
# Shared helpers for the Sluice benchmark scripts (bench/run.sh, bench/idle_memory.sh,
# bench/pooler_only.sh, bench/syscalls.sh).
# Sourced, not executed. Starts a throwaway PostgreSQL, PgBouncer and Sluice on
# loopback ports below 32768 inside one temp dir, and tears everything down again.
#
# Only processes started here are ever signalled, always by PID.

set -u

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
PGBOUNCER_BIN=${PGBOUNCER_BIN:-/usr/sbin/pgbouncer}
SLUICE_BIN=${SLUICE_BIN:-/work/main/build/sluice}
BENCH_USER=bench
BENCH_DB=bench
BENCH_PASSWORD=bench

# State filled in by the start_* functions.
BENCH_TMP=""
PG_PORT="" ; PG_DATA=""
PGB_PORT="" ; PGB_PID=""
SL_PORT="" ; SL_PID=""
SL_REASON=""
BENCH_CHILD_PIDS=()          # clients (pgbench, idle_clients) to kill on exit
BENCH_SERVER_PIDS=()         # other servers (every Sluice instance, fake backends) to stop on exit
_USED_PORTS=" "

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# require_cmd CMD HINT: die with HINT (what to install) unless CMD is on the PATH.
require_cmd() { command -v "$1" >/dev/null 2>&1 || die "$1 not found ($2)"; }

# build_tool SOURCE OUTPUT [LINK_FLAGS...]: compile a bench/*.cpp helper into the temp dir.
build_tool() {
    local src=$1 out=$2; shift 2
    require_cmd g++ "apt-get install -y g++"
    log "compiling $(basename "$src")"
    g++ -O2 -std=c++20 "$src" "$@" -o "$out" 2>"$out.g++.log" \
        || { cat "$out.g++.log" >&2; die "could not compile $src"; }
}

# Run a command as the postgres OS user when we are root (PostgreSQL and
# PgBouncer both refuse to run as root). For background processes use
# `"${AS_PG[@]}" cmd ... &`: setpriv execs, so $! is then the PID of cmd itself
# (a shell function run with & would leave $! pointing at a subshell).
AS_PG=()
[ "$(id -u)" = 0 ] && AS_PG=(setpriv --reuid=postgres --regid=postgres --init-groups --)
as_pg() { "${AS_PG[@]}" "$@"; }

# A TCP port in [20000, 32000) that nothing listens on and that we have not
# handed out yet. (Racy in theory; fine for a benchmark on a quiet box.)
free_port() {
    local listening p
    listening=" $(ss -Hltn 2>/dev/null | awk '{n=split($4,a,":"); print a[n]}' | tr '\n' ' ') "
    for _ in $(seq 1 200); do
        p=$(( 20000 + (RANDOM * 32768 + RANDOM) % 12000 ))
        case "$listening$_USED_PORTS" in *" $p "*) continue ;; esac
        _USED_PORTS="$_USED_PORTS$p "
        echo "$p"; return 0
    done
    die "no free port found"
}

# NICE=-10 (root only for negative values): renice this script, so everything it
# starts (PostgreSQL, PgBouncer, Sluice, pgbench) inherits the priority. Useful
# when unrelated work (e.g. a compile) shares the machine; it does not change
# the comparison, since all targets and the client get the same priority.
apply_nice() {
    [ -n "${NICE:-}" ] || return 0
    renice -n "$NICE" -p $$ >/dev/null || die "renice -n $NICE failed"
    log "running at nice $NICE"
}

make_tmp() {
    BENCH_TMP=$(mktemp -d /tmp/sluice-bench.XXXXXX) || die "mktemp failed"
    chmod 755 "$BENCH_TMP"
    if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$BENCH_TMP"; fi
    log "work dir $BENCH_TMP"
}

# Is PID alive (and not a zombie)?
pid_alive() {
    [ -n "${1:-}" ] && [ -d "/proc/$1" ] && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null
}

# kill PID politely, then hard after a grace period (seconds, default 5).
stop_pid() {
    local pid=$1 grace=${2:-5}
    pid_alive "$pid" || return 0
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 1 $((grace * 10))); do
        pid_alive "$pid" || return 0
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null
    sleep 0.1
}

cleanup() {
    local rc=$?
    trap - EXIT INT TERM HUP
    set +e
    local p
    for p in "${BENCH_CHILD_PIDS[@]}"; do stop_pid "$p" 2; done
    [ -n "$SL_PID" ] && { kill -INT "$SL_PID" 2>/dev/null; stop_pid "$SL_PID" 3; }
    for p in "${BENCH_SERVER_PIDS[@]}"; do [ -n "$p" ] && { kill -INT "$p" 2>/dev/null; stop_pid "$p" 3; }; done
    [ -n "$PGB_PID" ] && stop_pid "$PGB_PID" 3
    if [ -n "$PG_DATA" ] && [ -f "$PG_DATA/postmaster.pid" ]; then
        local pm
        pm=$(head -1 "$PG_DATA/postmaster.pid" 2>/dev/null)
        as_pg "$PGBIN/pg_ctl" -D "$PG_DATA" -m immediate -w -t 20 stop >/dev/null 2>&1
        [ -n "$pm" ] && stop_pid "$pm" 2
    fi
    if [ -n "$BENCH_TMP" ] && [ -d "$BENCH_TMP" ] && [ -z "${KEEP_TMP:-}" ]; then
        rm -rf "$BENCH_TMP"
    elif [ -n "$BENCH_TMP" ]; then
        log "KEEP_TMP set: left $BENCH_TMP"
    fi
    exit "$rc"
}

install_traps() {
    trap cleanup EXIT
    trap 'log "interrupted"; exit 130' INT
    trap 'log "terminated"; exit 143' TERM HUP
}

# Run a client program in the background, remember its PID for cleanup and
# wait for it; `wait` returns immediately when a trapped signal arrives, so
# Ctrl-C / kill -TERM of the script never waits for a 15 s pgbench to finish.
# Usage: run_child OUTFILE cmd args...   (stdout+stderr of cmd go to OUTFILE;
# redirecting the run_child call itself would also swallow our trap messages).
run_child() {
    local out=$1; shift
    "$@" >"$out" 2>&1 &
    local pid=$!
    BENCH_CHILD_PIDS+=("$pid")
    wait "$pid"
    local rc=$?
    BENCH_CHILD_PIDS=("${BENCH_CHILD_PIDS[@]/$pid}")
    return $rc
}

# psql one-liner as the bench user: pg_query PORT SQL
pg_query() {
    PGPASSWORD=$BENCH_PASSWORD PGCONNECT_TIMEOUT=3 psql -X -q -tA -h 127.0.0.1 -p "$1" \
        -U "$BENCH_USER" -d "$BENCH_DB" -c "$2"
}

# wait_ready PORT TIMEOUT_S [PID]: until "SELECT 1" works through PORT.
wait_ready() {
    local port=$1 timeout=$2 pid=${3:-}
    for _ in $(seq 1 $((timeout * 5))); do
        if [ -n "$pid" ] && ! pid_alive "$pid"; then return 2; fi
        # The first row: the fake backend may answer every SELECT with many (its -r).
        if [ "$(pg_query "$port" 'SELECT 1' 2>/dev/null | head -n 1)" = 1 ]; then return 0; fi
        sleep 0.2
    done
    return 1
}

# start_fake_backend [ROWS]: bench/fake_pg_backend.cpp (one row per SELECT unless ROWS) on a
# free port; sets PG_PORT, FAKE_PID and FAKE_OUT (its output: LISTENING, COUNTS, STATS lines).
FAKE_PID="" ; FAKE_OUT=""
start_fake_backend() {
    local rows=${1:-1} bin=$BENCH_TMP/fake_pg_backend
    build_tool "$(dirname "${BASH_SOURCE[0]}")/fake_pg_backend.cpp" "$bin"
    PG_PORT=$(free_port)
    FAKE_OUT=$BENCH_TMP/fake_pg_backend.out
    "$bin" -a 127.0.0.1 -p "$PG_PORT" -r "$rows" >"$FAKE_OUT" 2>&1 &
    FAKE_PID=$!
    BENCH_SERVER_PIDS+=("$FAKE_PID")
    wait_ready "$PG_PORT" 10 "$FAKE_PID" || { cat "$FAKE_OUT" >&2; die "fake backend did not start"; }
    log "fake backend (pid $FAKE_PID) on 127.0.0.1:$PG_PORT"
}

# start_floor_relay UPSTREAM_PORT: bench/floor_relay.cpp (a byte-copying TCP proxy, one upstream
# connection per client, no logic) in front of UPSTREAM_PORT; sets RELAY_PORT and RELAY_PID.
# Its CPU per transaction is the floor any pooler pays on this kernel (see floor_relay.cpp).
RELAY_PORT="" ; RELAY_PID=""
start_floor_relay() {
    local upstream=$1 bin=$BENCH_TMP/floor_relay
    [ -x "$bin" ] || build_tool "$(dirname "${BASH_SOURCE[0]}")/floor_relay.cpp" "$bin"
    RELAY_PORT=$(free_port)
    "$bin" -p "$RELAY_PORT" -u "$upstream" >"$BENCH_TMP/floor_relay.out" 2>&1 &
    RELAY_PID=$!
    BENCH_SERVER_PIDS+=("$RELAY_PID")
    for _ in $(seq 1 50); do
        grep -q '^LISTENING' "$BENCH_TMP/floor_relay.out" && { log "floor relay (pid $RELAY_PID) on 127.0.0.1:$RELAY_PORT -> $upstream"; return 0; }
        pid_alive "$RELAY_PID" || break
        sleep 0.1
    done
    cat "$BENCH_TMP/floor_relay.out" >&2
    die "floor relay did not start"
}

# start_postgres AUTH (trust|scram) [MAX_CONNECTIONS]
# fsync/synchronous_commit/full_page_writes are OFF: the data is throwaway and
# the workload (pgbench -S) is read-only anyway.
start_postgres() {
    local auth=${1:-trust} maxconn=${2:-200}
    PG_PORT=$(free_port)
    PG_DATA=$BENCH_TMP/pgdata
    log "initdb (auth=$auth) and start PostgreSQL on 127.0.0.1:$PG_PORT"
    as_pg "$PGBIN/initdb" -D "$PG_DATA" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 \
        >"$BENCH_TMP/initdb.log" 2>&1 || { cat "$BENCH_TMP/initdb.log" >&2; die "initdb failed"; }
    cat >>"$PG_DATA/postgresql.conf" <<EOF
# --- sluice bench ---
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$BENCH_TMP'
max_connections = $maxconn
shared_buffers = 256MB
fsync = off
synchronous_commit = off
full_page_writes = off
logging_collector = off
log_min_messages = warning
password_encryption = 'scram-sha-256'
EOF
    local method=trust
    [ "$auth" = scram ] && method=scram-sha-256
    cat >"$PG_DATA/pg_hba.conf" <<EOF
local all postgres trust
host  all postgres 127.0.0.1/32 trust
host  all all      127.0.0.1/32 $method
EOF
    as_pg "$PGBIN/pg_ctl" -D "$PG_DATA" -l "$BENCH_TMP/postgres.log" -w -t 60 start >/dev/null \
        || { tail -20 "$BENCH_TMP/postgres.log" >&2; die "PostgreSQL did not start"; }
    as_pg psql -X -q -h "$BENCH_TMP" -p "$PG_PORT" -U postgres -d postgres \
        -c "CREATE ROLE $BENCH_USER LOGIN PASSWORD '$BENCH_PASSWORD'" \
        -c "CREATE DATABASE $BENCH_DB OWNER $BENCH_USER" >/dev/null \
        || die "creating role/database failed"
}

# pgbench -i -s SCALE through the direct port.
init_pgbench() {
    local scale=${1:-10}
    log "pgbench -i -s $scale"
    PGPASSWORD=$BENCH_PASSWORD run_child "$BENCH_TMP/pgbench-init.log" pgbench -i -q -s "$scale" \
        -h 127.0.0.1 -p "$PG_PORT" -U "$BENCH_USER" "$BENCH_DB" \
        || { tail -20 "$BENCH_TMP/pgbench-init.log" >&2; die "pgbench -i failed"; }
}

# start_pgbouncer AUTH (trust|scram) POOL_SIZE
start_pgbouncer() {
    local auth=${1:-trust} pool=${2:-20} d=$BENCH_TMP/pgbouncer
    PGB_PORT=$(free_port)
    mkdir -p "$d"
    local pgb_auth=trust
    [ "$auth" = scram ] && pgb_auth=scram-sha-256
    # plain-text password: PgBouncer can then also do SCRAM towards the server.
    printf '"%s" "%s"\n' "$BENCH_USER" "$BENCH_PASSWORD" >"$d/userlist.txt"
    cat >"$d/pgbouncer.ini" <<EOF
[databases]
$BENCH_DB = host=127.0.0.1 port=$PG_PORT dbname=$BENCH_DB

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $PGB_PORT
unix_socket_dir =
auth_type = $pgb_auth
auth_file = $d/userlist.txt
pool_mode = transaction
default_pool_size = $pool
max_client_conn = 20000
max_db_connections = 0
listen_backlog = 4096
logfile = $d/pgbouncer.log
pidfile =
log_connections = 0
log_disconnections = 0
log_pooler_errors = 1
stats_period = 60
ignore_startup_parameters = extra_float_digits
EOF
    # PGBOUNCER_EXTRA: more [pgbouncer] lines (run.sh TLS=1: client_tls_*).
    [ -n "${PGBOUNCER_EXTRA:-}" ] && printf '%s\n' "$PGBOUNCER_EXTRA" >>"$d/pgbouncer.ini"
    [ "$(id -u)" = 0 ] && chown -R postgres:postgres "$d"
    log "start PgBouncer $("$PGBOUNCER_BIN" --version 2>/dev/null | head -1 | awk '{print $2}') on 127.0.0.1:$PGB_PORT (transaction, pool $pool, auth $pgb_auth)"
    "${AS_PG[@]}" "$PGBOUNCER_BIN" "$d/pgbouncer.ini" >"$d/stderr.log" 2>&1 &
    PGB_PID=$!
    wait_ready "$PGB_PORT" 20 "$PGB_PID" \
        || { tail -20 "$d/pgbouncer.log" "$d/stderr.log" >&2; die "PgBouncer did not start"; }
}

# The `databases:` and `users:` of a Sluice config that routes the bench database and user to
# the bench PostgreSQL.
bench_routes_yaml() {
    cat <<EOF
databases:
  $BENCH_DB:
    host: 127.0.0.1
    port: $PG_PORT
    dbname: $BENCH_DB
users:
  $BENCH_USER:
    password: $BENCH_PASSWORD
EOF
}

# start_sluice AUTH (trust|scram) POOL_SIZE [WORKERS] [NAME]
# WORKERS: `workers:` of the config (default auto). NAME: the instance's directory under the temp
# dir (default sluice); start several instances with different NAMEs and copy SL_PID/SL_PORT
# after each call. Every instance is stopped on exit.
# SLUICE_DEFAULTS: extra lines for `defaults:`, e.g. $'client_idle_timeout: 5m\nserver_idle_timeout: 30s'.
# SLUICE_TOP_LEVEL: extra top-level YAML (run.sh TLS=1: `tls:`).
# Never fatal: on any failure sets SL_PID="" and SL_REASON, and returns 1.
start_sluice() {
    local auth=${1:-trust} pool=${2:-20} workers=${3:-auto} d=$BENCH_TMP/${4:-sluice}
    SL_PID="" ; SL_REASON=""
    mkdir -p "$d"
    if [ ! -x "$SLUICE_BIN" ]; then
        SL_REASON="binary $SLUICE_BIN not found (set SLUICE_BIN or build it)"
        log "sluice: not available ($SL_REASON)"; return 1
    fi
    SL_PORT=$(free_port)
    local sl_auth=trust
    [ "$auth" = scram ] && sl_auth=scram-sha-256
    cat >"$d/sluice.yaml" <<EOF
listen:
  postgres: 127.0.0.1:$SL_PORT
workers: $workers
max_client_connections: 20000
auth_type: $sl_auth
${SLUICE_TOP_LEVEL:-}
defaults:
  pool_mode: transaction
  pool_size: $pool
${SLUICE_DEFAULTS:+$(printf '%s\n' "$SLUICE_DEFAULTS" | sed 's/^/  /')}
$(bench_routes_yaml)
EOF
    log "start Sluice ($SLUICE_BIN) on 127.0.0.1:$SL_PORT (transaction, pool $pool, auth $sl_auth, workers $workers)"
    "$SLUICE_BIN" --config "$d/sluice.yaml" >"$d/sluice.log" 2>&1 &
    SL_PID=$!
    BENCH_SERVER_PIDS+=("$SL_PID")
    local rc=0
    wait_ready "$SL_PORT" 20 "$SL_PID" || rc=$?
    if [ $rc -ne 0 ]; then
        if [ $rc = 2 ]; then SL_REASON="process exited during startup"
        else SL_REASON="no working connection through 127.0.0.1:$SL_PORT within 20 s"; fi
        log "sluice: not available ($SL_REASON); last log lines:"
        tail -5 "$d/sluice.log" 2>/dev/null | sed 's/^/    /' >&2
        stop_pid "$SL_PID" 2
        SL_PID=""
        return 1
    fi
    return 0
}

# /proc helpers
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null; }
# utime+stime of all threads, in clock ticks (fields 14,15 after the "(comm)").
cpu_ticks() { sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | awk '{print $12 + $13}'; }
CLK_TCK=$(getconf CLK_TCK)
# µs of CPU per unit: cpu_us_per TICKS COUNT
cpu_us_per() { awk -v t="$1" -v n="$2" -v hz="$CLK_TCK" 'BEGIN { if (t != "" && n > 0) printf "%.1f", t / hz * 1e6 / n; else print "NA" }'; }

# Wall clock with µs, and sleeping until such a time.
now_epoch() { date +%s.%6N; }
sleep_until() {
    local s
    s=$(awk -v t="$1" -v n="$(now_epoch)" 'BEGIN { d = t - n; if (d < 0) d = 0; printf "%.3f", d }')
    # In the background: a trapped TERM then ends `wait` at once instead of after the sleep.
    sleep "$s" &
    wait $!
}

# The 1/5/15-minute load averages, for result headers.
# callgrind_wrapper BINARY OUT WRAPPER: writes WRAPPER, a script that runs BINARY under valgrind's
# callgrind (profile OUT, and OUT.N for the Nth `callgrind_control -d`).
callgrind_wrapper() {
    local binary=$1 out=$2 wrapper=$3
    # --version (start_* logs it) runs plainly: its profile would be written as root first.
    printf '#!/bin/sh\n[ "$1" = --version ] && exec %s "$@"\nexec valgrind --tool=callgrind --callgrind-out-file=%s %s "$@"\n' \
        "$binary" "$out" "$binary" >"$wrapper"
    chmod 755 "$wrapper"
}

# dumped_instructions FILE: the instructions counted in one callgrind dump.
dumped_instructions() { awk '/^(summary|totals):/ {print $2; exit}' "$1"; }

load_now() { cut -d' ' -f1-3 /proc/loadavg; }
