#!/usr/bin/env bash
# preload_cxx <libhz3.so> <lane> <shards> <preload_cxx executable>: the C++
# program (new/delete, aligned new, threads, fork) runs first without hz3 (it
# must be a correct program) and then with hz3 preloaded.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
preload_args "$@"
EXE="${4:?preload_cxx executable}"

"$EXE" >"$TMP/ref.out" 2>"$TMP/ref.err" || { cat "$TMP/ref.err" >&2; die "preload_cxx fails without hz3"; }
set +e
hz3 HZ3_EXPECT_PRELOAD=1 "$EXE" >"$TMP/hz3.out" 2>"$TMP/hz3.err"
rc=$?
set -e
[[ $rc == 0 ]] || sed -n '1,40p' "$TMP/hz3.err" >&2
check_status preload_cxx "$rc"
expect_config "$TMP/hz3.err" exactly 1
grep -q "^hz3 loaded: shards=${SHARDS} " "$TMP/hz3.out" || { cat "$TMP/hz3.out" >&2; die "hz3_* entry points not visible or wrong shard count"; }
grep -qx "preload_cxx: ok" "$TMP/hz3.out" || die "preload_cxx did not finish"
echo "preload_cxx: ok"
