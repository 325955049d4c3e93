// bench_util.h: what the plain-malloc benchmark programs share (not the
// allocator's code: these programs call malloc/free only, so LD_PRELOAD
// swaps the allocator under the same binary).
//
//   Args     strict command-line parsing: a value that is not a whole
//            number in range prints the usage line and exits 2.
//   Rng      xorshift64, one per thread, seeded from the thread's identity
//            (runs are repeatable up to scheduling).
//   xmalloc  malloc that exits 1 with a message when it returns NULL.
//   stamp / stamped
//            write and check a tag in an object's first min(size, 8) bytes:
//            a benchmark that hands objects between threads checks the tag
//            before the free, so an allocator that hands out one object twice
//            (or a lost write) makes the program exit 1 instead of printing a
//            number.
//   report_bad  true for the first 10 inconsistencies only (no floods).
//   seconds_since  steady_clock seconds.
//
// Each program prints exactly one result line on stdout, in the style of
// bench_random_mixed_mt_remote_malloc:
//   <name> <args>: ops=<n> secs=<s> ops_per_sec=<r> <workload fields>
// and reports errors on stderr.
#pragma once

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace bench {

class Args {
 public:
  Args(int argc, char** argv, int required, const char* usage)
      : argc_(argc), argv_(argv), usage_(usage) {
    if (argc - 1 < required) fail("missing arguments");
  }

  // Argument i (1-based) as an integer in [lo, hi]; `def` when absent.
  uint64_t get(int i, uint64_t lo, uint64_t hi, uint64_t def = 0, bool optional = false) const {
    if (i >= argc_) {
      if (optional) return def;
      fail("missing arguments");
    }
    const char* s = argv_[i];
    char* end = nullptr;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (*s == '\0' || *s == '-' || *end != '\0' || errno != 0 || v < lo || v > hi) {
      char what[160];
      snprintf(what, sizeof what, "bad argument %d '%s' (want %llu..%llu)", i, s,
               static_cast<unsigned long long>(lo), static_cast<unsigned long long>(hi));
      fail(what);
    }
    return v;
  }

  [[noreturn]] void fail(const char* why) const {
    fprintf(stderr, "%s: %s\nusage: %s %s\n", argv_[0], why, argv_[0], usage_);
    exit(2);
  }

 private:
  int argc_;
  char** argv_;
  const char* usage_;
};

struct Rng {
  uint64_t s;
  explicit Rng(uint64_t seed) : s(seed * 0x9E3779B97F4A7C15ull + 0x632BE59BD9B4E019ull) {
    if (s == 0) s = 1;
  }
  uint64_t next() {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return s;
  }
  // Uniform enough in [lo, hi] for benchmark sizes.
  uint64_t range(uint64_t lo, uint64_t hi) { return lo + (next() >> 16) % (hi - lo + 1); }
};

inline void* xmalloc(size_t n) {
  void* p = malloc(n);
  if (p == nullptr) {
    fprintf(stderr, "malloc(%zu) returned NULL\n", n);
    exit(1);
  }
  return p;
}

inline void stamp(void* p, size_t size, uint64_t tag) {
  memcpy(p, &tag, size < sizeof tag ? size : sizeof tag);
}

inline bool stamped(const void* p, size_t size, uint64_t tag) {
  return memcmp(p, &tag, size < sizeof tag ? size : sizeof tag) == 0;
}

// True for the first 10 inconsistencies of the process: report those, count
// the rest (an allocator that breaks usually breaks thousands of times).
inline bool report_bad() {
  static std::atomic<int> reported{0};
  return reported.fetch_add(1, std::memory_order_relaxed) < 10;
}

inline double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace bench
