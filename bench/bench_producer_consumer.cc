// bench_producer_consumer P C ITEMS BURST MIN MAX [RING]
//
// Every free is remote: P producer threads malloc, C consumer threads free.
// Each producer makes ITEMS objects in bursts: it mallocs BURST objects (size
// in [MIN, MAX]) back to back, then pushes the whole burst into its
// single-producer single-consumer ring to one consumer (the next consumer in
// turn for the next burst). Consumers sweep their P rings and free
// everything they find. A ring holds RING objects (default 65536); a producer
// facing a full ring yields until the consumer makes room (counted as a
// stall). Bursts let backlogs build: on a machine with fewer cores than
// threads a consumer is often descheduled while producers fill its rings,
// then frees thousands of objects in a row, all owned by other threads.
//
// Each object carries its producer's per-ring sequence number in its first
// min(MIN, 8) bytes; a consumer checks it receives them in order. A wrong
// number, or mallocs != frees at the end, exits 1.
// ops = mallocs + frees; max_backlog is the largest ring occupancy a producer
// saw after a push, stalls the number of yields on a full ring.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

#include "bench_util.h"

namespace {

constexpr const char* kUsage = "P C ITEMS BURST MIN MAX [RING]   (ITEMS per producer; RING default 65536)";

struct alignas(64) Ring {  // single producer, single consumer
  std::vector<void*> slots;
  alignas(64) std::atomic<uint64_t> head{0};  // written by the consumer
  alignas(64) std::atomic<uint64_t> tail{0};  // written by the producer
  uint64_t expect = 0;                         // consumer only: next sequence number
};

struct alignas(64) Counts {
  uint64_t mallocs = 0, frees = 0, stalls = 0, max_backlog = 0;
  bool bad = false;
};

}  // namespace

int main(int argc, char** argv) {
  bench::Args a(argc, argv, 6, kUsage);
  if (argc > 8) a.fail("too many arguments");
  const int P = static_cast<int>(a.get(1, 1, 512));
  const int C = static_cast<int>(a.get(2, 1, 512));
  const uint64_t items = a.get(3, 1, 1ull << 40);
  const uint64_t burst = a.get(4, 1, 1u << 20);
  const uint64_t min = a.get(5, 1, 1u << 30);
  const uint64_t max = a.get(6, 1, 1u << 30);
  const uint64_t ring_cap = a.get(7, 1, 1u << 24, 65536, true);
  if (min > max) a.fail("MIN > MAX");
  if (burst > ring_cap) a.fail("BURST > RING");

  std::vector<Ring> rings(static_cast<size_t>(P) * C);  // rings[p * C + c]
  for (Ring& r : rings) r.slots.resize(ring_cap);
  std::vector<Counts> pc(P), cc(C);
  std::atomic<int> producers_left{P};
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};

  auto wait_go = [&] {
    ready.fetch_add(1);
    while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
  };

  auto producer = [&](int p) {
    Counts& k = pc[p];
    bench::Rng rng(1000 + p);
    std::vector<void*> batch(burst);
    std::vector<uint64_t> seq(C, 0);
    wait_go();
    uint64_t made = 0;
    for (uint64_t b = 0; made < items; ++b) {
      const int c = static_cast<int>((p + b) % C);
      Ring& r = rings[static_cast<size_t>(p) * C + c];
      const uint64_t n = std::min(burst, items - made);
      for (uint64_t i = 0; i < n; ++i) {
        const size_t sz = rng.range(min, max);
        batch[i] = bench::xmalloc(sz);
        bench::stamp(batch[i], std::min<uint64_t>(sz, min), seq[c]++);
      }
      k.mallocs += n;
      made += n;
      uint64_t t = r.tail.load(std::memory_order_relaxed);
      for (uint64_t i = 0; i < n; ++i) {
        while (t - r.head.load(std::memory_order_acquire) == ring_cap) {
          r.tail.store(t, std::memory_order_release);  // publish what fits, then wait for room
          ++k.stalls;
          std::this_thread::yield();
        }
        r.slots[t % ring_cap] = batch[i];
        ++t;
      }
      r.tail.store(t, std::memory_order_release);
      k.max_backlog = std::max(k.max_backlog, t - r.head.load(std::memory_order_relaxed));
    }
    producers_left.fetch_sub(1, std::memory_order_release);
  };

  auto consumer = [&](int c) {
    Counts& k = cc[c];
    wait_go();
    for (;;) {
      // Read the flag before sweeping: when it says "all done", this sweep
      // sees every object ever pushed.
      const bool last_sweep = producers_left.load(std::memory_order_acquire) == 0;
      uint64_t got = 0;
      for (int p = 0; p < P; ++p) {
        Ring& r = rings[static_cast<size_t>(p) * C + c];
        uint64_t h = r.head.load(std::memory_order_relaxed);
        const uint64_t t = r.tail.load(std::memory_order_acquire);
        for (; h != t; ++h) {
          void* obj = r.slots[h % ring_cap];
          if (!bench::stamped(obj, min, r.expect)) {
            if (bench::report_bad())
              fprintf(stderr, "bench_producer_consumer: producer %d -> consumer %d: object %p is not number %llu\n",
                    p, c, obj, static_cast<unsigned long long>(r.expect));
            k.bad = true;
          }
          ++r.expect;
          free(obj);
          ++got;
          if ((got & 255) == 0) r.head.store(h + 1, std::memory_order_release);  // room for the producer
        }
        r.head.store(h, std::memory_order_release);
      }
      k.frees += got;
      if (last_sweep) break;
      if (got == 0) std::this_thread::yield();
    }
  };

  std::vector<std::thread> threads;
  for (int c = 0; c < C; ++c) threads.emplace_back(consumer, c);
  for (int p = 0; p < P; ++p) threads.emplace_back(producer, p);
  while (ready.load() < P + C) std::this_thread::yield();
  auto t0 = std::chrono::steady_clock::now();
  go.store(true, std::memory_order_release);
  for (auto& t : threads) t.join();
  const double secs = bench::seconds_since(t0);

  Counts sum;
  for (const Counts& k : pc) {
    sum.mallocs += k.mallocs;
    sum.stalls += k.stalls;
    sum.max_backlog = std::max(sum.max_backlog, k.max_backlog);
  }
  for (const Counts& k : cc) {
    sum.frees += k.frees;
    sum.bad |= k.bad;
  }
  const uint64_t ops = sum.mallocs + sum.frees;
  printf("bench_producer_consumer P=%d C=%d items=%llu burst=%llu size=[%llu,%llu] ring=%llu: ops=%llu secs=%.3f "
         "ops_per_sec=%.0f remote_rate=100.0%% max_backlog=%llu stalls=%llu\n",
         P, C, static_cast<unsigned long long>(items), static_cast<unsigned long long>(burst),
         static_cast<unsigned long long>(min), static_cast<unsigned long long>(max),
         static_cast<unsigned long long>(ring_cap), static_cast<unsigned long long>(ops), secs,
         secs > 0 ? ops / secs : 0.0, static_cast<unsigned long long>(sum.max_backlog),
         static_cast<unsigned long long>(sum.stalls));
  if (sum.mallocs != sum.frees || sum.mallocs != items * P) {
    fprintf(stderr, "bench_producer_consumer: %llu mallocs vs %llu frees (expected %llu)\n",
            static_cast<unsigned long long>(sum.mallocs), static_cast<unsigned long long>(sum.frees),
            static_cast<unsigned long long>(items * P));
    return 1;
  }
  return sum.bad ? 1 : 0;
}
