#!/usr/bin/env bash
# integration.oss_fuzz_local: oss-fuzz/build.sh, run the way OSS-Fuzz runs it
# (tools/oss-fuzz-local), for libfuzzer+address, libfuzzer+undefined and
# afl+address; each builds its fuzz targets in a temporary $OUT and checks
# them (binaries run on their seeds, seed corpus zip, .dict, .options).
#   oss_fuzz_local.sh SOURCE_DIR [TARGETS]
# libfuzzer+address builds every target (both of build.sh's configurations);
# the other two build one target each, one per configuration (mpsc_fuzz: main,
# collision_fuzz: tolerant), since each build of a configuration compiles the
# allocator again and three full rounds cost about 95 s of every tools/test.
# TARGETS (space separated) gives the targets of every combination, and
# HZ3_OSS_FUZZ_LOCAL_ALL=1 builds every target in all three.
set -uo pipefail
SRC_DIR="$1"
TARGETS="${2:-}"
export HZ3_OSS_FUZZ_JOBS="${HZ3_OSS_FUZZ_JOBS:-2}"
rc=0
for combo in "libfuzzer address -" "libfuzzer undefined mpsc_fuzz" "afl address collision_fuzz"; do
  read -r engine san subset <<<"$combo"
  want="$TARGETS"
  if [[ -z "$want" && "$subset" != - && "${HZ3_OSS_FUZZ_LOCAL_ALL:-0}" != 1 ]]; then
    want="$subset"
  fi
  args=()
  [[ -n "$want" ]] && args=(--targets "$want")
  if ! "$SRC_DIR/tools/oss-fuzz-local" --engine "$engine" --sanitizer "$san" "${args[@]}"; then
    echo "oss_fuzz_local: FAILED: $engine + $san" >&2
    rc=1
  fi
done
exit $rc
