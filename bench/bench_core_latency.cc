// bench_core_latency [ROUNDTRIPS [CPU_A CPU_B]]
//
// The machine's cross-core cost at this moment: two threads pinned to CPU_A
// and CPU_B (default: the first two CPUs this process may run on) pass one
// cache line back and forth ROUNDTRIPS times (default 20000), five times
// over; prints the median round trip in ns and the range of the five. With
// one CPU available there is no cross-core cost: it says so (roundtrip_ns=na)
// and exits 0.
//
// Why: on these shared 2-vCPU machines the two vCPUs land, for tens of
// minutes at a time, on host cores that share a cache or on cores that do
// not, and every remote-heavy cell with two threads moves by 2-3x with it
// (docs/measurements/2026-12-03-ci-time-t2.md). bench/run and bench/ab run
// this before each round, so a T2 ratio can be read next to the round trip
// it was measured under instead of being put down to an unnamed "spell".
// Exit status 2 on a usage error or when a thread cannot be pinned.
#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

namespace {

alignas(64) std::atomic<long> g_ball{0};  // odd: A served, waiting for B; even: B returned it

bool pin(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return pthread_setaffinity_np(pthread_self(), sizeof set, &set) == 0;
}

// One measurement: ns per round trip over n round trips.
double bounce(long n, int cpu_a, int cpu_b, bool& pinned) {
  g_ball.store(0);
  std::atomic<bool> b_pinned{false}, b_ready{false};
  std::thread b([&] {
    b_pinned = pin(cpu_b);
    b_ready = true;
    if (!b_pinned) return;
    for (long i = 0; i < n; ++i) {
      while (g_ball.load(std::memory_order_acquire) != 2 * i + 1) {
      }
      g_ball.store(2 * i + 2, std::memory_order_release);
    }
  });
  while (!b_ready.load()) {
  }
  pinned = pin(cpu_a) && b_pinned;
  double ns = 0;
  if (pinned) {
    auto t0 = std::chrono::steady_clock::now();
    for (long i = 0; i < n; ++i) {
      g_ball.store(2 * i + 1, std::memory_order_release);
      while (g_ball.load(std::memory_order_acquire) != 2 * i + 2) {
      }
    }
    ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count() / n;
  }
  b.join();
  return ns;
}

}  // namespace

int main(int argc, char** argv) {
  long n = argc > 1 ? atol(argv[1]) : 20000;
  int cpu_a = -1, cpu_b = -1;
  if (argc > 3) {
    cpu_a = atoi(argv[2]);
    cpu_b = atoi(argv[3]);
  } else {
    cpu_set_t allowed;
    if (sched_getaffinity(0, sizeof allowed, &allowed) == 0)
      for (int c = 0; c < CPU_SETSIZE && cpu_b < 0; ++c)
        if (CPU_ISSET(c, &allowed)) (cpu_a < 0 ? cpu_a : cpu_b) = c;
    if (cpu_b < 0) {
      printf("bench_core_latency cpus=%d roundtrips=%ld: roundtrip_ns=na (one CPU available)\n", cpu_a, n);
      return 0;
    }
  }
  if (n < 1 || argc == 3 || argc > 4 || cpu_a < 0 || cpu_b < 0 || cpu_a == cpu_b || cpu_a >= CPU_SETSIZE ||
      cpu_b >= CPU_SETSIZE) {
    fprintf(stderr, "usage: %s [ROUNDTRIPS [CPU_A CPU_B]] (two distinct CPUs)\n", argv[0]);
    return 2;
  }
  std::vector<double> ns;
  for (int rep = 0; rep < 5; ++rep) {
    bool pinned = false;
    double v = bounce(n, cpu_a, cpu_b, pinned);
    if (!pinned) {
      fprintf(stderr, "bench_core_latency: cannot pin threads to CPUs %d and %d\n", cpu_a, cpu_b);
      return 2;
    }
    ns.push_back(v);
  }
  std::sort(ns.begin(), ns.end());
  printf("bench_core_latency cpus=%d,%d roundtrips=%ld: roundtrip_ns=%.0f min_ns=%.0f max_ns=%.0f\n", cpu_a, cpu_b,
         n, ns[2], ns[0], ns[4]);
  return 0;
}
