// bench_random_mixed_mt_remote_malloc T ITERS WS MIN MAX R [RING [live] [pace=OPS]]
//
// T threads, each running ITERS iterations over its own WS slots. An
// iteration picks a slot at random: a full slot is freed, an empty one gets
// malloc(size in [MIN, MAX]). R% of the frees are remote: the object is sent
// through a bounded single-producer ring to another thread, which frees it.
// A full ring makes the free local (counted, so the effective rate is known).
// RING defaults to 8192: on a 2-core machine a descheduled receiver leaves
// its rings undrained for a whole time slice, and 1024 slots then cut the
// effective remote rate of R=90 to about a quarter.
// Plain malloc/free: swap allocators with LD_PRELOAD on the same binary.
//
// `live` adds the application's own share of the peak RSS: the bytes it has
// asked for and not freed, objects in the rings included (a faster allocator
// fills the rings more, so the same program holds more). Each object then
// carries its size in its first word, every thread keeps its live bytes, and
// every 1024 iterations a thread sums all of them: peak_live_kib= is the
// largest sum seen. Without `live` none of this is compiled into the loop.
//
// `pace=OPS` holds the whole program to at most OPS iterations a second
// (each thread to OPS/T, sleeping when ahead, checked every 256 iterations).
// Unpaced, the objects waiting in the rings of descheduled receivers grow
// with the allocator's speed, so a faster allocator's peak RSS holds more of
// the program's objects. At a pace every allocator keeps, each program does
// the same work in the same time and the peak RSS compares the allocators'
// own memory. pace_held=1 when the run took at most 3% (and 20 ms: wake-up
// latency on a loaded machine) longer than the pace allows.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <string_view>
#include <vector>

namespace {

// Each side keeps its last sight of the other's index and reads the shared
// one again only when that sight says full (producer) or empty (consumer).
// Reading it on every push and pop, as this ring did before, moved the
// consumer's index line to the producer's core on nearly every push at T=2:
// at T2 R90 the push's load alone was 34-47% of the program's own samples,
// the T=2 remote cells ran about 2.3x slower for every allocator, and which
// allocator led there turned on how its timing met that ping-pong
// (docs/measurements/2026-12-05-rss-and-speed.md, section 4).
struct alignas(64) Ring {  // single producer, single consumer
  std::vector<void*> slots;
  alignas(64) std::atomic<uint64_t> head{0};  // consumer's
  uint64_t tail_seen = 0;                      // consumer's last sight of tail
  alignas(64) std::atomic<uint64_t> tail{0};  // producer's
  uint64_t head_seen = 0;                      // producer's last sight of head
  bool push(void* p) {
    uint64_t t = tail.load(std::memory_order_relaxed);
    if (t - head_seen == slots.size()) {  // head only grows: a stale sight errs towards full
      head_seen = head.load(std::memory_order_acquire);
      if (t - head_seen == slots.size()) return false;
    }
    slots[t % slots.size()] = p;
    tail.store(t + 1, std::memory_order_release);
    return true;
  }
  void* pop() {
    uint64_t h = head.load(std::memory_order_relaxed);
    if (h == tail_seen) {  // tail only grows: a stale sight errs towards empty
      tail_seen = tail.load(std::memory_order_acquire);
      if (h == tail_seen) return nullptr;
    }
    void* p = slots[h % slots.size()];
    head.store(h + 1, std::memory_order_release);
    return p;
  }
};

struct Params {
  int threads;
  long iters;
  int ws;
  size_t min, max;
  int remote_pct;
  size_t ring;
  double pace;  // iterations per second for the whole program; 0 unpaced
};

struct alignas(64) Counts {
  uint64_t mallocs = 0, frees = 0, remote_sent = 0, remote_fallback = 0;
  std::atomic<int64_t> live{0};  // `live` only: written by its thread alone, read by all
  int64_t peak_live = 0;         // the largest sum of every thread's live this thread saw
};

uint64_t xorshift(uint64_t& s) {
  s ^= s << 13;
  s ^= s >> 7;
  s ^= s << 17;
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 7) {
    fprintf(stderr, "usage: %s T ITERS WS MIN MAX R [RING [live] [pace=OPS]]\n", argv[0]);
    return 2;
  }
  Params p{atoi(argv[1]), atol(argv[2]), atoi(argv[3]), strtoul(argv[4], nullptr, 10),
           strtoul(argv[5], nullptr, 10), atoi(argv[6]), argc > 7 ? strtoul(argv[7], nullptr, 10) : 8192, 0};
  bool track_live = false, bad_mode = false;
  for (int a = 8; a < argc; ++a) {  // modes, each at most once
    std::string_view m(argv[a]);
    if (m == "live" && !track_live) {
      track_live = true;
    } else if (m.starts_with("pace=") && p.pace == 0) {
      char* end = nullptr;
      p.pace = strtod(argv[a] + 5, &end);
      if (*end != '\0' || !(p.pace >= 1)) bad_mode = true;
    } else {
      bad_mode = true;
    }
  }
  if (p.threads < 1 || p.iters < 1 || p.ws < 1 || p.min > p.max || p.remote_pct < 0 || p.remote_pct > 100 ||
      p.ring < 1 || bad_mode || (track_live && p.min < sizeof(size_t))) {
    fprintf(stderr, "bad arguments\n");
    return 2;
  }
  const int T = p.threads;
  std::vector<Ring> rings(static_cast<size_t>(T) * T);  // rings[src * T + dst]
  for (Ring& r : rings) r.slots.resize(p.ring);
  std::vector<Counts> counts(T);
  std::atomic<int> ready{0}, done{0};
  std::atomic<bool> go{false};
  std::chrono::steady_clock::time_point t0;  // written before `go`

  // `live` tag: std::true_type in the `live` mode, std::false_type otherwise.
  auto release = [](Counts& c, void* q, auto live) {
    if constexpr (decltype(live)::value)
      c.live.store(c.live.load(std::memory_order_relaxed) - static_cast<int64_t>(*static_cast<size_t*>(q)),
                   std::memory_order_relaxed);
    free(q);
    ++c.frees;
  };
  auto sample_live = [&](Counts& c) {
    int64_t sum = 0;
    for (const Counts& o : counts) sum += o.live.load(std::memory_order_relaxed);
    if (sum > c.peak_live) c.peak_live = sum;
  };

  auto drain = [&](int me, Counts& c, auto live) {
    for (int src = 0; src < T; ++src)
      while (void* q = rings[static_cast<size_t>(src) * T + me].pop()) release(c, q, live);
  };

  auto worker = [&](int me, auto live) {
    Counts& c = counts[me];
    std::vector<void*> slots(p.ws, nullptr);
    uint64_t rng = 0x9E3779B97F4A7C15ull * (me + 1);
    const size_t span = p.max - p.min + 1;
    ready.fetch_add(1);
    while (!go.load(std::memory_order_acquire)) {
    }
    for (long i = 0; i < p.iters; ++i) {
      uint64_t r = xorshift(rng);
      void*& s = slots[r % p.ws];
      if (s) {
        if (T > 1 && static_cast<int>((r >> 32) % 100) < p.remote_pct) {
          int dst = static_cast<int>((me + 1 + (r >> 40) % (T - 1)) % T);
          if (rings[static_cast<size_t>(me) * T + dst].push(s)) {
            ++c.remote_sent;
          } else {
            release(c, s, live);
            ++c.remote_fallback;
          }
        } else {
          release(c, s, live);
        }
        s = nullptr;
      } else {
        size_t sz = p.min + (r >> 20) % span;
        s = malloc(sz);
        if (!s) {
          fprintf(stderr, "malloc(%zu) failed\n", sz);
          abort();
        }
        if constexpr (decltype(live)::value) {
          *static_cast<size_t*>(s) = sz;
          c.live.store(c.live.load(std::memory_order_relaxed) + static_cast<int64_t>(sz), std::memory_order_relaxed);
        } else {
          *static_cast<char*>(s) = static_cast<char>(i);
        }
        ++c.mallocs;
      }
      if ((i & 15) == 0) drain(me, c, live);
      if constexpr (decltype(live)::value)
        if ((i & 1023) == 0) sample_live(c);
      if (p.pace > 0 && (i & 255) == 255) {
        // iteration i + 1 is due at t0 + (i + 1) / (pace / T) seconds
        auto due = t0 + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                            std::chrono::duration<double>((i + 1) * T / p.pace));
        if (std::chrono::steady_clock::now() < due) std::this_thread::sleep_until(due);
      }
    }
    if constexpr (decltype(live)::value) sample_live(c);
    for (void* s : slots)
      if (s) release(c, s, live);
    done.fetch_add(1);
    while (done.load(std::memory_order_acquire) < T) drain(me, c, live);
    drain(me, c, live);
  };

  std::vector<std::thread> th;
  for (int t = 0; t < T; ++t) {
    if (track_live)
      th.emplace_back(worker, t, std::true_type{});
    else
      th.emplace_back(worker, t, std::false_type{});
  }
  while (ready.load() < T) {
  }
  t0 = std::chrono::steady_clock::now();
  go.store(true, std::memory_order_release);
  for (auto& t : th) t.join();
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  Counts sum;
  for (const Counts& c : counts) {
    sum.mallocs += c.mallocs;
    sum.frees += c.frees;
    sum.remote_sent += c.remote_sent;
    sum.remote_fallback += c.remote_fallback;
  }
  uint64_t ops = sum.mallocs + sum.frees;
  // Share of frees executed by a thread other than the allocating one.
  double remote_rate = sum.frees ? 100.0 * sum.remote_sent / sum.frees : 0.0;
  int64_t peak_live = 0, end_live = 0;
  for (const Counts& c : counts) {
    if (c.peak_live > peak_live) peak_live = c.peak_live;
    end_live += c.live.load(std::memory_order_relaxed);
  }
  char pace_arg[40] = "";
  if (p.pace > 0) snprintf(pace_arg, sizeof pace_arg, " pace=%.0f", p.pace);
  printf("bench_random_mixed_mt_remote_malloc T=%d iters=%ld ws=%d size=[%zu,%zu] R=%d ring=%zu%s%s: "
         "ops=%llu secs=%.3f ops_per_sec=%.0f remote_rate=%.1f%%",
         T, p.iters, p.ws, p.min, p.max, p.remote_pct, p.ring, track_live ? " live" : "", pace_arg,
         static_cast<unsigned long long>(ops), secs, ops / secs, remote_rate);
  if (track_live) printf(" peak_live_kib=%lld", static_cast<long long>(peak_live / 1024));
  if (p.pace > 0) {
    const double planned = static_cast<double>(p.iters) * T / p.pace;
    printf(" pace_held=%d", secs <= planned * 1.03 + 0.02 ? 1 : 0);
  }
  printf("\n");
  if (end_live != 0) {  // every object's first word held its size: one was overwritten while live
    fprintf(stderr, "live accounting: %lld bytes left after every free\n", static_cast<long long>(end_live));
    return 1;
  }
  if (sum.mallocs != sum.frees) {
    fprintf(stderr, "leak: %llu mallocs vs %llu frees\n", static_cast<unsigned long long>(sum.mallocs),
            static_cast<unsigned long long>(sum.frees));
    return 1;
  }
  return 0;
}
