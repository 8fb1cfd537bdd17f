#!/usr/bin/env bash
# Installs the Debian 12 packages Sluice needs to build, test and demo.
# Idempotent: when every package is already installed it touches nothing, so reruns are fast.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  libboost1.81-dev libpq-dev libmariadb-dev libyaml-cpp-dev libspdlog-dev prometheus-cpp-dev
  catch2 libssl-dev
  clang-14 libclang-rt-14-dev llvm-14   # libFuzzer (scripts/fuzz.sh), llvm-symbolizer for sanitizer traces
  postgresql-15 postgresql-client-15 pgbouncer
  mariadb-server mariadb-client   # the MySQL integration tests start a throwaway mariadbd (never the service)
  ca-certificates procps iproute2 util-linux systemd prometheus
  prometheus-pgbouncer-exporter   # the [exporter] test runs Debian's exporter against the admin console
)

missing=()
for package in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
  if [[ "$status" != "install ok installed" ]]; then
    missing+=("$package")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#packages[@]} packages already installed"
  exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
  echo "install-deps: missing packages: ${missing[*]}" >&2
  echo "install-deps: run as root (sudo bash scripts/install-deps.sh) to install them" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}"
apt-get update
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
