// bench_thread_churn T GENS STEPS LEAVE MIN MAX
//
// Threads are created and joined continuously: GENS short-lived threads in
// all, at most T alive at once (the main thread joins the oldest, then
// starts the next). Each thread
//   1. takes a parcel of objects left by an earlier thread, if one is
//      waiting, and frees them (objects of a thread that has exited);
//   2. does STEPS steps on a private 64-slot working set (a full slot is freed,
//      an empty one gets malloc(size in [MIN, MAX]));
//   3. frees its working set, mallocs LEAVE new objects into a parcel for a
//      later thread, and exits.
// So every thread's allocator state is born and torn down inside the timed
// region, and part of each thread's memory outlives it. The main thread
// frees the parcels still waiting at the end (inside the timed region).
//
// Every parcel object carries a tag (generation, index) checked before its
// free; a wrong tag, or mallocs != frees at the end, exits 1.
// ops = mallocs + frees; threads_per_sec = GENS / secs; inherited_frees is the
// share of frees done on another thread's parcel.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "bench_util.h"

namespace {

constexpr const char* kUsage = "T GENS STEPS LEAVE MIN MAX   (at most T live threads, GENS threads in all)";
constexpr int kWorkingSet = 64;

struct Parcel {  // held by one thread at a time (taken and returned under Mailbox::mu)
  std::vector<void*> objs;
  std::vector<uint32_t> sizes;
  uint64_t gen = 0;
  bool full = false;
};

// T parcels suffice: a thread takes an empty parcel only when none is full,
// so full + held parcels never exceed the number of live threads.
struct Mailbox {
  std::mutex mu;
  std::vector<Parcel> parcels;
  std::vector<int> full, empty;  // indices, under mu
};

struct alignas(64) Counts {
  uint64_t mallocs = 0, frees = 0, inherited = 0;
  bool bad = false;
};

uint64_t tag_of(uint64_t gen, uint64_t i) { return (gen << 24) ^ i ^ 0x5A5A000000000000ull; }

void free_parcel(Parcel& pc, Counts& k) {
  if (!pc.full) return;
  for (size_t i = 0; i < pc.objs.size(); ++i) {
    if (!bench::stamped(pc.objs[i], pc.sizes[i], tag_of(pc.gen, i))) {
      if (bench::report_bad())
        fprintf(stderr, "bench_thread_churn: object %p of generation %llu lost its tag\n", pc.objs[i],
              static_cast<unsigned long long>(pc.gen));
      k.bad = true;
    }
    free(pc.objs[i]);
  }
  k.frees += pc.objs.size();
  k.inherited += pc.objs.size();
  pc.full = false;
}

}  // namespace

int main(int argc, char** argv) {
  bench::Args a(argc, argv, 6, kUsage);
  if (argc > 7) a.fail("too many arguments");
  const int T = static_cast<int>(a.get(1, 1, 512));
  const uint64_t gens = a.get(2, 1, 1ull << 32);
  const uint64_t steps = a.get(3, 0, 1ull << 32);
  const uint64_t leave = a.get(4, 0, 1u << 20);
  const uint64_t min = a.get(5, 1, 1u << 30);
  const uint64_t max = a.get(6, 1, 1u << 30);
  if (min > max) a.fail("MIN > MAX");

  Mailbox box;
  box.parcels.resize(T);
  for (int i = 0; i < T; ++i) {
    box.parcels[i].objs.resize(leave);
    box.parcels[i].sizes.resize(leave);
    box.empty.push_back(i);
  }
  // One slot per generation, written by that thread before it exits and
  // read by main after the join.
  std::vector<Counts> counts(T);
  Counts total;
  bool mailbox_broken = false;

  auto life = [&](uint64_t gen, Counts& k) {
    k = Counts{};
    bench::Rng rng(gen + 1);
    int mine;
    {
      std::lock_guard<std::mutex> g(box.mu);
      std::vector<int>& from = box.full.empty() ? box.empty : box.full;
      if (from.empty()) {
        mailbox_broken = true;  // cannot happen (see Mailbox); reported by main
        return;
      }
      mine = from.back();
      from.pop_back();
    }
    Parcel& pc = box.parcels[mine];
    free_parcel(pc, k);

    void* ws[kWorkingSet] = {};
    for (uint64_t i = 0; i < steps; ++i) {
      const uint64_t r = rng.next();
      void*& s = ws[r % kWorkingSet];
      if (s) {
        free(s);
        ++k.frees;
        s = nullptr;
      } else {
        const size_t sz = min + (r >> 24) % (max - min + 1);
        s = bench::xmalloc(sz);
        *static_cast<char*>(s) = static_cast<char>(i);
        ++k.mallocs;
      }
    }
    for (void*& s : ws)
      if (s) {
        free(s);
        ++k.frees;
      }

    for (uint64_t i = 0; i < leave; ++i) {
      const uint32_t sz = static_cast<uint32_t>(rng.range(min, max));
      pc.objs[i] = bench::xmalloc(sz);
      pc.sizes[i] = sz;
      bench::stamp(pc.objs[i], sz, tag_of(gen, i));
    }
    k.mallocs += leave;
    pc.gen = gen;
    pc.full = true;
    std::lock_guard<std::mutex> g(box.mu);
    box.full.push_back(mine);
  };

  struct Live {
    std::thread th;
    int slot;
  };
  std::deque<Live> live;
  std::vector<int> free_slots;
  for (int i = T - 1; i >= 0; --i) free_slots.push_back(i);
  auto reap = [&] {
    Live& l = live.front();
    l.th.join();
    const Counts& k = counts[l.slot];
    total.mallocs += k.mallocs;
    total.frees += k.frees;
    total.inherited += k.inherited;
    total.bad |= k.bad;
    free_slots.push_back(l.slot);
    live.pop_front();
  };

  auto t0 = std::chrono::steady_clock::now();
  for (uint64_t gen = 0; gen < gens; ++gen) {
    if (static_cast<int>(live.size()) == T) reap();
    const int slot = free_slots.back();
    free_slots.pop_back();
    live.push_back(Live{std::thread(life, gen, std::ref(counts[slot])), slot});
  }
  while (!live.empty()) reap();
  for (int i : box.full) free_parcel(box.parcels[i], total);
  const double secs = bench::seconds_since(t0);

  const uint64_t ops = total.mallocs + total.frees;
  printf("bench_thread_churn T=%d gens=%llu steps=%llu leave=%llu size=[%llu,%llu]: ops=%llu secs=%.3f "
         "ops_per_sec=%.0f threads_per_sec=%.0f inherited_frees=%.1f%%\n",
         T, static_cast<unsigned long long>(gens), static_cast<unsigned long long>(steps),
         static_cast<unsigned long long>(leave), static_cast<unsigned long long>(min),
         static_cast<unsigned long long>(max), static_cast<unsigned long long>(ops), secs,
         secs > 0 ? ops / secs : 0.0, secs > 0 ? gens / secs : 0.0,
         total.frees ? 100.0 * total.inherited / total.frees : 0.0);
  if (mailbox_broken) {
    fprintf(stderr, "bench_thread_churn: a thread found no parcel\n");
    return 1;
  }
  if (total.mallocs != total.frees) {
    fprintf(stderr, "bench_thread_churn: %llu mallocs vs %llu frees\n",
            static_cast<unsigned long long>(total.mallocs), static_cast<unsigned long long>(total.frees));
    return 1;
  }
  return total.bad ? 1 : 0;
}
