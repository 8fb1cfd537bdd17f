#!/usr/bin/env bash
# Installs dependencies, builds everything and runs every test. This is what CI runs (.ci/run).
#   normal   the normal build: unit, integration (incl. faults), fuzz-corpus replay, short soak
#   address  the whole suite again under AddressSanitizer + UndefinedBehaviorSanitizer
#   fuzz     every libFuzzer target for FUZZ_SECONDS (default 6) each (the normal stage
#            replays every corpus too; longer runs: FUZZ_SECONDS=300 bash scripts/fuzz.sh)
#   thread   the concurrency-heavy tests against a ThreadSanitizer daemon
# Exits non-zero on any failure or sanitizer report. SLUICE_STAGES (default "normal address
# thread fuzz") picks stages, e.g. SLUICE_STAGES=normal for a quick local run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/install-deps.sh

build_dir=${SLUICE_BUILD_DIR:-build}  # CI uses build/; override for a second tree
export SLUICE_BUILD_DIR=$build_dir
stages=${SLUICE_STAGES:-normal address thread fuzz}

# The sanitizer and fuzz trees compile in the background, at idle CPU priority (SCHED_IDLE), while
# the normal suite's tests run: those mostly wait on timeouts and sockets, and the compilers only
# get the CPU the tests leave. Trees are built one after another, each then marked done; a stage
# waits for its tree's mark, then builds in the foreground, a no-op unless the background build
# failed (its error then shows in the stage's own output).
prebuild_dir=$(mktemp -d /tmp/sluice-prebuild.XXXXXX)
idle_priority=(chrt --idle 0)
chrt --idle 0 true 2>/dev/null || idle_priority=(nice -n 19)  # where SCHED_IDLE is not allowed
prebuild_pid=""
start_prebuild() {
  local trees=()
  for stage in $stages; do
    case "$stage" in address | thread | fuzz) trees+=("$stage") ;; esac
  done
  ((${#trees[@]} > 0)) || return 0
  set -m  # its own process group, so the EXIT trap can stop the whole tree of compilers
  (
    for tree in "${trees[@]}"; do
      if [[ $tree == fuzz ]]; then
        FUZZ_BUILD_ONLY=1 "${idle_priority[@]}" bash scripts/fuzz.sh >"$prebuild_dir/$tree.log" 2>&1 || true
      else
        "${idle_priority[@]}" bash scripts/sanitize.sh "$tree" build >"$prebuild_dir/$tree.log" 2>&1 || true
      fi
      touch "$prebuild_dir/$tree.done"
    done
  ) </dev/null >/dev/null 2>&1 &
  prebuild_pid=$!
  set +m
  echo "==== test.sh: building ${trees[*]} in the background (logs in $prebuild_dir)"
}
await_prebuild() {
  local tree=$1 waited=$SECONDS
  [[ -n $prebuild_pid ]] || return 0
  while [[ ! -e $prebuild_dir/$tree.done ]] && kill -0 "$prebuild_pid" 2>/dev/null; do sleep 2; done
  echo "==== test.sh: waited $((SECONDS - waited)) s for the background build of '$tree'"
}
stop_prebuild() {
  if [[ -n $prebuild_pid ]]; then kill -- "-$prebuild_pid" 2>/dev/null || true; fi
  rm -rf "$prebuild_dir"
}
trap stop_prebuild EXIT

run_stage() {
  local name=$1 started=$SECONDS
  shift
  echo "==== test.sh: stage '$name' starts"
  "$@"
  echo "==== test.sh: stage '$name' passed in $((SECONDS - started)) s"
}

normal_suite() {
  # -g1 (line tables: symbolized backtraces and profiles, no variables) compiles a quarter
  # faster than -g, which CI's 45 minutes need. For gdb: cmake -B build -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g -DNDEBUG".
  cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG"
  cmake --build "$build_dir" -j2
  if [[ ! -x "$build_dir/sluice" ]]; then
    echo "test.sh: expected the daemon at $build_dir/sluice" >&2
    exit 1
  fi
  start_prebuild
  # Integration tests are RUN_SERIAL, so -j2 only overlaps the unit tests.
  ctest --test-dir "$build_dir" --output-on-failure -j2
}

for stage in $stages; do
  case "$stage" in
    normal) run_stage normal normal_suite ;;
    address | thread)
      await_prebuild "$stage"
      run_stage "$stage" bash scripts/sanitize.sh "$stage"
      ;;
    fuzz)
      await_prebuild fuzz
      run_stage fuzz env FUZZ_SECONDS="${FUZZ_SECONDS:-6}" bash scripts/fuzz.sh
      ;;
    *) echo "test.sh: unknown stage '$stage'" >&2; exit 2 ;;
  esac
done
echo "==== test.sh: all stages passed ($stages) in $SECONDS s"
