#!/usr/bin/env bash
# The schedule points cost release code nothing: the fast path's instructions
# are the same with and without the schedule support compiled in.
#
# Usage: sched_fastpath.sh REF_DIR SCHED_DIR
# Both directories hold the same sources (src/shim/malloc.cc, src/hz3/api.cc,
# src/hz3/shard.cc) compiled with the same flags, once with HZ3_SCHED=0 and
# once with HZ3_SCHED=1 (tests/integration/CMakeLists.txt). For each fast-path
# function the disassembly (addresses stripped, relocations kept) must be
# identical. As a control, push_remote_list, which holds schedule points in
# the schedule build, must differ: that shows the comparison can see a change.
set -uo pipefail
ref="$1"
sch="$2"

obj() { find "$1" -name "$2.o" -print -quit; }
body() {  # disassembly of function $2 in object $1, addresses and offsets stripped
  objdump -d -r --no-show-raw-insn --no-addresses "$1" |
    awk -v f="<$2>:" '$0 == f {on = 1; next} on && /^$/ {exit} on {print}' |
    sed -E 's/<[^>]*\+0x[0-9a-f]+>/<+off>/g'
}

fail=0
check() {  # file symbol expect(same|differ)
  local a b
  a="$(body "$(obj "$ref" "$1")" "$2")"
  b="$(body "$(obj "$sch" "$1")" "$2")"
  if [[ -z "$a" || -z "$b" ]]; then
    echo "sched_fastpath: FAIL $2 not found in $1.o"
    fail=1
    return
  fi
  local n
  n="$(printf '%s\n' "$a" | grep -c .)"
  if [[ "$a" == "$b" ]]; then
    if [[ "$3" == same ]]; then
      echo "sched_fastpath: ok $2 ($1): $n instructions, identical with HZ3_SCHED=1"
    else
      echo "sched_fastpath: FAIL control $2 ($1) is identical: the comparison cannot see a change"
      fail=1
    fi
  else
    if [[ "$3" == same ]]; then
      echo "sched_fastpath: FAIL $2 ($1) differs with HZ3_SCHED=1:"
      diff <(printf '%s\n' "$a") <(printf '%s\n' "$b") | head -40
      fail=1
    else
      echo "sched_fastpath: ok control $2 ($1) differs with HZ3_SCHED=1 ($n instructions without)"
    fi
  fi
}

check malloc.cc malloc same
check malloc.cc free same
check malloc.cc calloc same
check malloc.cc realloc same
check api.cc hz3_malloc same
check api.cc hz3_free same
check shard.cc _ZN3hz316push_remote_listEtjPvS0_jNS_9PushCheckE differ
exit $fail
