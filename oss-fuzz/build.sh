#!/bin/bash -eu
# OSS-Fuzz / ClusterFuzzLite build script for hz3 (runs in base-builder as
# $SRC/build.sh, or locally through tools/oss-fuzz-local).
#
# Uses what OSS-Fuzz sets: $CC $CXX $CFLAGS $CXXFLAGS $LIB_FUZZING_ENGINE
# $SRC $OUT (and $WORK for build trees). The sanitizer comes in through
# $CFLAGS/$CXXFLAGS, so HZ3_SANITIZE is never set here.
#
# Two configurations:
#   main      the scale lane (96 shards, S142 lock-free xfer and central,
#             collisions fail fast) with every fail-fast flag on:
#             alloc_ops_fuzz mpsc_fuzz api_fuzz
#   tolerant  8 shards, collisions allowed and serialized by OwnerExcl, every
#             fail-fast flag on: collision_fuzz
# For each target: $OUT/<target>, $OUT/<target>_seed_corpus.zip (from
# corpora/seed/<target> and corpora/crash/<target>), $OUT/<target>.dict and
# $OUT/<target>.options when fuzz/ has them.
#
# HZ3_OSS_FUZZ_TARGETS (space separated) restricts the targets built (the
# local check uses it to stay fast); default: all of them.

HZ3="${HZ3_SRC_DIR:-$SRC/hz3}"
BUILD_ROOT="${WORK:-/tmp}/hz3-oss-fuzz-build"
JOBS="${HZ3_OSS_FUZZ_JOBS:-$(nproc)}"

MAIN_TARGETS=(alloc_ops_fuzz mpsc_fuzz api_fuzz)
TOLERANT_TARGETS=(collision_fuzz)
WANT="${HZ3_OSS_FUZZ_TARGETS:-${MAIN_TARGETS[*]} ${TOLERANT_TARGETS[*]}}"

FAILFAST_FLAGS=(-DHZ3_S142_FAILFAST=1 -DHZ3_LIST_FAILFAST=1 -DHZ3_XFER_STRUCT_FAILFAST=1
                -DHZ3_FREE_FAILFAST=1)

# The fuzzing engine: "-fsanitize=fuzzer" (libFuzzer) is a flag; for AFL++,
# OSS-Fuzz passes the driver library's path (libAFLDriver.a). A path is
# linked whole so its main() is kept whatever the link order.
ENGINE="$LIB_FUZZING_ENGINE"
if [[ "$ENGINE" != -* && -f "$ENGINE" ]]; then
  ENGINE="-Wl,--whole-archive $ENGINE -Wl,--no-whole-archive"
fi

# hz3's core is built with -fno-rtti; clang refuses -fsanitize=vptr next to
# it, so vptr (part of OSS-Fuzz's "undefined" list) is turned off. hz3 has no
# polymorphic types, so nothing is lost.
EXTRA_CXX=""
if [[ "$CXXFLAGS" == *vptr* ]]; then EXTRA_CXX=" -fno-sanitize=vptr"; fi

selected() {  # print the wanted targets among "$@"
  local t
  for t in "$@"; do
    if [[ " $WANT " == *" $t "* && -f "$HZ3/fuzz/$t.cc" ]]; then echo "$t"; fi
  done
}

build_config() {  # build_config NAME "TARGETS" CMAKE_ARGS...
  local name="$1" targets="$2"
  shift 2
  [[ -n "$targets" ]] || return 0
  local dir="$BUILD_ROOT/$name"
  cmake -S "$HZ3" -B "$dir" -G Ninja \
    -DCMAKE_C_COMPILER="$CC" -DCMAKE_CXX_COMPILER="$CXX" \
    -DCMAKE_C_FLAGS="$CFLAGS" -DCMAKE_CXX_FLAGS="$CXXFLAGS$EXTRA_CXX" \
    -DCMAKE_BUILD_TYPE= -DBUILD_TESTING=OFF \
    -DHZ3_FUZZ=ON -DHZ3_FUZZ_ENGINE="$ENGINE" \
    "${FAILFAST_FLAGS[@]}" "$@"
  # shellcheck disable=SC2086
  ninja -C "$dir" -j "$JOBS" $targets
  local t
  for t in $targets; do
    install -m 0755 "$dir/fuzz/$t" "$OUT/$t"
  done
}

build_config main "$(selected "${MAIN_TARGETS[@]}" | tr '\n' ' ')" \
  -DHZ3_LANE=oss-fuzz -DHZ3_NUM_SHARDS=96 -DHZ3_S142_XFER_LOCKFREE=1 \
  -DHZ3_S142_CENTRAL_LOCKFREE=1 -DHZ3_SHARD_COLLISION_FAILFAST=1
build_config tolerant "$(selected "${TOLERANT_TARGETS[@]}" | tr '\n' ' ')" \
  -DHZ3_LANE=oss-fuzz-tolerant -DHZ3_NUM_SHARDS=8 -DHZ3_S142_XFER_LOCKFREE=1 \
  -DHZ3_S142_CENTRAL_LOCKFREE=1 -DHZ3_SHARD_COLLISION_FAILFAST=0 -DHZ3_OWNER_EXCL_ALWAYS=1

# Seed corpora (seeds + every fixed crash), dictionaries, options.
for t in $(selected "${MAIN_TARGETS[@]}" "${TOLERANT_TARGETS[@]}"); do
  stage="$BUILD_ROOT/corpus/$t"
  rm -rf "$stage"
  mkdir -p "$stage"
  for d in "$HZ3/corpora/seed/$t" "$HZ3/corpora/crash/$t"; do
    if [[ -d "$d" ]]; then
      find "$d" -maxdepth 1 -type f ! -name '.*' ! -name 'README*' -exec cp {} "$stage/" \;
    fi
  done
  rm -f "$OUT/${t}_seed_corpus.zip"
  # zip refuses an empty file list; an empty corpus gets a placeholder seed.
  if [[ -z "$(ls -A "$stage")" ]]; then printf '\x01' >"$stage/empty"; fi
  (cd "$stage" && zip -q -j "$OUT/${t}_seed_corpus.zip" ./*)
  for ext in dict options; do
    if [[ -f "$HZ3/fuzz/$t.$ext" ]]; then cp "$HZ3/fuzz/$t.$ext" "$OUT/$t.$ext"; fi
  done
done
