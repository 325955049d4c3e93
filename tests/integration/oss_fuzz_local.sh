#!/usr/bin/env bash
# integration.oss_fuzz_local: oss-fuzz/build.sh, run the way OSS-Fuzz runs it
# (tools/oss-fuzz-local), for libfuzzer+address, libfuzzer+undefined and
# afl+address; each builds every fuzz target in a temporary $OUT and checks
# it (binaries run on their seeds, seed corpus zip, .dict, .options).
#   oss_fuzz_local.sh SOURCE_DIR [TARGETS]
# TARGETS (space separated) restricts the targets; default: every target.
set -uo pipefail
SRC_DIR="$1"
TARGETS="${2:-}"
args=()
[[ -n "$TARGETS" ]] && args=(--targets "$TARGETS")
export HZ3_OSS_FUZZ_JOBS="${HZ3_OSS_FUZZ_JOBS:-2}"
rc=0
for combo in "libfuzzer address" "libfuzzer undefined" "afl address"; do
  read -r engine san <<<"$combo"
  if ! "$SRC_DIR/tools/oss-fuzz-local" --engine "$engine" --sanitizer "$san" "${args[@]}"; then
    echo "oss_fuzz_local: FAILED: $engine + $san" >&2
    rc=1
  fi
done
exit $rc
