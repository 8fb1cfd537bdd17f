#!/usr/bin/env bash
# Installs dependencies, builds everything and runs every test. This is what CI runs (.ci/run).
#   normal   the normal build: unit, integration (incl. faults), fuzz-corpus replay, short soak
#   address  the whole suite again under AddressSanitizer + UndefinedBehaviorSanitizer
#   fuzz     every libFuzzer target for FUZZ_SECONDS (default 20) each
#   thread   the concurrency-heavy tests against a ThreadSanitizer daemon (not in the default:
#            it would take CI past its 40-minute budget on 2 cores; run it by hand)
# Exits non-zero on any failure or sanitizer report. SLUICE_STAGES (default "normal address
# fuzz") picks stages, e.g. SLUICE_STAGES=normal for a quick local run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/install-deps.sh

build_dir=${SLUICE_BUILD_DIR:-build}  # CI uses build/; override for a second tree
export SLUICE_BUILD_DIR=$build_dir
stages=${SLUICE_STAGES:-normal address fuzz}

run_stage() {
  local name=$1 started=$SECONDS
  shift
  echo "==== test.sh: stage '$name' starts"
  "$@"
  echo "==== test.sh: stage '$name' passed in $((SECONDS - started)) s"
}

normal_suite() {
  cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
  cmake --build "$build_dir" -j2
  if [[ ! -x "$build_dir/sluice" ]]; then
    echo "test.sh: expected the daemon at $build_dir/sluice" >&2
    exit 1
  fi
  # Integration tests are RUN_SERIAL, so -j2 only overlaps the unit tests.
  ctest --test-dir "$build_dir" --output-on-failure -j2
}

for stage in $stages; do
  case "$stage" in
    normal) run_stage normal normal_suite ;;
    address | thread) run_stage "$stage" bash scripts/sanitize.sh "$stage" ;;
    fuzz) run_stage fuzz env FUZZ_SECONDS="${FUZZ_SECONDS:-20}" bash scripts/fuzz.sh ;;
    *) echo "test.sh: unknown stage '$stage'" >&2; exit 2 ;;
  esac
done
echo "==== test.sh: all stages passed ($stages) in $SECONDS s"
