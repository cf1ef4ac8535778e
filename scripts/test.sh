#!/usr/bin/env bash
# Sets up, builds and runs every test (README's test command; .ci/run runs this too).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
ctest --test-dir "${BUILD_DIR:-build}" --output-on-failure -j 2 --timeout 300
