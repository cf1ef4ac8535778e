#!/usr/bin/env bash
# Builds the libFuzzer targets in fuzz/ with clang (Debian's clang-14, -fsanitize=fuzzer,address,undefined)
# straight from the runtime sources, and runs each for SECONDS (default 60) on its corpus in
# build-fuzz/corpus/NAME. A crash leaves its input in build-fuzz/ and exits non-zero.
# Usage: scripts/fuzz.sh [SECONDS]
set -euo pipefail
seconds="${1:-60}"
root="$(cd "$(dirname "$0")/.." && pwd)"
out="$root/build-fuzz"
mkdir -p "$out"
cxx="${CXX_FUZZ:-clang++-14}"
flags=(-std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -I"$root" -DMSGPACK_DEFAULT_API_VERSION=3)
runtime_sources=("$root"/runtime/envelope.cc "$root"/runtime/blob.cc "$root"/runtime/utf8.cc)
for target in "$root"/fuzz/*_fuzzer.cc; do
  name="$(basename "$target" .cc)"
  echo "building $name"
  "$cxx" "${flags[@]}" "$target" "${runtime_sources[@]}" -lzmq -o "$out/$name"
  mkdir -p "$out/corpus/$name"
  echo "running $name for $seconds s"
  (cd "$out" && "./$name" -max_total_time="$seconds" -max_len=4096 -print_final_stats=1 "corpus/$name")
done
