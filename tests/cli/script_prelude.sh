# The opening of the cli shell tests that run `ist` on files a numpy script writes. Sourced with the
# test's arguments: `source "$(dirname "$0")/script_prelude.sh" "$@"`, after `set -euo pipefail`.
# Sets IST (the ist binary, $1), SRC (the source tree, $2), PYTHON (Debian's, with python3-numpy, which
# scripts/setup.sh installs) and work (a fresh directory removed on exit); defines fail MESSAGE.
IST=$(readlink -f "$1")
SRC=$(readlink -f "$2")
PYTHON=/usr/bin/python3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
