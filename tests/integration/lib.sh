# shellcheck shell=bash
# Shared helpers for the LD_PRELOAD integration tests (sourced, not run).
# Every test script takes: <libhz3.so> <lane> <shards> [extra args...]
set -euo pipefail

die() {
  echo "FAIL: $*" >&2
  exit 1
}

# preload_args: sets LIB, LANE, SHARDS from the first three arguments and a
# scratch directory TMP (removed at exit).
preload_args() {
  (($# >= 3)) || die "usage: $0 <libhz3.so> <lane> <shards> ..."
  LIB="$1" LANE="$2" SHARDS="$3"
  [[ -f "$LIB" ]] || die "no such library: $LIB"
  LIB="$(cd "$(dirname "$LIB")" && pwd)/$(basename "$LIB")"  # children may chdir
  TMP="$(mktemp -d "${TMPDIR:-/tmp}/hz3-it.XXXXXX")"
  trap 'rm -rf "$TMP"' EXIT
}

need() {
  command -v "$1" >/dev/null 2>&1 || die "$1 is not installed (tools/bootstrap installs it)"
}

# hz3 [NAME=VALUE...] <cmd...>: run a command with hz3 preloaded and its
# config printed (the arguments go to env(1), which itself runs unpreloaded).
hz3() {
  env LD_PRELOAD="$LIB" HZ3_PRINT_CONFIG=1 "$@"
}

# check_status <what> <rc>: a non-zero status (a crash is 128+signal) fails.
check_status() {
  local what="$1" rc="$2"
  if ((rc != 0)); then
    if ((rc > 128)); then
      die "$what under LD_PRELOAD=$LIB died with signal $((rc - 128))"
    fi
    die "$what under LD_PRELOAD=$LIB exited with status $rc"
  fi
}

# expect_config <stderr file> <exactly|at-least> <count>
# The lines "hz3: config ..." must all read "lane=$LANE shards=$SHARDS ..."
# and be exactly / at least <count> many: proof that hz3 was loaded (once per
# process) and that the lane prints the shard count it was built with.
expect_config() {
  local file="$1" mode="$2" want="$3" total good
  total="$(grep -c '^hz3: config ' "$file" || true)"
  good="$(grep -cE "^hz3: config lane=${LANE} shards=${SHARDS}( |\$)" "$file" || true)"
  if [[ "$mode" == exactly ]]; then
    ((total == want)) || { sed -n '1,40p' "$file" >&2; die "expected exactly $want 'hz3: config' line(s) in stderr, found $total"; }
  else
    ((total >= want)) || { sed -n '1,40p' "$file" >&2; die "expected at least $want 'hz3: config' line(s) in stderr, found $total"; }
  fi
  ((good == total)) || {
    grep '^hz3: config ' "$file" | sort | uniq -c >&2
    die "config line(s) do not read 'lane=${LANE} shards=${SHARDS}'"
  }
  echo "ok: $total config line(s): $(grep -m1 '^hz3: config ' "$file" | cut -c1-60)..."
}
