// bench_pop_backlog [REPS] [WANT]
//
// Cost of one lock-free (S142) pop that faces a backlog: a box is given a
// backlog of B objects in its shared list, and one pop(WANT) is timed. The
// pop drains the list with one exchange and keeps the remainder private
// without walking it, so the cost must not grow with B. Prints the median
// and p90 nanoseconds per pop for B = 64 and B = 1,000,000 and their ratio,
// plus a steady-state loop (pop WANT, push them back) for both backlogs.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "hz3/mpsc_lockfree.h"

using hz3::Batch;
using hz3::BoxCtx;
using Box = hz3::LockFreeMpscList<hz3::LockFreeChecks{}>;

namespace {

struct alignas(16) Node {
  void* next;
  void* pad;
};

using Clock = std::chrono::steady_clock;

struct Result {
  double median_ns, p90_ns, steady_ns;
};

Result measure(size_t backlog, int reps, uint32_t want) {
  std::vector<Node> nodes(backlog);
  for (size_t i = 0; i + 1 < backlog; ++i) nodes[i].next = &nodes[i + 1];
  nodes[backlog - 1].next = nullptr;
  const BoxCtx ctx{0, 0, "bench"};
  std::vector<double> ns(reps);
  for (int r = 0; r < reps; ++r) {
    Box box;
    box.push(ctx, &nodes[0], &nodes[backlog - 1], static_cast<uint32_t>(backlog));
    Batch out;
    auto t0 = Clock::now();
    box.pop(ctx, want, out);
    auto t1 = Clock::now();
    ns[r] = std::chrono::duration<double, std::nano>(t1 - t0).count();
    if (out.n != want) {
      fprintf(stderr, "pop returned %u, expected %u\n", out.n, want);
      exit(1);
    }
    static_cast<Node*>(out.tail)->next = &nodes[want];  // restore the list for the next rep
  }
  std::sort(ns.begin(), ns.end());
  Result res{ns[reps / 2], ns[reps * 9 / 10], 0};

  // Steady state: one box keeps its backlog; pop WANT, push them back.
  Box box;
  box.push(ctx, &nodes[0], &nodes[backlog - 1], static_cast<uint32_t>(backlog));
  const int loops = 200000;
  auto t0 = Clock::now();
  for (int i = 0; i < loops; ++i) {
    Batch out;
    box.pop(ctx, want, out);
    box.push(ctx, out.head, out.tail, out.n);
  }
  res.steady_ns = std::chrono::duration<double, std::nano>(Clock::now() - t0).count() / loops;
  return res;
}

}  // namespace

int main(int argc, char** argv) {
  int reps = argc > 1 ? atoi(argv[1]) : 20001;
  uint32_t want = argc > 2 ? static_cast<uint32_t>(atoi(argv[2])) : 32;
  Result small = measure(64, reps, want);
  Result big = measure(1000000, reps, want);
  printf("lock-free pop(want=%u) facing a fresh backlog (exchange-drain), %d reps, ns per pop incl. clock reads\n",
         want, reps);
  printf("  backlog=64       median_ns=%.1f p90_ns=%.1f\n", small.median_ns, small.p90_ns);
  printf("  backlog=1000000  median_ns=%.1f p90_ns=%.1f\n", big.median_ns, big.p90_ns);
  printf("  ratio(1000000/64) median=%.2f (goal: within 2x)\n", big.median_ns / small.median_ns);
  printf("steady pop+push-back loop, ns per pair (the 1M case walks never-touched nodes: cache misses, not O(backlog) work)\n");
  printf("  backlog=64 %.1f  backlog=1000000 %.1f\n", small.steady_ns, big.steady_ns);
  return big.median_ns <= 2.0 * small.median_ns ? 0 : 1;
}
