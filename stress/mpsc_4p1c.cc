// mpsc_4p1c --seconds S [--producers P] [--seed N]
//
// The legal MPSC shape under load: one consumer thread allocates objects of
// random classes and hands them to P producer threads, which free them (every
// free is remote, so every object comes back through the consumer's xfer).
// With the fail-fast build every boundary check runs on every batch; an abort
// here on correct code is a check asserting something the design does not
// promise (for example an exact count of a lock-free box).
// Exit 0 when the run ends and the conservation heap check passes.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

#include "hz3.h"

namespace {

struct Handoff {  // consumer -> one producer, unbounded intrusive stack
  std::atomic<void*> head{nullptr};
};

uint64_t next_rand(uint64_t& s) {
  s ^= s << 13;
  s ^= s >> 7;
  s ^= s << 17;
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 10;
  int producers = 4;
  uint64_t seed = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--seconds")) seconds = atof(argv[i + 1]);
    else if (!strcmp(argv[i], "--producers")) producers = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--seed")) seed = strtoull(argv[i + 1], nullptr, 10);
    else {
      fprintf(stderr, "usage: %s [--seconds S] [--producers P] [--seed N]\n", argv[0]);
      return 2;
    }
  }
  std::vector<Handoff> box(producers);
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> freed{0};
  std::atomic<int> producers_done{0};

  auto producer = [&](int me) {
    uint64_t n = 0;
    for (;;) {
      bool last = stop.load(std::memory_order_acquire);
      void* p = box[me].head.exchange(nullptr, std::memory_order_acquire);
      while (p) {
        void* next = *static_cast<void**>(p);
        hz3_free(p);
        p = next;
        ++n;
      }
      if (last) break;
    }
    hz3_debug_flush_thread();
    freed.fetch_add(n);
    producers_done.fetch_add(1);
  };

  uint64_t allocated = 0;
  auto consumer = [&]() {
    uint64_t rng = seed * 0x9E3779B97F4A7C15ull | 1;
    auto t0 = std::chrono::steady_clock::now();
    auto last_report = t0;
    for (;;) {
      for (int i = 0; i < 4096; ++i) {
        uint64_t r = next_rand(rng);
        size_t size = 16 + (r >> 8) % 4096;
        void* p = hz3_malloc(size);
        if (!p) abort();
        Handoff& h = box[(r >> 40) % producers];
        void* old = h.head.load(std::memory_order_relaxed);
        do {
          *static_cast<void**>(p) = old;
        } while (!h.head.compare_exchange_weak(old, p, std::memory_order_release, std::memory_order_relaxed));
        ++allocated;
      }
      auto now = std::chrono::steady_clock::now();
      double el = std::chrono::duration<double>(now - t0).count();
      if (std::chrono::duration<double>(now - last_report).count() >= 10) {
        fprintf(stderr, "mpsc_4p1c: %.0fs/%.0fs objects=%llu\n", el, seconds, (unsigned long long)allocated);
        last_report = now;
      }
      if (el >= seconds) break;
    }
    stop.store(true, std::memory_order_release);
    while (producers_done.load() < producers) {
    }
    hz3_debug_flush_thread();
  };

  std::vector<std::thread> th;
  for (int i = 0; i < producers; ++i) th.emplace_back(producer, i);
  std::thread c(consumer);
  c.join();
  for (auto& t : th) t.join();
  hz3_heap_report rep;
  int rc = hz3_debug_heap_check(nullptr, 0, &rep);
  printf("mpsc_4p1c producers=%d seconds=%.0f objects=%llu freed=%llu heap_check=%s carved=%zu xfer=%zu central=%zu%s%s\n",
         producers, seconds, (unsigned long long)allocated, (unsigned long long)freed.load(), rc ? "FAIL" : "ok",
         rep.carved, rep.in_xfer, rep.in_central, rc ? " error=" : "", rc ? rep.error : "");
  return rc != 0 || freed.load() != allocated;
}
