// Helpers shared by the hz3 unit tests: heap-check assertions, a sanitizer
// probe for time budgets, and a tiny thread barrier.
#pragma once
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

#include "hz3.h"
#include "hz3/segment_map.h"
#include "hz3/thread_cache.h"

#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define HZ3_TEST_TSAN 1
#endif
#if __has_feature(address_sanitizer)
#define HZ3_TEST_ASAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__) && !defined(HZ3_TEST_TSAN)
#define HZ3_TEST_TSAN 1
#endif
#if defined(__SANITIZE_ADDRESS__) && !defined(HZ3_TEST_ASAN)
#define HZ3_TEST_ASAN 1
#endif
#ifndef HZ3_TEST_TSAN
#define HZ3_TEST_TSAN 0
#endif
#ifndef HZ3_TEST_ASAN
#define HZ3_TEST_ASAN 0
#endif

namespace hz3test {

inline constexpr bool kSanitized = HZ3_TEST_TSAN || HZ3_TEST_ASAN;

// A remote free goes into the freeing thread's bin while the bin has room
// (free_remote_slow), and only a full bin sends it to the stash. For a test
// about the stash: every bin of the calling thread counts as full (its cap
// set to its count), so this thread's remote frees go to the stash until a
// bin runs empty and its refill sets the cap again. (A local free into a
// bin whose cap is now below a batch does not drain it: bin_drain keeps
// cap - batch, which wraps.)
inline void RemoteFreesToStash() {
  hz3_free(hz3_malloc(16));  // the thread's cache, set up
  for (hz3::Bin& b : hz3::t_cache->bins) b.cap = b.count;
}

// Bins of n batches (default two, the class cap) for the scope, whatever the
// number of live threads: for tests whose counts were written for that size.
struct PinBinBatches {
  explicit PinBinBatches(unsigned n = 2) { hz3_debug_pin_bin_batches(n); }
  ~PinBinBatches() { hz3_debug_pin_bin_batches(0); }
  PinBinBatches(const PinBinBatches&) = delete;
  PinBinBatches& operator=(const PinBinBatches&) = delete;
};

// True for an object carved from a segment page (a size-class object), false
// for a large mapping or a foreign pointer.
inline bool IsSegmentObject(const void* p) {
  return hz3::granule_kind(p) == hz3::GranuleKind::kSegment;
}

// Conservation identity of a heap report: every carved object is somewhere.
inline size_t Accounted(const hz3_heap_report& r) {
  return r.live + r.in_tcache + r.in_stash + r.in_xfer + r.in_central;
}

inline std::string Describe(const hz3_heap_report& r) {
  return "carved=" + std::to_string(r.carved) + " live=" + std::to_string(r.live) +
         " tcache=" + std::to_string(r.in_tcache) + " stash=" + std::to_string(r.in_stash) +
         " xfer=" + std::to_string(r.in_xfer) + " central=" + std::to_string(r.in_central) +
         " large_live=" + std::to_string(r.large_live) + " ok=" + std::to_string(r.ok) +
         " error='" + r.error + "'";
}

// Heap check that must pass, with the report's identity asserted too.
inline ::testing::AssertionResult HeapOk(const std::vector<void*>& live, hz3_heap_report* out = nullptr) {
  hz3_heap_report r;
  std::memset(&r, 0x5a, sizeof r);  // the check must fill every field
  int rc = hz3_debug_heap_check(live.data(), live.size(), &r);
  if (out) *out = r;
  if (rc != 0 || r.ok != 1) return ::testing::AssertionFailure() << "heap check failed: " << Describe(r);
  if (r.carved != Accounted(r))
    return ::testing::AssertionFailure() << "carved != live+tcache+stash+xfer+central: " << Describe(r);
  return ::testing::AssertionSuccess();
}

// Heap check that must fail with `what` in the error.
inline ::testing::AssertionResult HeapFails(const std::vector<void*>& live, const char* what) {
  hz3_heap_report r;
  int rc = hz3_debug_heap_check(live.data(), live.size(), &r);
  if (rc != -1 || r.ok != 0) return ::testing::AssertionFailure() << "heap check passed: " << Describe(r);
  if (!std::strstr(r.error, what))
    return ::testing::AssertionFailure() << "error lacks '" << what << "': " << Describe(r);
  return ::testing::AssertionSuccess();
}

// Reusable barrier for a fixed number of participants.
class Barrier {
 public:
  explicit Barrier(int n) : n_(n) {}
  void Wait() {
    std::unique_lock<std::mutex> l(mu_);
    int gen = gen_;
    if (++arrived_ == n_) {
      arrived_ = 0;
      ++gen_;
      cv_.notify_all();
      return;
    }
    cv_.wait(l, [&] { return gen != gen_; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int n_;
  int arrived_ = 0;
  int gen_ = 0;
};

// Deterministic, cheap PRNG (xorshift64*).
struct Rng {
  uint64_t s;
  explicit Rng(uint64_t seed) : s(seed * 0x9E3779B97F4A7C15ull + 1) {}
  uint64_t Next() {
    s ^= s >> 12;
    s ^= s << 25;
    s ^= s >> 27;
    return s * 0x2545F4914F6CDD1Dull;
  }
  uint32_t Below(uint32_t n) { return static_cast<uint32_t>(Next() % n); }
};

// A size drawn from a mix: mostly small, some medium, rarely large.
inline size_t MixedSize(Rng& r, bool allow_large = true) {
  uint32_t k = r.Below(100);
  if (k < 70) return r.Below(2049);
  if (k < 97 || !allow_large) return 2049 + r.Below(65536 - 2048);
  return 65537 + r.Below(1 << 18);
}

// Fill / verify a recognisable pattern in an allocation.
inline void Fill(void* p, size_t n, uint8_t seed) {
  auto* b = static_cast<uint8_t*>(p);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(seed + i * 7);
}
inline bool Check(const void* p, size_t n, uint8_t seed) {
  auto* b = static_cast<const uint8_t*>(p);
  for (size_t i = 0; i < n; ++i)
    if (b[i] != static_cast<uint8_t>(seed + i * 7)) return false;
  return true;
}

// Fixture for tests that must leave the heap as they found it: conserving
// and with no large mapping left behind.
class HeapNeutralTest : public ::testing::Test {
 protected:
  void SetUp() override {
    hz3_debug_flush_thread();
    ASSERT_TRUE(HeapOk({}));
  }
  void TearDown() override {
    hz3_debug_flush_thread();
    hz3_heap_report r;
    EXPECT_TRUE(HeapOk({}, &r));
    EXPECT_EQ(r.large_live, 0u);
  }
};

}  // namespace hz3test
