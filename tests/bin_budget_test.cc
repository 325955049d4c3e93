// The bin budget (config.h kBinBudgetBatches, thread_cache.h bin_cap): a
// refill sizes its bin by the live thread caches' share of the budget, two
// batches at least and kBinMaxBatches at most; the share follows threads
// starting and exiting, and hz3_debug_pin_bin_batches overrides it.
#include <gtest/gtest.h>

#include <cstdint>
#include <thread>
#include <vector>

#include "hz3.h"
#include "hz3/config.h"
#include "hz3/size_class.h"
#include "hz3/thread_cache.h"
#include "test_util.h"

namespace {

using BinBudgetMT = hz3test::HeapNeutralTest;

constexpr size_t kSize = 1000;  // a class of 8 objects a batch

// The cap a fresh thread's first refill of kSize gives its bin, in batches
// (the thread's cache is set up by that malloc, so it counts itself).
uint32_t FreshRefillBatches() {
  const uint32_t sc = hz3::size_to_class(kSize);
  uint32_t cap = 0;
  std::thread t([&] {
    void* p = hz3_malloc(kSize);
    cap = hz3::t_cache->bins[sc].cap;
    hz3_free(p);
  });
  t.join();
  EXPECT_EQ(cap % hz3::class_batch(sc), 0u) << "a cap is whole batches";
  return cap / hz3::class_batch(sc);
}

// n threads with a cache each, parked until the object goes out of scope.
class ParkedThreads {
 public:
  explicit ParkedThreads(int n) : up_(n + 1), down_(n + 1) {
    for (int i = 0; i < n; ++i)
      th_.emplace_back([this] {
        hz3_free(hz3_malloc(16));
        up_.Wait();
        down_.Wait();
      });
    up_.Wait();
  }
  ~ParkedThreads() {
    down_.Wait();
    for (auto& t : th_) t.join();
  }

 private:
  hz3test::Barrier up_, down_;
  std::vector<std::thread> th_;
};

TEST_F(BinBudgetMT, FewThreadsGetTheLargestBins) {
  hz3_free(hz3_malloc(16));  // main's cache
  // main and the fresh thread (and at most one other): 24 / 3 = 8 batches
  ASSERT_LE(hz3::live_caches(), 2u);
  EXPECT_EQ(FreshRefillBatches(), hz3::kBinMaxBatches);
  EXPECT_GT(hz3::kBinMaxBatches, 2u) << "larger than the class cap";
}

TEST_F(BinBudgetMT, ManyLiveThreadsShareTheBudgetAndExitsGiveItBack) {
  hz3_free(hz3_malloc(16));
  {
    ParkedThreads many(hz3::kBinBudgetBatches);  // with main and the fresh one: over 24 caches
    EXPECT_EQ(FreshRefillBatches(), 2u) << "never below the class cap's two batches";
  }
  {
    // main + 4 parked + the fresh thread = 6 caches: 24 / 6 = 4 batches
    ParkedThreads some(4);
    ASSERT_EQ(hz3::live_caches(), 5u);
    EXPECT_EQ(FreshRefillBatches(), hz3::kBinBudgetBatches / 6);
  }
  EXPECT_EQ(FreshRefillBatches(), hz3::kBinMaxBatches) << "the exited threads' share came back";
}

TEST_F(BinBudgetMT, PinHoldsWhateverTheThreadsAndAppliesToTheCallerAtOnce) {
  const uint32_t sc = hz3::size_to_class(kSize);
  hz3_free(hz3_malloc(kSize));
  {
    hz3test::PinBinBatches two;
    EXPECT_EQ(hz3::t_cache->bins[sc].cap, hz3::class_cap(sc)) << "the caller's bins, at once";
    EXPECT_EQ(FreshRefillBatches(), 2u);
    hz3_debug_pin_bin_batches(100);  // clamped to the largest
    EXPECT_EQ(FreshRefillBatches(), hz3::kBinMaxBatches);
  }
  EXPECT_EQ(FreshRefillBatches(), hz3::kBinMaxBatches);
  EXPECT_EQ(hz3::t_cache->bins[sc].cap, hz3::kBinMaxBatches * hz3::class_batch(sc));
}

// The larger bin is what the remote-free path sees: with few threads a
// remote free finds room beyond the class cap and stays in the freeing
// thread's bin instead of going to the stash (free_remote_slow).
TEST_F(BinBudgetMT, RemoteFreesFillTheLargerBinBeforeTheStash) {
  if (!hz3::kXferSteal) GTEST_SKIP() << "remote frees go into the bin only with HZ3_XFER_STEAL";
  const uint32_t sc = hz3::size_to_class(kSize);
  const uint32_t n = hz3::class_cap(sc) + hz3::class_batch(sc);  // over two batches, under eight
  std::vector<void*> objs;
  hz3test::Barrier allocated(2), freed(2);
  std::thread owner([&] {
    for (uint32_t i = 0; i < n; ++i) objs.push_back(hz3_malloc(kSize));
    allocated.Wait();
    freed.Wait();  // alive: the frees are remote
  });
  allocated.Wait();
  std::thread freer([&] {
    hz3_free(hz3_malloc(kSize));  // the freer's bin: refilled (cap set), one object in it
    const hz3::Bin& bin = hz3::t_cache->bins[sc];
    const uint32_t before = bin.count;
    ASSERT_GE(bin.cap, before + n) << "room for every object";
    for (void* p : objs) hz3_free(p);
    EXPECT_EQ(bin.count, before + n);
    hz3_heap_report r;
    ASSERT_TRUE(hz3test::HeapOk({}, &r));
    EXPECT_EQ(r.in_stash, 0u);
    hz3_debug_flush_thread();
  });
  freer.join();
  freed.Wait();
  owner.join();
}

}  // namespace
