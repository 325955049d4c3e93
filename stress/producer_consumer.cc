// producer_consumer: rings of producers and consumers; every free is remote.
// Producers allocate bursts of tagged objects and send them round-robin to
// consumers, which free them; bursts are large, so the owners' xfer inboxes
// build deep backlogs before the producers refill from them.
//   producer_consumer [--seed N] [--threads T] [--seconds S] [--burst 4096] [--max 4096]
// T threads: half producers, half consumers (at least one of each).
#include <thread>

#include "stress_common.h"

int main(int argc, char** argv) {
  const char* prog = "producer_consumer";
  size_t burst = 4096, max = 4096;
  stress::Options o = stress::parse(argc, argv, " [--burst N] [--max B]", [&](const char* k, const char* v) {
    if (!strcmp(k, "--burst")) burst = strtoul(v, nullptr, 10);
    else if (!strcmp(k, "--max")) max = strtoul(v, nullptr, 10);
    else return false;
    return true;
  });
  if (!burst || max < 16) stress::usage(argv[0], " (bad --burst/--max)");
  const int P = o.threads > 1 ? o.threads / 2 : 1;
  const int C = o.threads > 1 ? o.threads - P : 1;
  std::vector<stress::Mailbox> box(C);
  stress::Census census;
  stress::Progress progress(prog, o.seconds);
  std::atomic<bool> stop{false};
  std::atomic<int> producers_done{0};

  auto producer = [&](int me) {
    stress::Rng rng(o.seed * 7919 + me);
    uint64_t tag = static_cast<uint64_t>(me + 1) << 48;
    while (!stop.load(std::memory_order_relaxed)) {
      size_t n = 1 + rng.below(burst);
      for (size_t i = 0; i < n; ++i)
        box[(me + i) % C].send(stress::make(prog, census, 16 + rng.below(max - 15), ++tag));
      if (me == 0) {
        progress.tick(census);
        if (progress.done()) stop.store(true);
      }
    }
    stress::hooks().flush();
    producers_done.fetch_add(1);
  };
  auto consumer = [&](int me) {
    std::vector<stress::Obj> inbox;
    for (;;) {
      bool last = producers_done.load() == P;
      box[me].take(inbox);
      for (const stress::Obj& x : inbox) stress::destroy(prog, census, x);
      if (last && inbox.empty()) break;
      if (inbox.empty()) std::this_thread::yield();
    }
    stress::hooks().flush();
  };
  std::vector<std::thread> th;
  for (int c = 0; c < C; ++c) th.emplace_back(consumer, c);
  for (int p = 0; p < P; ++p) th.emplace_back(producer, p);
  for (auto& t : th) t.join();
  return stress::finish(prog, o, census, progress.elapsed());
}
