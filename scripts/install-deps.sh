#!/usr/bin/env bash
# Installs the Debian 12 packages Sluice needs to build, test and demo, and the npm drivers the
# [drivers] integration tests run (into tests/drivers/node/node_modules, from its lock file).
# Idempotent: when every package is already installed it touches nothing, so reruns are fast.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

packages=(
  build-essential cmake ninja-build pkg-config
  libboost1.81-dev libpq-dev libmariadb-dev libyaml-cpp-dev libspdlog-dev prometheus-cpp-dev
  catch2 libssl-dev
  libicu-dev      # SASLprep of SCRAM passwords (ICU's RFC 4013 profile), as PostgreSQL normalises them
  libsodium-dev   # client_ed25519 backend logins: an Ed25519 signature from a scalar (OpenSSL takes only a seed)
  openssl   # the openssl command: tests/integration/support/make_test_pki.sh makes the [tls]/[hba] tests' CA
  clang-14 libclang-rt-14-dev llvm-14   # libFuzzer (scripts/fuzz.sh), llvm-symbolizer for sanitizer traces
  postgresql-15 postgresql-client-15 pgbouncer
  mariadb-server mariadb-client   # the MySQL integration tests start a throwaway mariadbd (never the service)
  ca-certificates procps iproute2 util-linux systemd prometheus
  prometheus-pgbouncer-exporter   # the [exporter] test runs Debian's exporter against the admin console
  # Real drivers for the [drivers] tests (tests/drivers/): psycopg 3, asyncpg, pgjdbc + javac.
  python3-psycopg python3-asyncpg libpostgresql-jdbc-java default-jdk-headless
  python3-pymysql   # the [mysql_drivers] tests' PyMySQL program (mysql2 comes from npm, below)
  libmariadb-java   # and their MariaDB Connector/J program (run with default-jdk-headless's java)
  sysbench          # bench/mysql_sysbench.sh
  strace            # the [cancel] test that slows a backend's reads; bench/syscalls.sh
)
# node and npm from Debian, unless some node (e.g. a newer one from elsewhere, which ships its
# own npm and would conflict with Debian's npm package) is already on the PATH.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  packages+=(nodejs npm)
fi

missing=()
for package in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
  if [[ "$status" != "install ok installed" ]]; then
    missing+=("$package")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#packages[@]} packages already installed"
elif [[ $(id -u) -ne 0 ]]; then
  echo "install-deps: missing packages: ${missing[*]}" >&2
  echo "install-deps: run as root (sudo bash scripts/install-deps.sh) to install them" >&2
  exit 1
else
  echo "install-deps: installing ${missing[*]}"
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
fi

# node-postgres, postgres.js and mysql2, exactly as locked. `npm ci` starts from an empty node_modules,
# so it runs only when the lock file changed since the last install (a stamp holds its hash).
node_dir=tests/drivers/node
stamp=$node_dir/node_modules/.sluice-lock-sha256
lock_hash=$(sha256sum "$node_dir/package-lock.json" | cut -d' ' -f1)
if [[ ! -f $stamp || $(cat "$stamp") != "$lock_hash" ]]; then
  echo "install-deps: npm ci in $node_dir"
  (cd "$node_dir" && npm ci --no-audit --no-fund --loglevel=error)
  echo "$lock_hash" >"$stamp"
else
  echo "install-deps: npm drivers already installed ($node_dir/node_modules)"
fi
