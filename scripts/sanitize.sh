#!/usr/bin/env bash
# Runs the test suite against a sanitizer build and fails on any sanitizer report.
#
#   scripts/sanitize.sh address   # ASan + UBSan: every unit and integration test (build-asan/)
#   scripts/sanitize.sh thread    # TSan: the concurrency-heavy integration tests driving a
#                                 # TSan daemon (build-tsan/)
#   scripts/sanitize.sh KIND build   # only build KIND's tree (test.sh does it in the background)
#
# The trees are built at -O1 -g1 with assertions on: what sanitizer documentation recommends
# (fast enough, line numbers in every report), and a third less compile time than -O2 -g.
#
# Reports go to files (log_path), not only to stderr: the daemon under test is a child of the
# test process, so a report it prints would otherwise be lost in a log nobody reads. Any file
# there at the end fails the run and is printed. Needs the normal build in build/: its
# integration tests drive the instrumented daemon (SLUICE_TEST_BINARY).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

kind=${1:?usage: scripts/sanitize.sh address|thread [build]}
phase=${2:-all}
normal_build=${SLUICE_BUILD_DIR:-build}
reports=$(mktemp -d /tmp/sluice-sanitizer.XXXXXX)
chmod 0777 "$reports"   # processes started as the postgres user may also be instrumented
suppressions=$PWD/scripts/sanitizer
symbolizer=/usr/lib/llvm-14/bin/llvm-symbolizer  # readable stack traces in the reports
[[ -x $symbolizer ]] && export ASAN_SYMBOLIZER_PATH=$symbolizer TSAN_SYMBOLIZER_PATH=$symbolizer \
  UBSAN_SYMBOLIZER_PATH=$symbolizer

# configure_and_build DIR CMAKE_OPTION TARGET...
configure_and_build() {
  local dir=$1 option=$2
  shift 2
  cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" \
    "$option"
  cmake --build "$dir" -j2 --target "$@"
  if [[ $phase == build ]]; then rm -rf "$reports"; exit 0; fi
  return 0
}

# integration_tests_matching CATCH_TEST_SPEC: ctest's -I list ("0,0,0,N,N,...") of the normal
# build's integration tests that the Catch test spec (tags, e.g. '~[drivers]') selects: CTest
# sees no Catch tags, and the names contain regex characters.
integration_tests_matching() {
  local spec=$1 numbers
  # (Catch exits with the number of tests it listed; an empty list fails below.)
  { "$normal_build/sluice_integration_tests" "$spec" --list-test-names-only || true; } | sed '/^$/d' |
    LC_ALL=C sort >"$reports/wanted"
  numbers=$(ctest --test-dir "$normal_build" -N -R '^integration:' |
    sed -n 's/^ *Test *#\([0-9]*\): integration: *\(.*\)$/\1\t\2/p' | LC_ALL=C sort -t $'\t' -k2 |
    LC_ALL=C join -t $'\t' -1 2 -2 1 -o 1.1 - "$reports/wanted" | sort -n | paste -sd,)
  rm -f "$reports/wanted"
  if [[ -z $numbers ]]; then
    echo "sanitize.sh: no integration test matches '$spec'" >&2
    exit 1
  fi
  echo "0,0,0,$numbers"
}

tests_failed=0  # a failing test does not stop the run before the reports are shown
case "$kind" in
  address)
    build_dir=build-asan
    # Instrumented: the daemon, and the fuzz-corpus replay (every parser on every saved input).
    # The integration tests drive the instrumented daemon from the normal build's test binary:
    # the daemon is what they test, and compiling them twice would cost CI minutes. The unit
    # tests are not instrumented (CI's 45 minutes): the parsers they cover are fuzzed under
    # ASan in the fuzz stage, the pool and session logic runs inside the instrumented daemon.
    configure_and_build "$build_dir" -DSLUICE_SANITIZE=ON sluice sluice_fuzz_replay
    export ASAN_OPTIONS="log_path=$reports/asan:detect_leaks=1:strict_string_checks=1"
    export LSAN_OPTIONS="suppressions=$suppressions/lsan.supp:print_suppressions=0"
    export UBSAN_OPTIONS="log_path=$reports/ubsan:print_stacktrace=1:halt_on_error=1"
    ctest --test-dir "$build_dir" --output-on-failure -j2 --timeout 600 -R '^fuzz-replay:' || tests_failed=1
    # The integration tests of what peers send and what Sluice relays (logins, protocols,
    # statements, session state, TLS, faults, hostile peers, streaming): all but those whose
    # time goes to a client runtime (JVM, Node and Python drivers, which send what the libpq
    # and Connector/C tests send too), to load (pgbench: the thread stage runs it), to waiting
    # out timeouts and caps (limits, idle, reload: the thread stage runs caps, fairness and
    # reloads), or to the operator surface (admin console, HBA, config, metrics, health).
    # About two thirds of the tests (160 of 252 on 2026-12-06): all of them under ASan would not
    # fit CI's 45 minutes.
    address_subset='~[drivers]~[mysql_drivers]~[connector_j]~[pgbench]~[limits]~[mysql-limits]~[idle]~[reload]'
    address_subset+='~[mysql-reload]~[admin]~[mysql-admin]~[hba]~[config]~[metrics]~[health]~[harness]'
    address_tests=$(integration_tests_matching "$address_subset")
    SLUICE_TEST_BINARY=$PWD/$build_dir/sluice \
      ctest --test-dir "$normal_build" --output-on-failure --timeout 600 -I "$address_tests" || tests_failed=1
    ;;
  thread)
    build_dir=build-tsan
    # Only the daemon: its threads are where races live (the unit tests run one thread).
    configure_and_build "$build_dir" -DSLUICE_TSAN=ON sluice
    export TSAN_OPTIONS="log_path=$reports/tsan:halt_on_error=0:second_deadlock_stack=1:suppressions=$suppressions/tsan.supp"
    # The tests where many sessions, the janitor, reloads and admin commands run at once.
    export SLUICE_TEST_BINARY=$PWD/$build_dir/sluice
    ctest --test-dir "$normal_build" --output-on-failure --timeout 600 \
      -R '^integration:.*(concurren|fair|reload|admin console: (PAUSE|KILL|RECONNECT)|cancel|killed|vanish|restart|storm|waiting|pgbench|drain|max_db|max_user)' \
      || tests_failed=1
    ;;
  *)
    echo "scripts/sanitize.sh: unknown kind '$kind' (address or thread)" >&2
    exit 2
    ;;
esac

shopt -s nullglob
found=("$reports"/*)
if ((${#found[@]} > 0)); then
  echo "sanitize.sh: ${#found[@]} sanitizer report(s) under $kind:" >&2
  for report in "${found[@]}"; do
    echo "===== $report" >&2
    head -n 80 "$report" >&2
  done
  exit 1
fi
echo "sanitize.sh: $kind: no sanitizer reports"
rm -rf "$reports"
if ((tests_failed)); then
  echo "sanitize.sh: $kind: tests failed (see above)" >&2
  exit 1
fi
