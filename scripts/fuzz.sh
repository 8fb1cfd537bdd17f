#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz, clang-14) and runs each for FUZZ_SECONDS,
# FUZZ_JOBS at a time. Fails if any target crashes, leaks, times out or runs out of memory,
# printing the reproducer and a hexdump of it. Never writes into the repository: the seed
# corpus is copied to a temporary directory, and findings go there too.
#
#   scripts/fuzz.sh                              # every target, 60 s each, two at a time
#   FUZZ_SECONDS=300 FUZZ_TARGETS="pg_startup scram_client" scripts/fuzz.sh
#   FUZZ_BUILD_ONLY=1 scripts/fuzz.sh           # build the targets, run nothing
#
# A finding becomes a regression test: minimise it (fuzz_<name> -minimize_crash=1 -runs=10000
# <file>), save it as tests/fuzz/regressions/<name>/<what-it-is>, fix the parser; the normal
# build's sluice_fuzz_replay test then replays it forever.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${FUZZ_BUILD_DIR:-$root/build-fuzz}
seconds=${FUZZ_SECONDS:-60}
jobs=${FUZZ_JOBS:-2}

# The only things this script installs (scripts/install-deps.sh lists the same packages):
# clang and libFuzzer, and libsodium, which the parsers' auth/ sources link.
if ! command -v clang++-14 >/dev/null || ! pkg-config --exists libsodium; then
  apt-get update -qq
  apt-get install -y clang-14 libclang-rt-14-dev libsodium-dev
fi

CC=clang-14 CXX=clang++-14 cmake -S "$root" -B "$build" -G Ninja -DSLUICE_FUZZ=ON >/dev/null
cmake --build "$build" --target fuzz_all -j 2
[[ -n "${FUZZ_BUILD_ONLY:-}" ]] && exit 0

if [[ -n "${FUZZ_TARGETS:-}" ]]; then
  read -r -a targets <<<"$FUZZ_TARGETS"
else
  targets=()
  for corpus in "$root"/tests/fuzz/corpus/*/; do targets+=("$(basename "$corpus")"); done
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/sluice-fuzz.XXXXXX")
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

# Runs one target; its output goes to $work/<name>.log, its exit status and wall-clock
# seconds to $work/<name>.status and $work/<name>.seconds.
run_target() {
  local name=$1
  local corpus=$work/corpus/$name artifacts=$work/artifacts/$name
  mkdir -p "$corpus" "$artifacts"
  cp "$root"/tests/fuzz/corpus/"$name"/* "$corpus"/
  local options=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -detect_leaks=1
                 -print_final_stats=1 -artifact_prefix="$artifacts/")
  local dict=$root/tests/fuzz/dict/$name.dict
  [[ -f "$dict" ]] && options+=(-dict="$dict")
  local status=0 start=$SECONDS
  "$build/tests/fuzz/fuzz_$name" "${options[@]}" "$corpus" >"$work/$name.log" 2>&1 || status=$?
  echo "$status" >"$work/$name.status"
  echo $((SECONDS - start)) >"$work/$name.seconds"
}

started=$SECONDS
for name in "${targets[@]}"; do
  while (( $(jobs -rp | wc -l) >= jobs )); do wait -n || true; done
  echo "fuzz: starting $name (${seconds}s)"
  run_target "$name" &
done
wait

# One line per target from libFuzzer's final stats, then the details of every failure.
failed=0
printf '\n%-18s %8s %12s %10s %12s  %s\n' target seconds executions exec/s corpus result
for name in "${targets[@]}"; do
  log=$work/$name.log
  status=$(cat "$work/$name.status")
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  took=$(cat "$work/$name.seconds")
  corp=$(grep -o 'corp: [0-9]*/[0-9]*[a-zA-Z]*' "$log" | tail -1 | cut -d' ' -f2)
  artifacts=("$work/artifacts/$name"/*)
  result=ok
  if [[ "$status" != 0 || -e "${artifacts[0]}" ]]; then result="FAILED (exit $status)"; failed=1; fi
  printf '%-18s %8s %12s %10s %12s  %s\n' "$name" "$took" "${runs:-?}" "${rate:-?}" "${corp:-?}" "$result"
done

for name in "${targets[@]}"; do
  for artifact in "$work/artifacts/$name"/*; do
    [[ -e "$artifact" ]] || continue
    echo
    echo "=== $name: $(grep -m1 -E 'Assertion|ERROR: |runtime error|fuzz invariant' "$work/$name.log" || true)"
    echo "reproducer: $artifact"
    echo "rerun:      $build/tests/fuzz/fuzz_$name $artifact"
    od -A x -t x1z -v "$artifact" | head -32
  done
  if [[ "$(cat "$work/$name.status")" != 0 ]]; then
    echo "--- last lines of $work/$name.log"
    tail -40 "$work/$name.log"
  fi
done

echo
echo "fuzz: ${#targets[@]} targets, ${seconds}s each, $((SECONDS - started))s of fuzzing; work dir $work"
if (( failed )); then
  echo "fuzz: FAILED (logs, corpora and reproducers kept in $work)"
  exit 1
fi
if [[ -z "${FUZZ_KEEP_WORKDIR:-}" ]]; then rm -rf "$work"; fi
echo "fuzz: all targets clean"
