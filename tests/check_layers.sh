#!/usr/bin/env bash
# The layering rule (README, Layout), checked over the source tree: arrows point down only,
# cli -> actors -> {ist, runtime} -> base. Prints every include that breaks it as `file:line: include`
# and exits 1; exits 0 when there is none.
#   ist/      includes none of runtime/, actors/, cli/
#   runtime/  includes none of ist/, actors/, cli/
#   base/     includes none of ist/, runtime/, actors/, cli/
#   actors/   does not include cli/
#   nothing outside cli/ includes cli/ (tests/cli/ excepted: it tests the cli)
# Scanned: the source folders below (base ist runtime actors cli tests bench); build folders are not.
# Usage: check_layers.sh SOURCE_DIR | check_layers.sh --self-test
set -euo pipefail

# Prints the includes of files under $1/$2 that name one of the folders in the regex $3, skipping paths
# that match the regex $4 (relative to $1).
offending() {
  local root="$1" dir="$2" forbidden="$3" except="${4:-^$}"
  [ -d "$root/$dir" ] || return 0
  (cd "$root" && grep -rnE --include='*.h' --include='*.cc' --include='*.hpp' --include='*.cpp' \
    "^[[:space:]]*#[[:space:]]*include[[:space:]]*[\"<]($forbidden)/" "$dir" || true) |
    grep -vE "$except" |
    sed -E 's/^([^:]+:[0-9]+):[[:space:]]*/\1: /' || true
}

check() {
  local root="$1" found
  found=$(
    offending "$root" ist 'runtime|actors|cli'
    offending "$root" runtime 'ist|actors|cli'
    offending "$root" base 'ist|runtime|actors|cli'
    offending "$root" actors 'cli'
    for dir in base ist runtime tests bench; do
      offending "$root" "$dir" 'cli' '^tests/cli/'
    done
  )
  if [ -n "$found" ]; then
    echo "$found" | sort -u
    echo "layering: $(echo "$found" | sort -u | wc -l) include(s) point up a layer (see tests/check_layers.sh)" >&2
    return 1
  fi
  echo "layering: every include points down"
}

# A small tree with one include that breaks each rule and includes that keep them: the check must
# name exactly the bad ones.
self_test() {
  local tree
  tree=$(mktemp -d)
  trap 'rm -rf "$tree"' RETURN
  mkdir -p "$tree"/{base,ist,runtime,actors,cli,tests/cli,tests/actors,bench}
  printf '#include "runtime/node.h"\n#include "base/status.h"\n' >"$tree/ist/up.cc"
  printf '#include <ist/mlp.h>\n' >"$tree/runtime/up.h"
  printf '  #  include "actors/driver.h"\n' >"$tree/base/up.h"
  printf '// #include "cli/commands.h" in a comment is not an include\n#include "cli/commands.h"\n' \
    >"$tree/actors/up.cc"
  printf '#include "cli/program.h"\n' >"$tree/tests/actors/up_test.cc"
  printf '#include "cli/report.h"\n#include "actors/driver.h"\n' >"$tree/bench/up.cc"
  printf '#include "cli/report.h"\n#include "actors/driver.h"\n#include "runtime/node.h"\n' >"$tree/cli/ok.cc"
  printf '#include "cli/report.h"\n' >"$tree/tests/cli/ok_test.cc"
  printf '#include "base/status.h"\n' >"$tree/runtime/ok.cc"
  local expected actual
  expected=$(printf '%s\n' \
    'actors/up.cc:2: #include "cli/commands.h"' \
    'base/up.h:1: #  include "actors/driver.h"' \
    'bench/up.cc:1: #include "cli/report.h"' \
    'ist/up.cc:1: #include "runtime/node.h"' \
    'runtime/up.h:1: #include <ist/mlp.h>' \
    'tests/actors/up_test.cc:1: #include "cli/program.h"')
  if actual=$(check "$tree" 2>/dev/null); then
    echo "self-test: the check passed a tree with includes that point up" >&2
    return 1
  fi
  if [ "$actual" != "$expected" ]; then
    printf 'self-test: expected\n%s\ngot\n%s\n' "$expected" "$actual" >&2
    return 1
  fi
  rm -f "$tree"/{ist/up.cc,runtime/up.h,base/up.h,actors/up.cc,tests/actors/up_test.cc,bench/up.cc}
  if ! check "$tree" >/dev/null; then
    echo "self-test: the check failed a tree whose includes all point down" >&2
    return 1
  fi
  echo "self-test: the check names each include that points up, and only those"
}

case "${1:-}" in
  --self-test) self_test ;;
  "" | -*) echo "usage: check_layers.sh SOURCE_DIR | check_layers.sh --self-test" >&2; exit 2 ;;
  *) check "$1" ;;
esac
