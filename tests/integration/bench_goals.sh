#!/usr/bin/env bash
# integration.bench_goals SOURCE_DIR: bench/run's goals table (its "### Goals"
# section), judged on two made-up results.json files through
# `bench/run --report-from`, so nothing is run or timed:
#   - "pass": every goal holds, so the table says 5 of 5 met, and no cell is
#     undecided. It also holds 6 --ab-rounds rounds of the three lanes alone
#     at T=16 R=90, where failfast / scale is 0.86 (0.90 in the main rounds):
#     the failfast goal must take all 11 rounds (median 0.860);
#   - "fail": scale trails tcmalloc in one cell (0.95), failfast is 0.80x
#     scale in one R=90 cell, mutex beats scale at one R=0 cell (0.90), and
#     scale's T=16 R=90 peak RSS is 1.6x tcmalloc's; each verdict must say
#     so, with how many cells failed. At T=8 R=50 scale / mutex runs
#     1.00-1.20 over the rounds (median 1.10): met, but the interval
#     [min, max] holds the bound, so that cell must be named undecided.
#     At T=2 R=90 scale / mutex is 1.00: the S142 goal judges T=8 and T=16
#     only (the work order's thread counts), so it stays met, and the line
#     under the table must print both T=2 ratios as not judged.
# Five rounds a cell; elsewhere the ratios are the same in every round, so the
# paired medians are exactly the ratios written here and every interval is
# one point. Both files also hold rss_paced runs (the
# RSS cell at one pace): the line under the table gives scale / lowest peer at
# that pace, and leaves out a run that fell behind its pace (pace_held=0), here
# a huge tcmalloc peak in the fail case.
set -uo pipefail
SRC_DIR="${1:?source dir}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
die() { echo "bench_goals: FAILED: $*" >&2; echo "--- report of $case:" >&2; cat "$out/$case/report.md" >&2; exit 1; }

make_results() {  # DIR CASE
  python3 - "$1" "$2" <<'EOF'
import json, os, sys
out, case = sys.argv[1], sys.argv[2]
prog = "bench_random_mixed_mt_remote_malloc"
allocs = ["hz3-scale", "hz3-mutex", "hz3-failfast", "tcmalloc", "jemalloc"]
cells = {f"T={t} R={r}": [t, 1000, 400, 16, 2048, r] for t in (2, 8, 16) for r in (0, 50, 90)}
runs = []
for cell, args in cells.items():
    t, r = args[0], args[5]
    mops = {"hz3-scale": 100.0, "hz3-mutex": 90.0, "hz3-failfast": 90.0, "tcmalloc": 95.0, "jemalloc": 80.0}
    rss = {"hz3-scale": 150, "hz3-mutex": 150, "hz3-failfast": 150, "tcmalloc": 120, "jemalloc": 300}
    if r == 0:
        mops["hz3-mutex"] = 100.0
    if case == "fail":
        if cell == "T=2 R=50":
            mops["tcmalloc"] = 100.0 / 0.95
        if cell == "T=8 R=90":
            mops["hz3-failfast"] = 80.0
        if cell == "T=2 R=90":
            mops["hz3-mutex"] = 100.0
        if cell == "T=16 R=0":
            mops["hz3-mutex"] = 100.0 / 0.90
        if cell == "T=16 R=90":
            rss["hz3-scale"] = 192
    spread = [1.00, 1.04, 1.10, 1.12, 1.20]  # fail, T=8 R=50: scale / mutex by round

    def run(workload, rnd, a, mops_a):
        ops = mops_a * 1e6
        runs.append({"workload": workload, "cell": cell, "alloc": a, "round": rnd,
                     "argv": [prog] + [str(x) for x in args], "ok": True, "maxrss_kib": rss[a] * 1024,
                     "params": " ".join(map(str, args)),
                     "fields": {"remote_rate": float(r), "ops": 1000, "secs": 1000 / ops, "ops_per_sec": ops}})
    for rnd in range(5):
        for a in allocs:
            m = mops[a]
            if case == "fail" and cell == "T=8 R=50" and a == "hz3-mutex":
                m = 100.0 / spread[rnd]
            run("random_mixed", rnd, a, m)
    if case == "pass" and cell == "T=16 R=90":
        for rnd in range(6):
            for a, m in (("hz3-scale", 100.0), ("hz3-mutex", 90.0), ("hz3-failfast", 86.0)):
                run("random_mixed_ab", rnd, a, m)
paced_args = [16, 1000, 400, 16, 2048, 90, 8192, "live", "pace=4000000"]
paced_rss = {"hz3-scale": 45, "hz3-mutex": 50, "hz3-failfast": 50, "tcmalloc": 60, "jemalloc": 75}
for rnd in range(5):
    for a in allocs:
        held, rss = 1.0, paced_rss[a]
        if case == "fail" and a == "tcmalloc" and rnd == 1:
            held, rss = 0.0, 10
        runs.append({"workload": "rss_paced", "cell": "random_mixed_mt_remote_malloc", "alloc": a, "round": rnd,
                     "argv": [prog] + [str(x) for x in paced_args], "ok": True, "maxrss_kib": rss * 1024,
                     "params": " ".join(map(str, paced_args)),
                     "fields": {"remote_rate": 90.0, "ops": 1000, "secs": 1, "ops_per_sec": 4e6 * (held or 0.5),
                                "peak_live_kib": 20 * 1024, "pace_held": held}})
doc = {"machine": {"date": "test", "git_commit": "0" * 40, "git_dirty": False, "nproc": 2, "nproc_available": 2,
                   "cpu": "test", "mem_total": "test", "kernel": "test", "loadavg_start": [0, 0, 0],
                   "loadavg_end": [0, 0, 0], "argv": ["bench/run"], "elapsed_secs": 0},
       "args": {"runs": 5, "iters": 1000, "out": out, "timeout": 60, "ab_rounds": 6 if case == "pass" else 0},
       "allocators": {a: None for a in allocs},
       "workloads": {"random_mixed": {"program": prog, "cells": cells},
                     "rss_paced": {"program": prog, "cells": {"random_mixed_mt_remote_malloc": paced_args}}},
       "runs": runs, "probes": [], "callgrind": {}, "redis": None, "notes": [], "failures": []}
os.makedirs(out, exist_ok=True)
json.dump(doc, open(os.path.join(out, "results.json"), "w"))
EOF
}

for case in pass fail; do
  make_results "$out/$case" "$case" || die "could not write the made-up results"
  "$SRC_DIR/bench/run" --report-from "$out/$case/results.json" >"$out/$case/stdout" 2>&1 || die "bench/run --report-from failed"
done

case=pass
grep -q "^### Goals" "$out/pass/report.md" || die "no Goals section"
grep -Eq " 5 of 5 met:$" "$out/pass/report.md" || die "not 5 of 5 met"
[[ $(grep -c '| met | none |$' "$out/pass/report.md") -eq 4 ]] || die "not four 'met' verdicts with no undecided cell"
grep -q '| met | (medians, not paired) |$' "$out/pass/report.md" || die "RSS verdict"
grep -q "T=16 R=90 0.860 | met | none |$" "$out/pass/report.md" || die "failfast goal did not take the 6 --ab-rounds rounds"
grep -q "(the tables below; 5 rounds a cell (11 for the two A/B goals: --ab-rounds 6))" "$out/pass/report.md" ||
  die "goals text does not count the A/B rounds"
grep -Eq "^\| T=16 R=90 \| 1\.05 \(1\.05–1\.05\) \| 1\.11 \(1\.11–1\.11\) \| 0\.86 \(0\.86–0\.90\) \|$" "$out/pass/report.md" ||
  die "paired-ratio row of T=16 R=90 (11 rounds of the lanes, 5 with peers)"
grep -q "150.0 / 120.0 MiB (tcmalloc) = 1.25 | met |" "$out/pass/report.md" || die "RSS line"
grep -q "T=2 R=50 1.053;" "$out/pass/report.md" || die "scale / best peer at T=2 R=50 is not 1.053"
grep -q "(4,000,000 iterations a second, rss_paced below), peak RSS scale / lowest peer = 45.0 / 60.0 MiB (tcmalloc) = 0.75.$" \
  "$out/pass/report.md" || die "paced RSS line"

case=fail
grep -Eq " 1 of 5 met:$" "$out/fail/report.md" || die "not 1 of 5 met"
grep -Eq "^\| scale / best peer .* T=2 R=50 0\.950; .*\| \*\*not met\*\* \(1 of 9 cells\) \| none \|$" "$out/fail/report.md" ||
  die "scale / best peer: T=2 R=50 0.950 not judged 1 of 9 cells not met"
grep -Eq "^\| S142: scale / mutex at R=50 and R=90, T=8 and T=16 \| ≥ 1\.05 \| T=8 R=50 1\.100; T=8 R=90 1\.111; T=16 R=50 1\.111; T=16 R=90 1\.111 \| met \| T=8 R=50 \[1\.00, 1\.20\] 94% \|$" \
  "$out/fail/report.md" || die "S142 R50/R90: met over T=8 and T=16 only, with T=8 R=50 (1.00-1.20 over the rounds) named undecided"
grep -q "^Not judged: scale / mutex at R=50 and R=90 outside .*: T=2 R=50 1.111 \[1.11, 1.11\] 94%; T=2 R=90 1.000 \[1.00, 1.00\] 94%.$" \
  "$out/fail/report.md" || die "S142 at T=2 (1.000 at R=90) not printed under the table as not judged"
grep -Eq "^\| S142: scale / mutex at R=0 .*T=16 R=0 0\.900 \| \*\*not met\*\* \(1 of 3 cells\) \| none \|$" "$out/fail/report.md" ||
  die "S142 at R=0: T=16 R=0 0.900 not judged a regression"
grep -Eq "^\| failfast / scale at R=90 .*T=8 R=90 0\.800;.*\| \*\*not met\*\* \(1 of 3 cells\) \| none \|$" "$out/fail/report.md" ||
  die "failfast: T=8 R=90 0.800 not judged not met"
grep -q "192.0 / 120.0 MiB (tcmalloc) = 1.60 | \*\*not met\*\* | (medians, not paired) |" "$out/fail/report.md" ||
  die "RSS 1.60 not judged not met"
grep -q "peak RSS scale / lowest peer = 45.0 / 60.0 MiB (tcmalloc) = 0.75.$" "$out/fail/report.md" ||
  die "paced RSS line: the tcmalloc run behind its pace (10 MiB) was not left out"
echo "bench_goals: ok"
