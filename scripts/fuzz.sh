#!/usr/bin/env bash
# Builds the libFuzzer targets in fuzz/ (CMake with IST_FUZZ=ON: clang-14, -fsanitize=fuzzer,address,
# undefined on every library they link) into build-fuzz/, then runs each for SECONDS (default 60) on its
# corpus in build-fuzz/corpus/NAME (kept between runs, so later runs start where earlier ones stopped).
# A crash leaves its input in build-fuzz/crash-* and the script exits non-zero after the other targets ran.
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]      (TARGET: e.g. data_loader_fuzzer; default all)
# Not part of .ci/run (minutes, not seconds). A finding becomes a regression: copy its input into
# fuzz/regressions/TARGET/ (ctest replays that folder through the target in the normal build, label unit),
# fix the code, and keep the input.
set -euo pipefail
seconds="${1:-60}"
shift || true
root="$(cd "$(dirname "$0")/.." && pwd)"
out="$root/build-fuzz"
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S "$root" -B "$out" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER="${CXX_FUZZ:-clang++-14}" \
  -DIST_FUZZ=ON -DIST_WERROR=OFF -DBUILD_TESTING=OFF "${launcher[@]}" >/dev/null
cmake --build "$out" --target fuzzers -j "${JOBS:-2}"
targets=("$@")
if ((${#targets[@]} == 0)); then
  for source in "$root"/fuzz/*_fuzzer.cc; do targets+=("$(basename "$source" .cc)"); done
fi
failed=()
for name in "${targets[@]}"; do
  mkdir -p "$out/corpus/$name"
  echo "fuzz: running $name for $seconds s"
  if ! (cd "$out" && "./fuzz/$name" -max_total_time="$seconds" -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
          -print_final_stats=1 "corpus/$name" 2>&1 | grep -E "^(#[0-9]+ *DONE|stat::|==|SUMMARY|artifact_prefix|Test unit written)"); then
    :
  fi
  # Any one kind of finding counts (ls of several patterns fails when one of them matches nothing).
  findings=("$out"/crash-* "$out"/leak-* "$out"/timeout-* "$out"/oom-*)
  found=()
  for f in "${findings[@]}"; do [ -e "$f" ] && found+=("$f"); done
  if ((${#found[@]})); then
    failed+=("$name")
    mkdir -p "$out/found/$name" && mv "${found[@]}" "$out/found/$name/"
  fi
done
if ((${#failed[@]})); then
  echo "fuzz: findings (inputs in build-fuzz/found/): ${failed[*]}" >&2
  exit 1
fi
echo "fuzz: no crash in ${targets[*]}"
