// bench_larson T ROUNDS STEPS SLOTS MIN MAX [SEED]
//
// Larson-style server churn: the pattern of a server whose worker threads
// are replaced while the objects they allocated live on. T chains run at
// once; each chain owns an array of SLOTS objects, filled by the main thread
// before the clock starts. A chain is ROUNDS threads in succession: each
// thread does STEPS steps (free the object of a random slot, malloc a random
// size in [MIN, MAX] into it), then creates the chain's next thread, hands it
// the whole slot array and exits. The successor frees objects that its
// predecessors (and, in round 1, the main thread) allocated: frees by a
// thread that did not allocate the object, from threads that no longer
// exist. Each new thread joins its predecessor before working, so at most
// 2T workers live at once and every exited thread has finished its exit.
//
// Every object carries a tag (slot, allocating thread) that is checked before
// its free; a wrong tag, or mallocs != frees at the end, exits 1.
// ops counts the timed mallocs and frees (2 per step); inherited_frees is the
// share of frees of objects allocated by another thread.
#include <pthread.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <vector>

#include "bench_util.h"

namespace {

constexpr const char* kUsage = "T ROUNDS STEPS SLOTS MIN MAX [SEED]";

struct Slot {
  void* p;
  uint32_t size;
  uint32_t owner;  // id of the allocating thread: 0 = main, else chain * ROUNDS + round + 1
};

struct Params {
  uint32_t chains, rounds;
  uint64_t steps;
  uint32_t slots;
  uint64_t min, max, seed;
};

// One chain's state. Only the chain's current thread touches it; the hand
// over is pthread_create (which orders the predecessor's writes before the
// successor's reads), and main reads it after joining the last thread.
struct alignas(64) Chain {
  const Params* prm;
  uint32_t index;
  std::vector<Slot> slots;
  uint64_t mallocs = 0, frees = 0, inherited = 0;
  bool bad = false;
  std::atomic<bool> finished{false};
  pthread_t last{};  // the last round's thread, set before `finished`
};

struct Baton {  // what a thread gets from its creator
  Chain* chain;
  uint32_t round;
  pthread_t predecessor;
  bool has_predecessor;
};

uint64_t tag_of(uint32_t slot, uint32_t owner) { return (uint64_t{owner} << 32) | slot; }

void* run_round(void* arg) {
  Baton b = *static_cast<Baton*>(arg);
  delete static_cast<Baton*>(arg);
  if (b.has_predecessor && pthread_join(b.predecessor, nullptr) != 0) {
    fprintf(stderr, "bench_larson: pthread_join failed\n");
    exit(1);
  }
  Chain& c = *b.chain;
  const Params& p = *c.prm;
  const uint32_t me = c.index * p.rounds + b.round + 1;
  bench::Rng rng(p.seed * 1000003 + me);
  for (uint64_t i = 0; i < p.steps; ++i) {
    const uint64_t r = rng.next();
    const uint32_t k = static_cast<uint32_t>(r % p.slots);
    Slot& s = c.slots[k];
    if (!bench::stamped(s.p, s.size, tag_of(k, s.owner))) {
      if (bench::report_bad())
        fprintf(stderr, "bench_larson: chain %u slot %u: object %p lost its tag\n", c.index, k, s.p);
      c.bad = true;
    }
    c.inherited += s.owner != me;
    free(s.p);
    ++c.frees;
    s.size = static_cast<uint32_t>(p.min + (r >> 24) % (p.max - p.min + 1));
    s.owner = me;
    s.p = bench::xmalloc(s.size);
    bench::stamp(s.p, s.size, tag_of(k, me));
    ++c.mallocs;
  }
  if (b.round + 1 == p.rounds) {
    c.last = pthread_self();
    c.finished.store(true, std::memory_order_release);
    c.finished.notify_all();
    return nullptr;
  }
  // Thread replaced, objects inherited: the successor gets the slot array.
  auto* next = new Baton{&c, b.round + 1, pthread_self(), true};
  pthread_t t;
  if (pthread_create(&t, nullptr, run_round, next) != 0) {
    fprintf(stderr, "bench_larson: pthread_create failed\n");
    exit(1);
  }
  return nullptr;
}

}  // namespace

int main(int argc, char** argv) {
  bench::Args a(argc, argv, 6, kUsage);
  if (argc > 8) a.fail("too many arguments");
  Params p{};
  p.chains = static_cast<uint32_t>(a.get(1, 1, 1024));
  p.rounds = static_cast<uint32_t>(a.get(2, 1, 1000000));
  p.steps = a.get(3, 1, 1ull << 40);
  p.slots = static_cast<uint32_t>(a.get(4, 1, 1u << 24));
  p.min = a.get(5, 1, 1u << 30);
  p.max = a.get(6, 1, 1u << 30);
  p.seed = a.get(7, 0, ~0ull, 1, true);
  if (p.min > p.max) a.fail("MIN > MAX");
  if (uint64_t{p.chains} * p.rounds >= (1ull << 32) - 1) a.fail("T * ROUNDS too large");

  std::vector<Chain> chains(p.chains);
  bench::Rng rng(p.seed);
  uint64_t fill = 0;
  for (uint32_t i = 0; i < p.chains; ++i) {
    Chain& c = chains[i];
    c.prm = &p;
    c.index = i;
    c.slots.resize(p.slots);
    for (uint32_t k = 0; k < p.slots; ++k) {
      Slot& s = c.slots[k];
      s.size = static_cast<uint32_t>(rng.range(p.min, p.max));
      s.owner = 0;
      s.p = bench::xmalloc(s.size);
      bench::stamp(s.p, s.size, tag_of(k, 0));
      ++fill;
    }
  }

  auto t0 = std::chrono::steady_clock::now();
  for (Chain& c : chains) {
    pthread_t t;
    if (pthread_create(&t, nullptr, run_round, new Baton{&c, 0, {}, false}) != 0) {
      fprintf(stderr, "bench_larson: pthread_create failed\n");
      return 1;
    }
  }
  for (Chain& c : chains) {
    c.finished.wait(false, std::memory_order_acquire);
    if (pthread_join(c.last, nullptr) != 0) {
      fprintf(stderr, "bench_larson: pthread_join failed\n");
      return 1;
    }
  }
  const double secs = bench::seconds_since(t0);

  uint64_t mallocs = fill, frees = 0, inherited = 0;
  bool bad = false;
  for (Chain& c : chains) {
    mallocs += c.mallocs;
    frees += c.frees;
    inherited += c.inherited;
    bad |= c.bad;
    for (uint32_t k = 0; k < p.slots; ++k) {
      Slot& s = c.slots[k];
      if (!bench::stamped(s.p, s.size, tag_of(k, s.owner))) {
        if (bench::report_bad())
          fprintf(stderr, "bench_larson: chain %u slot %u: object %p lost its tag\n", c.index, k, s.p);
        bad = true;
      }
      free(s.p);
      ++frees;
    }
  }
  const uint64_t steps = uint64_t{p.chains} * p.rounds * p.steps;
  const uint64_t ops = 2 * steps;
  printf("bench_larson T=%u rounds=%u steps=%llu slots=%u size=[%llu,%llu] seed=%llu: ops=%llu secs=%.3f "
         "ops_per_sec=%.0f threads=%llu inherited_frees=%.1f%%\n",
         p.chains, p.rounds, static_cast<unsigned long long>(p.steps), p.slots,
         static_cast<unsigned long long>(p.min), static_cast<unsigned long long>(p.max),
         static_cast<unsigned long long>(p.seed), static_cast<unsigned long long>(ops), secs,
         secs > 0 ? ops / secs : 0.0, static_cast<unsigned long long>(uint64_t{p.chains} * p.rounds),
         steps ? 100.0 * inherited / steps : 0.0);
  if (mallocs != frees) {
    fprintf(stderr, "bench_larson: %llu mallocs vs %llu frees\n", static_cast<unsigned long long>(mallocs),
            static_cast<unsigned long long>(frees));
    return 1;
  }
  return bad ? 1 : 0;
}
