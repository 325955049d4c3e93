#!/usr/bin/env bash
# preload_sort <libhz3.so> <lane> <shards>: sort(1) a generated 200,000-line
# file under hz3, with 4 sort threads and a small buffer (so it also merges
# temporary runs); the output must equal the same sort without hz3.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
preload_args "$@"
need sort
need awk

awk 'BEGIN { s = 12345;
  for (i = 0; i < 200000; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    n = 1 + s % 60; line = "";
    for (k = 0; k < n; k++) line = line sprintf("%c", 97 + (s / (k + 1)) % 26);
    printf "%d\t%s\t%d\n", s % 1000, line, i;
  } }' >"$TMP/in.txt"
[[ "$(wc -l <"$TMP/in.txt")" == 200000 ]] || die "input generation failed"

run_sort() {  # run_sort <out> <args...>
  local out="$1"
  shift
  LC_ALL=C sort --parallel=4 -S 4M -T "$TMP" "$@" "$TMP/in.txt" >"$out"
}
for mode in plain numeric; do
  args=()
  [[ $mode == numeric ]] && args=(-t $'\t' -k1,1n -k2,2r -k3,3n)
  run_sort "$TMP/ref.$mode" "${args[@]}" || die "reference sort failed"
  set +e
  LC_ALL=C hz3 sort --parallel=4 -S 4M -T "$TMP" "${args[@]}" "$TMP/in.txt" >"$TMP/hz3.$mode" 2>"$TMP/hz3.$mode.err"
  rc=$?
  set -e
  check_status "sort ($mode)" "$rc"
  expect_config "$TMP/hz3.$mode.err" exactly 1
  cmp -s "$TMP/ref.$mode" "$TMP/hz3.$mode" || die "sort ($mode) output differs under hz3"
  [[ "$(wc -l <"$TMP/hz3.$mode")" == 200000 ]] || die "sort ($mode) lost lines"
done
echo "preload_sort: ok"
