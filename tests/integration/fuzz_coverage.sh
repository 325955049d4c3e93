#!/usr/bin/env bash
# integration.fuzz_coverage: the seed corpora reach every fail-fast check site
# built into the coverage lane (alloc_ops_fuzz, mpsc_fuzz), except those listed
# with a reason in fuzz_coverage.allow, and every box function of both MPSC
# forms (mpsc_fuzz), as measured by tools/fuzz-coverage. Fails when a seed
# stops reaching a check, or a new check has no seed.
#   fuzz_coverage.sh SOURCE_DIR
set -uo pipefail
SRC_DIR="$1"
ALLOW="$(dirname "${BASH_SOURCE[0]}")/fuzz_coverage.allow"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
rc=0
for t in alloc_ops_fuzz mpsc_fuzz; do
  if ! "$SRC_DIR/tools/fuzz-coverage" "$t" "$SRC_DIR/corpora/seed/$t" --out "$out/$t" >"$out/$t.txt" 2>&1; then
    echo "fuzz_coverage: FAILED: tools/fuzz-coverage $t"; cat "$out/$t.txt"; rc=1; continue
  fi
  grep 'check sites of this build reached' "$out/$t.txt" | sed "s/^ */$t: /"
  # "    0 !!!   file:line  text" -> "target file:text"
  while IFS= read -r site; do
    key="$t $(echo "$site" | sed -E 's/^ *0 !!! +([^:]+):[0-9]+ +/\1:/')"
    if ! grep -qxF "$key" "$ALLOW"; then
      echo "fuzz_coverage: FAILED: $t seeds never run this check: $site"; rc=1
    fi
  done < <(grep '0 !!!' "$out/$t.txt" | grep -v 'check sites of this build')
done
line="$(grep 'box functions reached' "$out/mpsc_fuzz.txt")"
echo "mpsc_fuzz: $line"
read -r got all <<<"$(echo "$line" | sed -E 's|^ *([0-9]+)/([0-9]+) .*|\1 \2|')"
if [[ -z "$got" || "$got" != "$all" ]]; then
  echo "fuzz_coverage: FAILED: mpsc_fuzz seeds leave box functions unreached:"; grep UNREACHED "$out/mpsc_fuzz.txt"; rc=1
fi
((rc == 0)) && echo "fuzz_coverage: OK"
exit $rc
