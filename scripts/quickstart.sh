#!/usr/bin/env bash
# Sets up, builds and runs the main job: IST on Fashion-MNIST (784-2048-2048-10, 4 workers, 10 epochs)
# on an embedded local cluster of 4 worker processes. Results go to runs/fashion-mnist-ist-TIMESTAMP/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec build/cli/ist run examples/fashion_mnist_ist.toml "$@"
