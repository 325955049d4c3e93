#!/usr/bin/env bash
# print_config <libhz3.so> <lane> <shards> <bench>: HZ3_PRINT_CONFIG=1 prints
# exactly one "hz3: config lane=<lane> shards=<shards> ..." line per process,
# for a single-threaded program and for a multi-threaded one whose threads
# race to the first allocation. Guards the upstream bug where p32 (255 shards)
# printed shards=96.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
preload_args "$@"
BENCH="${4:?bench path}"

set +e
hz3 /bin/true 2>"$TMP/true.err"
rc=$?
set -e
check_status /bin/true "$rc"
expect_config "$TMP/true.err" exactly 1

set +e
hz3 "$BENCH" 4 20000 64 16 4096 50 >"$TMP/bench.out" 2>"$TMP/bench.err"
rc=$?
set -e
check_status "$BENCH" "$rc"
expect_config "$TMP/bench.err" exactly 1
grep -q 'ops_per_sec=' "$TMP/bench.out" || die "bench printed no result line"

# Without HZ3_PRINT_CONFIG nothing is printed.
LD_PRELOAD="$LIB" /bin/true 2>"$TMP/quiet.err"
if grep -q '^hz3: config' "$TMP/quiet.err"; then die "config printed without HZ3_PRINT_CONFIG=1"; fi
echo "print_config: ok"
