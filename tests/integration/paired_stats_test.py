#!/usr/bin/env python3
"""integration.paired_stats SOURCE_DIR: bench/paired_stats.py's interval and
verdicts against values worked out by hand from the binomial distribution.

n = 15: P(B <= 3) = 576 / 32768, P(B <= 4) = 1941 / 32768, so the widest
interval at 95% or more is [x_4, x_12] at 1 - 2 * 576 / 32768 = 96.5%.
n = 5: even [min, max] covers only 1 - 2 / 32 = 93.75%.
Prints "paired_stats: ok", or the first check that failed, exit 1."""
import os
import sys

sys.path.insert(0, os.path.join(sys.argv[1], "bench"))
from paired_stats import ci_text, decide, median_ci  # noqa: E402

failed = []


def check(what, got, want):
    if got != want:
        failed.append(f"{what}: got {got!r}, want {want!r}")


xs = [float(i) for i in range(1, 16)]  # 1..15, given out of order below
lo, hi, cov = median_ci(list(reversed(xs)))
check("n=15 interval", (lo, hi), (4.0, 12.0))
check("n=15 coverage", round(cov, 4), round(1 - 2 * 576 / 32768, 4))
lo, hi, cov = median_ci([3.0, 1.0, 2.0, 5.0, 4.0])
check("n=5 interval is [min, max]", (lo, hi), (1.0, 5.0))
check("n=5 coverage", cov, 1 - 2 / 32)
check("one value", median_ci([0.9]), (0.9, 0.9, 0.0))
check("no values", median_ci([]), None)
check("85% asks less than 95%", median_ci(xs, 0.85)[:2], (5.0, 11.0))  # 1 - 2 * 1941 / 32768 = 88%

# 15 rounds around 0.86 with the bound 0.85 inside [x_4, x_12]: the median
# meets it, the interval does not decide.
near = [0.80, 0.81, 0.82, 0.84, 0.85, 0.85, 0.86, 0.86, 0.86, 0.87, 0.88, 0.89, 0.90, 0.93, 0.95]
check("near the bound", decide(near, 0.85)[:2], ("met", False))
check("clear of the bound", decide(near, 0.83)[:2], ("met", True))
check("clearly under", decide(near, 0.92)[:2], ("not met", True))
check("under, undecided", decide(near, 0.87)[:2], ("not met", False))
# All five rounds above the bound: decided at 93.75%; four are too few.
check("5 rounds, all above", decide([1.1, 1.2, 1.3, 1.4, 1.5], 1.05)[:2], ("met", True))
check("4 rounds, all above", decide([1.1, 1.2, 1.3, 1.4], 1.05)[:2], ("met", False))
check("ci_text", ci_text((0.831, 0.904, 0.9648)), "[0.83, 0.90] 96%")
try:
    decide([], 1.0)
    failed.append("decide([]) did not raise")
except ValueError:
    pass

if failed:
    print("paired_stats: FAILED:\n  " + "\n  ".join(failed))
    sys.exit(1)
print("paired_stats: ok")
