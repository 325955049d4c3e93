#!/usr/bin/env bash
# integration.oss_fuzz_local: oss-fuzz/build.sh, run the way OSS-Fuzz runs it
# (tools/oss-fuzz-local), for libfuzzer+address, libfuzzer+undefined and
# afl+address; each builds its fuzz targets in a temporary $OUT and checks
# them (binaries run on their seeds, seed corpus zip, .dict, .options).
#   oss_fuzz_local.sh SOURCE_DIR [TARGETS]
# Each combination builds one of build.sh's two configurations, since each
# build of a configuration compiles the allocator again and three full rounds
# (six builds) cost about 95 s of every tools/test: libfuzzer+address the main
# configuration's targets (alloc_ops_fuzz mpsc_fuzz api_fuzz), libfuzzer+
# undefined mpsc_fuzz, afl+address the tolerant configuration (collision_fuzz,
# which the fuzz-tolerant preset also builds with libFuzzer and ASan).
# TARGETS (space separated) gives the targets of every combination, and
# HZ3_OSS_FUZZ_LOCAL_ALL=1 builds every target in all three.
set -uo pipefail
SRC_DIR="$1"
TARGETS="${2:-}"
export HZ3_OSS_FUZZ_JOBS="${HZ3_OSS_FUZZ_JOBS:-2}"
rc=0
for combo in "libfuzzer address alloc_ops_fuzz,mpsc_fuzz,api_fuzz" "libfuzzer undefined mpsc_fuzz" \
             "afl address collision_fuzz"; do
  read -r engine san subset <<<"$combo"
  want="$TARGETS"
  if [[ -z "$want" && "${HZ3_OSS_FUZZ_LOCAL_ALL:-0}" != 1 ]]; then
    want="${subset//,/ }"
  fi
  args=()
  [[ -n "$want" ]] && args=(--targets "$want")
  if ! "$SRC_DIR/tools/oss-fuzz-local" --engine "$engine" --sanitizer "$san" "${args[@]}"; then
    echo "oss_fuzz_local: FAILED: $engine + $san" >&2
    rc=1
  fi
done
exit $rc
