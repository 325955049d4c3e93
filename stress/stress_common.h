// Shared pieces of the stress programs: flags, seeded RNG, object tags,
// progress lines, and hz3's hooks when hz3 is present.
//
// Every program calls plain malloc/free (through xmalloc/xfree/xrealloc below;
// the <prog>_hz3 variants call hz3_* in-process), so it stresses whatever allocator is
// loaded (LD_PRELOAD=libhz3.so, jemalloc, tcmalloc, mimalloc, or glibc). hz3's
// test hooks are weak references: libhz3.so exports them, so under hz3 they
// are found (dlsym) and the conservation check runs; under any other
// allocator they are absent and the checks that need them are skipped (and
// the program says so).
#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "hz3.h"

#include <dlfcn.h>

namespace stress {

// Allocation calls of the programs. The plain build calls malloc/free/realloc
// (LD_PRELOAD picks the allocator); the in-process build (<prog>_hz3, compiled
// with -DSTRESS_HZ3_INPROCESS and linked to hz3_core) calls hz3_* directly, so
// hz3 runs inside a sanitizer build where LD_PRELOAD is not possible (the
// sanitizer runtime owns malloc; the programs' std containers use it).
#ifdef STRESS_HZ3_INPROCESS
inline void* xmalloc(size_t n) { return hz3_malloc(n); }
inline void xfree(void* p) { hz3_free(p); }
inline void* xrealloc(void* p, size_t n) { return hz3_realloc(p, n); }
inline const char* alloc_mode() { return "inprocess"; }
#else
inline void* xmalloc(size_t n) { return malloc(n); }
inline void xfree(void* p) { free(p); }
inline void* xrealloc(void* p, size_t n) { return realloc(p, n); }
inline const char* alloc_mode() { return "preload"; }
#endif

// hz3's hooks: under LD_PRELOAD looked up in whatever is loaded (null when
// hz3 is not); in-process the real hz3_debug_* functions.
struct Hooks {
  // Under LD_PRELOAD libc's own objects are live too, so the free-list form
  // of the check is the one that applies. In-process every hz3 object is one
  // of the program's (std containers use the system malloc), and the census
  // says none is live at the end, so the full check with an empty live array
  // applies: it also finds objects hz3 lost.
  int (*heap_check)(hz3_heap_report*) = nullptr;
  void (*flush_thread)() = nullptr;
  const char* (*config)() = nullptr;
  unsigned (*num_shards)() = nullptr;
  const char* heap_check_kind = "none";
  Hooks() {
#ifdef STRESS_HZ3_INPROCESS
    heap_check = [](hz3_heap_report* r) { return hz3_debug_heap_check(nullptr, 0, r); };
    flush_thread = hz3_debug_flush_thread;
    config = hz3_config_string;
    num_shards = hz3_num_shards;
    heap_check_kind = "full";
#else
    heap_check = reinterpret_cast<decltype(heap_check)>(dlsym(RTLD_DEFAULT, "hz3_debug_heap_check_free_lists"));
    flush_thread = reinterpret_cast<decltype(flush_thread)>(dlsym(RTLD_DEFAULT, "hz3_debug_flush_thread"));
    config = reinterpret_cast<decltype(config)>(dlsym(RTLD_DEFAULT, "hz3_config_string"));
    num_shards = reinterpret_cast<decltype(num_shards)>(dlsym(RTLD_DEFAULT, "hz3_num_shards"));
    if (heap_check) heap_check_kind = "free_lists";
#endif
  }
  bool present() const { return heap_check && flush_thread; }
  void flush() const {
    if (flush_thread) flush_thread();
  }
};

inline const Hooks& hooks() {
  static const Hooks h;
  return h;
}

struct Options {
  uint64_t seed = 1;
  int threads = 4;
  double seconds = 10;
  // program-specific extras, parsed by the program from argv itself
};

[[noreturn]] inline void usage(const char* prog, const char* extra) {
  fprintf(stderr, "usage: %s [--seed N] [--threads T] [--seconds S]%s\n", prog, extra);
  exit(2);
}

// Parses the common flags; unknown "--name value" pairs go to `extra(name, value)`.
template <class Extra>
Options parse(int argc, char** argv, const char* extra_usage, Extra extra) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    if (i + 1 >= argc) usage(argv[0], extra_usage);
    const char* k = argv[i];
    const char* v = argv[++i];
    if (!strcmp(k, "--seed")) o.seed = strtoull(v, nullptr, 10);
    else if (!strcmp(k, "--threads")) o.threads = atoi(v);
    else if (!strcmp(k, "--seconds")) o.seconds = atof(v);
    else if (!extra(k, v)) usage(argv[0], extra_usage);
  }
  if (o.threads < 1 || o.seconds <= 0) usage(argv[0], extra_usage);
  return o;
}

struct Rng {
  uint64_t s;
  explicit Rng(uint64_t seed) : s(seed * 0x9E3779B97F4A7C15ull + 0x632BE59BD9B4E019ull) {
    if (!s) s = 1;
  }
  uint64_t next() {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return s;
  }
  uint64_t below(uint64_t n) { return next() % n; }
};

// Object tags: the first 16 bytes hold (tag, size); the rest is a pattern of
// the tag. check() verifies the whole object, so a lost write, an overlap
// with another live object or a use after free shows as a mismatch.
struct Header {
  uint64_t tag;
  uint64_t size;
};

inline uint8_t pattern_byte(uint64_t tag, size_t i) { return static_cast<uint8_t>(tag * 31 + i * 7); }

inline void fill(void* p, size_t size, uint64_t tag) {
  auto* b = static_cast<uint8_t*>(p);
  if (size >= sizeof(Header)) {
    Header h{tag, size};
    memcpy(b, &h, sizeof h);
    for (size_t i = sizeof(Header); i < size; ++i) b[i] = pattern_byte(tag, i);
  } else {
    for (size_t i = 0; i < size; ++i) b[i] = pattern_byte(tag, i);
  }
}

[[noreturn]] inline void fail(const char* prog, const char* what, const void* p, uint64_t tag) {
  fprintf(stderr, "%s: FAILED %s ptr=%p tag=%llu\n", prog, what, p, static_cast<unsigned long long>(tag));
  abort();
}

inline void check(const char* prog, const void* p, size_t size, uint64_t tag) {
  auto* b = static_cast<const uint8_t*>(p);
  size_t start = 0;
  if (size >= sizeof(Header)) {
    Header h;
    memcpy(&h, b, sizeof h);
    if (h.tag != tag || h.size != size) fail(prog, "tag_mismatch", p, tag);
    start = sizeof(Header);
  }
  for (size_t i = start; i < size; ++i)
    if (b[i] != pattern_byte(tag, i)) fail(prog, "pattern_mismatch", p, tag);
}

// Live-object counter shared by all threads of a program.
struct Census {
  std::atomic<int64_t> live{0};
  std::atomic<uint64_t> allocs{0}, frees{0}, reallocs{0};
  void on_alloc() {
    live.fetch_add(1, std::memory_order_relaxed);
    allocs.fetch_add(1, std::memory_order_relaxed);
  }
  void on_free() {
    live.fetch_sub(1, std::memory_order_relaxed);
    frees.fetch_add(1, std::memory_order_relaxed);
  }
  // A realloc moves a live object: one operation, no change in live.
  void on_realloc() { reallocs.fetch_add(1, std::memory_order_relaxed); }
};

class Clock {
 public:
  double elapsed() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
  }

 private:
  std::chrono::steady_clock::time_point t0_ = std::chrono::steady_clock::now();
};

// One progress line every ~10 s: "<prog>: 30s/600s ops=... live=...".
class Progress {
 public:
  Progress(const char* prog, double seconds) : prog_(prog), seconds_(seconds) {}
  void tick(const Census& c) {
    double el = clock_.elapsed();
    if (el - last_ < 10) return;
    last_ = el;
    fprintf(stderr, "%s: %.0fs/%.0fs allocs=%llu frees=%llu live=%lld\n", prog_, el, seconds_,
            static_cast<unsigned long long>(c.allocs.load()), static_cast<unsigned long long>(c.frees.load()),
            static_cast<long long>(c.live.load()));
  }
  bool done() const { return clock_.elapsed() >= seconds_; }
  double elapsed() const { return clock_.elapsed(); }

 private:
  const char* prog_;
  double seconds_;
  double last_ = 0;
  Clock clock_;
};

// End of run: every object must be freed (census), and under hz3 the
// quiescent conservation check must pass. Prints the result line; returns
// the exit code.
inline int finish(const char* prog, const Options& o, const Census& c, double secs) {
  bool ok = c.live.load() == 0 && c.allocs.load() == c.frees.load();
  std::string heap = "skipped(no_hz3)";
  if (hooks().present()) {
    hooks().flush();
    hz3_heap_report rep{};
    if (hooks().heap_check(&rep) == 0) {
      heap = "ok";
    } else {
      heap = std::string("FAILED(") + rep.error + ")";
      fprintf(stderr, "%s: FAILED heap_check %s\n", prog, rep.error);
      ok = false;
    }
  }
  // ops counts every allocator call the program made: realloc_storm's work is
  // its reallocs, which allocs+frees alone would leave out.
  double ops = static_cast<double>(c.allocs.load() + c.frees.load() + c.reallocs.load());
  printf("%s seed=%llu threads=%d seconds=%.1f allocs=%llu frees=%llu reallocs=%llu ops_per_sec=%.0f mode=%s "
         "heap_check=%s heap_check_kind=%s result=%s\n",
         prog, static_cast<unsigned long long>(o.seed), o.threads, secs,
         static_cast<unsigned long long>(c.allocs.load()), static_cast<unsigned long long>(c.frees.load()),
         static_cast<unsigned long long>(c.reallocs.load()),
         secs > 0 ? ops / secs : 0.0, alloc_mode(), heap.c_str(), hooks().heap_check_kind, ok ? "PASS" : "FAIL");
  if (hooks().config) fprintf(stderr, "%s: allocator hz3 %s\n", prog, hooks().config());
  fflush(stdout);
  return ok ? 0 : 1;
}

// A tagged object in flight between threads.
struct Obj {
  void* p;
  size_t size;
  uint64_t tag;
};

// Mailbox: many senders, one receiver; the receiver takes everything at once.
class Mailbox {
 public:
  void send(const Obj& o) {
    std::lock_guard<std::mutex> g(mu_);
    q_.push_back(o);
  }
  void take(std::vector<Obj>& out) {
    out.clear();
    std::lock_guard<std::mutex> g(mu_);
    out.swap(q_);
  }

 private:
  std::mutex mu_;
  std::vector<Obj> q_;
};

// Allocate, fill and count one tagged object; aborts with a FAILED line on NULL.
inline Obj make(const char* prog, Census& c, size_t size, uint64_t tag) {
  void* p = xmalloc(size);
  if (!p) fail(prog, "malloc_returned_null", nullptr, tag);
  fill(p, size, tag);
  c.on_alloc();
  return Obj{p, size, tag};
}

// Check and free one tagged object.
inline void destroy(const char* prog, Census& c, const Obj& o) {
  check(prog, o.p, o.size, o.tag);
  xfree(o.p);
  c.on_free();
}

// Free (after checking) everything waiting in a mailbox.
inline void receive(const char* prog, Census& c, Mailbox& box, std::vector<Obj>& scratch) {
  box.take(scratch);
  for (const Obj& x : scratch) destroy(prog, c, x);
}

// Worker epilogue for programs whose workers mail objects to each other: say
// this worker sends no more, keep receiving until every worker says so, take
// the last mail, and flush hz3's caches of this thread.
inline void finish_worker(const char* prog, Census& c, Mailbox& box, std::atomic<int>& finished, int workers) {
  std::vector<Obj> scratch;
  finished.fetch_add(1);
  while (finished.load() < workers) {
    receive(prog, c, box, scratch);
    std::this_thread::yield();
  }
  receive(prog, c, box, scratch);
  hooks().flush();
}

}  // namespace stress
