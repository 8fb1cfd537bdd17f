#!/usr/bin/env bash
# Installs dependencies, builds everything and runs the unit and integration tests with CTest.
# Exits non-zero on any failure. This is what CI runs (.ci/run).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/install-deps.sh

build_dir=${SLUICE_BUILD_DIR:-build}  # CI uses build/; override for a second tree
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build "$build_dir" -j2

if [[ ! -x "$build_dir/sluice" ]]; then
  echo "test.sh: expected the daemon at $build_dir/sluice" >&2
  exit 1
fi

# Integration tests are RUN_SERIAL, so -j2 only overlaps the unit tests.
ctest --test-dir "$build_dir" --output-on-failure -j2
