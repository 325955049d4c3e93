// realloc_storm: realloc chains across size classes, shared between threads.
// Each object travels from thread to thread; every holder checks its bytes,
// reallocs it to a new size (grow, shrink, same, across classes, to and from
// large sizes over 64 KiB), checks that realloc kept the common prefix, then
// refills it under a new tag and passes it on.
//   realloc_storm [--seed N] [--threads T] [--seconds S] [--objects 256]
#include <thread>

#include "stress_common.h"

namespace {

size_t pick_size(stress::Rng& rng) {
  switch (rng.below(8)) {
    case 0: return rng.below(17);                       // tiny (callers add 1: realloc(p, 0) would free)
    case 1: return 65536 + rng.below(200000);           // large
    case 2: return 2048 + rng.below(3) - 1;             // small/medium boundary
    case 3: return 65536 + rng.below(3) - 1;            // medium/large boundary
    default: return 16 + rng.below(8192);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const char* prog = "realloc_storm";
  size_t objects = 256;
  stress::Options o = stress::parse(argc, argv, " [--objects N]", [&](const char* k, const char* v) {
    if (!strcmp(k, "--objects")) objects = strtoul(v, nullptr, 10);
    else return false;
    return true;
  });
  const int T = o.threads;
  std::vector<stress::Mailbox> box(T);
  stress::Census census;
  stress::Progress progress(prog, o.seconds);
  std::atomic<bool> stop{false};
  std::atomic<int> finished{0};

  auto worker = [&](int me) {
    stress::Rng rng(o.seed * 15485863 + me);
    std::vector<stress::Obj> inbox;
    uint64_t tag = (static_cast<uint64_t>(me) << 48) + 1;
    for (size_t i = 0; i < objects / T + 1; ++i)
      box[me].send(stress::make(prog, census, 1 + pick_size(rng), ++tag));
    while (!stop.load(std::memory_order_relaxed)) {
      box[me].take(inbox);
      for (stress::Obj x : inbox) {
        stress::check(prog, x.p, x.size, x.tag);
        size_t n = 1 + pick_size(rng);
        void* q = stress::xrealloc(x.p, n);
        if (!q) stress::fail(prog, "realloc_returned_null", x.p, x.tag);
        // The common prefix must have survived the move.
        size_t keep = n < x.size ? n : x.size;
        if (keep >= sizeof(stress::Header)) {
          stress::Header h;
          memcpy(&h, q, sizeof h);
          if (h.tag != x.tag) stress::fail(prog, "realloc_lost_header", q, x.tag);
        }
        for (size_t b = sizeof(stress::Header); b < keep; ++b)
          if (static_cast<uint8_t*>(q)[b] != stress::pattern_byte(x.tag, b)) stress::fail(prog, "realloc_lost_bytes", q, x.tag);
        census.on_realloc();
        x = stress::Obj{q, n, ++tag};
        stress::fill(q, n, x.tag);
        box[rng.below(T)].send(x);
      }
      if (inbox.empty()) std::this_thread::yield();
      if (me == 0) {
        progress.tick(census);
        if (progress.done()) stop.store(true);
      }
    }
    stress::finish_worker(prog, census, box[me], finished, T);
  };
  std::vector<std::thread> th;
  for (int t = 0; t < T; ++t) th.emplace_back(worker, t);
  for (auto& t : th) t.join();
  return stress::finish(prog, o, census, progress.elapsed());
}
