#!/usr/bin/env bash
# Installs the Debian packages the build needs (skips what is present), then configures and builds
# in Release into ./build. Idempotent. Downloads nothing but Debian packages.
#   scripts/setup.sh            build Release into build/
#   IST_SANITIZE=ON BUILD_DIR=build-asan scripts/setup.sh   the ASan+UBSan build
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(build-essential cmake pkg-config ninja-build zlib1g-dev libeigen3-dev libopenblas-dev
  libzmq3-dev cppzmq-dev libmsgpack-cxx-dev libsodium-dev libgtest-dev libgmock-dev libbenchmark-dev
  libcli11-dev libtomlplusplus-dev nlohmann-json3-dev dataset-fashion-mnist procps iproute2 python3-numpy
  librsvg2-bin chromium)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

build_dir="${BUILD_DIR:-build}"
launcher=()
# ccache, when the machine has it, makes rebuilds in several checkouts cheap (CCACHE_BASEDIR=/work).
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DIST_SANITIZE="${IST_SANITIZE:-OFF}" "${launcher[@]}" >/dev/null
cmake --build "$build_dir" -j "$(nproc)"
