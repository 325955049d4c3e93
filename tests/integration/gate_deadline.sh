#!/usr/bin/env bash
# integration.gate_deadline SOURCE_DIR: the ci gate's deadline rules, checked
# with a deadline that has already passed, so no stage does any work:
#   - a gated stage not started by the deadline fails ("not run: the gate's
#     deadline ... had passed") and the verdict is NO-GO, exit status 1;
#   - bench, which the ci profile measures but does not gate, is reported
#     INFO "not run" instead, never FAIL, and runs after programs.
set -uo pipefail
SRC_DIR="${1:?source dir}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
die() { echo "gate_deadline: FAILED: $*" >&2; echo "--- gate output:" >&2; cat "$out/stdout" >&2; exit 1; }

"$SRC_DIR/tools/gate" --budget ci --only programs,bench --deadline 0.000001s --out "$out/report" >"$out/stdout" 2>&1
rc=$?
[[ $rc -eq 1 ]] || die "exit status $rc, want 1 (NO-GO)"
grep -Eq "^gate: programs +FAIL .*not run: the gate's deadline" "$out/stdout" || die "programs was not failed as not run"
grep -Eq "^gate: bench +INFO .*not run: 0 s left before the deadline" "$out/stdout" || die "bench was not reported INFO not run"
if grep -Eq "^gate: bench +FAIL" "$out/stdout"; then die "bench failed the ci gate"; fi
grep -Eq "^gate: NO-GO \(commit" "$out/stdout" || die "no NO-GO verdict line"
# The stage table lists programs before bench (the order they run in).
awk '/^\| programs \|/{p=NR} /^\| bench \|/{b=NR} END{exit !(p && b && p < b)}' "$out/stdout" ||
  die "the table does not list programs before bench"
echo "gate_deadline: ok"
