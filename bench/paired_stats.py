"""Paired ratios over rounds: how sure a median is, and what it decides.

bench/ab and bench/run judge a goal such as "failfast / scale >= 0.85" from the
median of per-round ratios. On these shared vCPUs one round's ratio moves by
+-15% (bench/README.md), so two runs of the same build can put the median on
either side of a bound. A median alone cannot say which; these helpers give
the interval it is known to within and whether that interval clears the bound.

The interval is the sign test's (distribution-free): for n sorted ratios,
[x_k, x_(n+1-k)] holds the true median with probability 1 - 2 P(B <= k - 1),
B ~ Binomial(n, 1/2). k is the largest that keeps that at or above the level
asked; with too few rounds even [min, max] falls short, and the coverage
returned says by how much (5 rounds: 93.8% for [min, max]). It assumes only
that rounds are independent and each ratio is as likely above the median as
below, which interleaved rounds give; it does not assume normal noise (the
noise here has long tails: a vCPU move moves one run by 2-3x).
"""
import math
import statistics


def _binom_cdf_half(n, k):
    """P(B <= k) for B ~ Binomial(n, 1/2); 0 for k < 0."""
    if k < 0:
        return 0.0
    return sum(math.comb(n, i) for i in range(k + 1)) / 2 ** n


def median_ci(vals, level=0.95):
    """(lo, hi, coverage) of the median of vals by the sign test; None for no values.
    coverage is the interval's true probability (at least `level` when the
    number of values allows it, else the most they give: [min, max])."""
    xs = sorted(vals)
    n = len(xs)
    if n == 0:
        return None
    k = 1
    while k + 1 <= (n + 1) // 2 and 1 - 2 * _binom_cdf_half(n, k) >= level:
        k += 1
    coverage = 1 - 2 * _binom_cdf_half(n, k - 1)
    return xs[k - 1], xs[n - k], coverage


# Below this coverage an interval decides nothing: 4 rounds give [min, max]
# at 87.5%, 2 rounds at 50%.
MIN_COVERAGE = 0.90


def decide(vals, bound, level=0.95):
    """Whether vals' median is at or above `bound`, and whether its interval
    decides it: ("met" | "not met", decided: bool, (lo, hi, coverage)).
    Undecided means the interval holds the bound, or covers the median with
    less than MIN_COVERAGE (too few rounds): more rounds are needed to say
    which side the median is on."""
    vals = list(vals)
    if not vals:
        raise ValueError("decide: no values")
    ci = median_ci(vals, level)
    met = statistics.median(vals) >= bound
    decided = ci[2] >= MIN_COVERAGE and (ci[0] >= bound if met else ci[1] < bound)
    return ("met" if met else "not met"), decided, ci


def ci_text(ci):
    """'[0.83, 0.90] 96%': an interval and its coverage, as the reports print it."""
    return f"[{ci[0]:.2f}, {ci[1]:.2f}] {ci[2] * 100:.0f}%"
