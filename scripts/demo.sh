#!/usr/bin/env bash
# Quick start: builds Sluice, starts a throwaway PostgreSQL 15 on 127.0.0.1:15432 with the
# role and database `app` and a throwaway MariaDB on 127.0.0.1:13306 with the user `app` and
# the database `shop`, and runs Sluice in front of both with config/sluice.yaml (PostgreSQL
# clients on 127.0.0.1:6432, MySQL clients on 127.0.0.1:6033, metrics on 127.0.0.1:9127) until
# Ctrl-C or SIGTERM. The system's own MariaDB service is never started.
# Everything it starts lives in one temp dir, removed on exit.
#
#   sudo bash scripts/demo.sh                    # run until Ctrl-C
#   sudo DEMO_SELFTEST=1 bash scripts/demo.sh    # one query through Sluice, then exit 0/1
# SLUICE_BUILD_DIR picks another build directory (default: build); DEMO_SKIP_BUILD=1 reuses
# the sluice binary already built there.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

readonly PG_BIN=/usr/lib/postgresql/15/bin
readonly PG_PORT=15432
readonly SLUICE_PORT=6432
readonly MARIADB_PORT=13306
readonly SLUICE_MYSQL_PORT=6033
readonly METRICS_PORT=9127
readonly CONFIG=config/sluice.yaml
readonly SELFTEST=${DEMO_SELFTEST:-0}
readonly BUILD_DIR=${SLUICE_BUILD_DIR:-build}

log() { echo "demo: $*" >&2; }
die() { log "$*"; exit 1; }

# Prefix that runs a PostgreSQL binary as the postgres OS user when we are root (PostgreSQL
# refuses root). It execs, so `$!` of a background command is the server's own pid; the
# server gets SIGINT (fast shutdown) should this script die without cleaning up.
as_postgres=()
if [[ $(id -u) -eq 0 ]]; then
  as_postgres=(setpriv --reuid=postgres --regid=postgres --init-groups --pdeathsig=INT --)
fi

# The same for MariaDB's server, as the mysql OS user; it gets SIGTERM (normal shutdown).
as_mysql=()
if [[ $(id -u) -eq 0 ]]; then
  as_mysql=(setpriv --reuid=mysql --regid=mysql --init-groups --pdeathsig=TERM --)
fi

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Polls `command...` every 0.1 s for up to $1 seconds.
wait_until() {
  local seconds=$1
  shift
  local tries=$((seconds * 10))
  while ((tries-- > 0)); do
    if "$@"; then return 0; fi
    sleep 0.1
  done
  return 1
}

tmp_dir=""
pg_pid=""
mariadb_pid=""
sluice_pid=""

# Stops a process: signal $2, then SIGKILL after $3 seconds.
stop_process() {
  local pid=$1 signal=$2 grace=$3
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 0
  kill "-$signal" "$pid" 2>/dev/null || true
  wait_until "$grace" bash -c "! kill -0 $pid 2>/dev/null" || kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  trap - EXIT INT TERM
  log "stopping"
  stop_process "$sluice_pid" TERM 5
  stop_process "$pg_pid" INT 10   # fast shutdown
  stop_process "$mariadb_pid" TERM 15
  if [[ -n "$tmp_dir" && -d "$tmp_dir" ]]; then rm -rf "$tmp_dir"; fi
}

build() {
  if [[ "${DEMO_SKIP_BUILD:-0}" == 1 && -x "$BUILD_DIR/sluice" ]]; then return 0; fi
  bash scripts/install-deps.sh
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$BUILD_DIR" -j2 --target sluice
  [[ -x "$BUILD_DIR/sluice" ]] || die "$BUILD_DIR/sluice was not built"
}

start_postgres() {
  tmp_dir=$(mktemp -d /tmp/sluice-demo-XXXXXX)
  chmod 755 "$tmp_dir"
  if [[ $(id -u) -eq 0 ]]; then chown postgres:postgres "$tmp_dir"; fi
  log "initdb in $tmp_dir/data"
  "${as_postgres[@]}" "$PG_BIN/initdb" -D "$tmp_dir/data" -U postgres -E UTF8 --locale=C \
    --auth-local=trust --auth-host=scram-sha-256 --no-sync --no-instructions >"$tmp_dir/initdb.log" 2>&1 ||
    { cat "$tmp_dir/initdb.log" >&2; die "initdb failed"; }
  "${as_postgres[@]}" "$PG_BIN/postgres" -D "$tmp_dir/data" -c listen_addresses=127.0.0.1 -c "port=$PG_PORT" \
    -c "unix_socket_directories=$tmp_dir" -c password_encryption=scram-sha-256 \
    >"$tmp_dir/postgres.log" 2>&1 &
  pg_pid=$!
  if ! wait_until 30 "$PG_BIN/pg_isready" -q -h "$tmp_dir" -p "$PG_PORT"; then
    cat "$tmp_dir/postgres.log" >&2
    die "PostgreSQL did not start"
  fi
  log "PostgreSQL 15 is up on 127.0.0.1:$PG_PORT (log: $tmp_dir/postgres.log)"
  local psql=("$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$tmp_dir" -p "$PG_PORT" -U postgres -d postgres)
  "${psql[@]}" -c "CREATE ROLE app LOGIN PASSWORD 'app'"
  "${psql[@]}" -c "CREATE DATABASE app OWNER app"
}

mariadb_ready() { mariadb --no-defaults -uroot --socket="$tmp_dir/mariadb/mariadb.sock" -e "SELECT 1" >/dev/null 2>&1; }

start_mariadb() {
  command -v mariadbd >/dev/null || die "mariadbd not found: run scripts/install-deps.sh as root"
  # Its own directory (the mysql user's): data, socket, pid file and log.
  local dir="$tmp_dir/mariadb" data="$tmp_dir/mariadb/data"
  # A tmpdir of its own: a starting mariadbd deletes the #sql* files of a shared /tmp.
  mkdir -p "$dir/tmp"
  if [[ $(id -u) -eq 0 ]]; then chown mysql:mysql "$dir" "$dir/tmp"; fi
  log "mariadb-install-db in $data"
  "${as_mysql[@]}" mariadb-install-db --no-defaults --datadir="$data" --tmpdir="$dir/tmp" --auth-root-authentication-method=normal \
    --skip-test-db >"$tmp_dir/mariadb-install.log" 2>&1 ||
    { cat "$tmp_dir/mariadb-install.log" >&2; die "mariadb-install-db failed"; }
  "${as_mysql[@]}" mariadbd --no-defaults --datadir="$data" --tmpdir="$dir/tmp" --socket="$dir/mariadb.sock" \
    --port="$MARIADB_PORT" --bind-address=127.0.0.1 --pid-file="$dir/mariadbd.pid" --skip-name-resolve \
    --skip-log-bin --innodb-buffer-pool-size=32M >"$tmp_dir/mariadb.log" 2>&1 &
  mariadb_pid=$!
  if ! wait_until 60 mariadb_ready; then
    cat "$tmp_dir/mariadb.log" >&2
    die "MariaDB did not start"
  fi
  log "MariaDB is up on 127.0.0.1:$MARIADB_PORT (log: $tmp_dir/mariadb.log)"
  mariadb --no-defaults -uroot --socket="$dir/mariadb.sock" -e \
    "CREATE DATABASE shop; CREATE USER app@'%' IDENTIFIED BY 'app'; GRANT ALL ON shop.* TO app@'%'"
}

start_sluice() {
  local sluice_log=/dev/stderr
  if [[ "$SELFTEST" == 1 ]]; then sluice_log="$tmp_dir/sluice.log"; fi
  "$BUILD_DIR/sluice" --config "$CONFIG" 2>>"$sluice_log" &
  sluice_pid=$!
  if ! wait_until 10 port_in_use "$SLUICE_PORT"; then
    [[ "$SELFTEST" == 1 ]] && cat "$tmp_dir/sluice.log" >&2
    die "Sluice did not start listening on 127.0.0.1:$SLUICE_PORT"
  fi
  wait_until 10 port_in_use "$SLUICE_MYSQL_PORT" || die "Sluice did not open 127.0.0.1:$SLUICE_MYSQL_PORT"
}

print_usage() {
  cat <<EOF

Sluice is running (pid $sluice_pid) in front of PostgreSQL 15 (127.0.0.1:$PG_PORT) and
MariaDB (127.0.0.1:$MARIADB_PORT).

  Connect as the application:   psql "postgresql://app:app@127.0.0.1:$SLUICE_PORT/app"
  MySQL clients:                mariadb -h127.0.0.1 -P$SLUICE_MYSQL_PORT -uapp -papp shop
                                mysql://app:app@127.0.0.1:$SLUICE_MYSQL_PORT/shop
  Admin console:                psql "postgresql://admin:admin@127.0.0.1:$SLUICE_PORT/sluice"
  Metrics:                      curl http://127.0.0.1:$METRICS_PORT/metrics

Config: $CONFIG. Press Ctrl-C to stop Sluice, PostgreSQL and MariaDB and remove $tmp_dir.

EOF
}

selftest() {
  local output
  if output=$("$PG_BIN/psql" "postgresql://app:app@127.0.0.1:$SLUICE_PORT/app?sslmode=disable&connect_timeout=10" \
                -X -At -c 'select 1' 2>&1) && [[ "$output" == 1 ]]; then
    echo "selftest: select 1 through Sluice returned: $output"
  else
    selftest_failed "$output"
    return 1
  fi
  if output=$(mariadb --no-defaults -h127.0.0.1 -P"$SLUICE_MYSQL_PORT" -uapp -papp shop -N -B \
                -e 'SELECT DATABASE()' 2>&1) && [[ "$output" == shop ]]; then
    echo "selftest: SELECT DATABASE() through Sluice's MySQL listener returned: $output"
    return 0
  fi
  selftest_failed "$output"
  return 1
}

selftest_failed() {
  local output=$1
  echo "selftest: FAILED: $output" >&2
  echo "--- sluice log ---" >&2
  cat "$tmp_dir/sluice.log" >&2 || true
}

main() {
  for port in "$PG_PORT" "$SLUICE_PORT" "$MARIADB_PORT" "$SLUICE_MYSQL_PORT"; do
    if port_in_use "$port"; then die "port $port on 127.0.0.1 is already in use"; fi
  done
  build
  trap cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  start_postgres
  start_mariadb
  start_sluice
  if [[ "$SELFTEST" == 1 ]]; then
    selftest
    return
  fi
  print_usage
  # In the foreground until Sluice exits or we are interrupted (the traps clean up).
  wait "$sluice_pid" || true
  sluice_pid=""
  log "sluice exited"
}

main "$@"
