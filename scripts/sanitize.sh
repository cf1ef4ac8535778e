#!/usr/bin/env bash
# Builds the project with sanitizers in a build directory of its own and runs tests under them.
#   scripts/sanitize.sh [address] [LABEL...]   ASan + UBSan (build-asan/), the tests of each ctest LABEL
#                                              (default: unit cluster)
#   scripts/sanitize.sh thread [LABEL...]      TSan (build-tsan/), the runtime tests (default), or the
#                                              tests of each LABEL; libzmq's own internals are suppressed
#                                              (scripts/tsan.supp says why, line by line)
# A sanitizer report fails the test it happens in (-fno-sanitize-recover, halt_on_error). Not part of
# .ci/run: a sanitized build and run take many minutes. JOBS (default 2) sets the build's parallelism.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
mode=address
if [ "${1:-}" = address ] || [ "${1:-}" = thread ]; then mode="$1"; shift; fi
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
if [ "$mode" = address ]; then
  out="$root/build-asan"
  cmake -S "$root" -B "$out" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DIST_SANITIZE=ON "${launcher[@]}" >/dev/null
  labels=("${@:-unit}")
  (($# > 0)) || labels=(unit cluster)
  export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:abort_on_error=0:strict_string_checks=1"
  export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
else
  out="$root/build-tsan"
  cmake -S "$root" -B "$out" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DIST_TSAN=ON "${launcher[@]}" >/dev/null
  labels=("$@")
  export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$root/scripts/tsan.supp"
fi
cmake --build "$out" -j "${JOBS:-2}"
status=0
if [ "$mode" = thread ] && ((${#labels[@]} == 0)); then
  echo "sanitize: TSan, the runtime tests"
  ctest --test-dir "$out" -R '^(Cluster|SizeCap|Launcher|Node|CurveCluster|Authorization|HeadLoss|Malformed|MemberQuery)' \
    --output-on-failure -j 2 --timeout 600 || status=$?
else
  for label in "${labels[@]}"; do
    echo "sanitize: $mode, the $label tests"
    ctest --test-dir "$out" -L "^$label\$" --output-on-failure -j 2 --timeout 600 || status=$?
  done
fi
exit "$status"
