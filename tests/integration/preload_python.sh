#!/usr/bin/env bash
# preload_python <libhz3.so> <lane> <shards>: a 4-thread Python workload
# (dicts, lists, strings; objects freed by other threads) under hz3, with
# PYTHONMALLOC=malloc so every object is a malloc. Its self-checks must pass
# and its digest must equal the run without hz3.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
preload_args "$@"
need python3
# The interpreter itself, not a wrapper (a pyenv shim is a shell script that
# would run several processes under the preload).
PY="$(python3 -c 'import sys; print(sys.executable)')"
[[ -x "$PY" ]] || die "cannot resolve the python3 executable"
SCRIPT="$(dirname "${BASH_SOURCE[0]}")/preload_python.py"

PYTHONMALLOC=malloc "$PY" "$SCRIPT" >"$TMP/ref.out" || die "reference run (no preload) failed"
set +e
hz3 PYTHONMALLOC=malloc "$PY" "$SCRIPT" >"$TMP/hz3.out" 2>"$TMP/hz3.err"
rc=$?
set -e
[[ $rc == 0 ]] || sed -n '1,40p' "$TMP/hz3.err" >&2
check_status python3 "$rc"
expect_config "$TMP/hz3.err" exactly 1
cmp -s "$TMP/ref.out" "$TMP/hz3.out" || { diff "$TMP/ref.out" "$TMP/hz3.out" >&2 || true; die "python3 output differs under hz3"; }
cat "$TMP/hz3.out"
echo "preload_python: ok"
