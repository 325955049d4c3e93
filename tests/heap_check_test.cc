// The quiescent heap check itself: it passes on a balanced heap with exact
// counts, and it fails (naming the violation) when the caller's live set is
// wrong. A check that cannot fail would make every other test meaningless.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

#include "hz3.h"
#include "hz3/config.h"
#include "hz3/remote_stash.h"
#include "hz3/size_class.h"
#include "hz3/thread_cache.h"
#include "test_util.h"

using hz3test::HeapFails;
using hz3test::HeapOk;

namespace {

class HeapCheck : public ::testing::Test {
 protected:
  void SetUp() override {
    hz3_debug_flush_thread();
    ASSERT_TRUE(HeapOk({})) << "the heap must balance before the test";
  }
  void TearDown() override {
    hz3_debug_flush_thread();
    EXPECT_TRUE(HeapOk({}));
  }
};

TEST_F(HeapCheck, NullReportAndEmptyLiveAreAccepted) {
  EXPECT_EQ(hz3_debug_heap_check(nullptr, 0, nullptr), 0);
}

TEST_F(HeapCheck, CountsLiveObjectsExactly) {
  std::vector<void*> live, larges;
  for (size_t n = 1; n < 70000; n = n * 3 / 2 + 7) live.push_back(hz3_malloc(n));
  for (int i = 0; i < 3; ++i) larges.push_back(hz3_malloc(100000 + i));
  std::vector<void*> all = live;
  all.insert(all.end(), larges.begin(), larges.end());
  hz3_heap_report r;
  ASSERT_TRUE(HeapOk(all, &r));
  EXPECT_EQ(r.live, live.size()) << "live counts the class objects named (large ones are not carved)";
  EXPECT_EQ(r.large_live, larges.size());
  EXPECT_GT(r.in_tcache, 0u) << "refills leave the rest of their batch in the bins";
  EXPECT_EQ(r.carved, r.live + r.in_tcache + r.in_stash + r.in_xfer + r.in_central);
  // Unflushed: the freed objects sit in the thread cache.
  for (void* p : live) hz3_free(p);
  ASSERT_TRUE(HeapOk(larges, &r));
  EXPECT_EQ(r.live, 0u);
  EXPECT_EQ(r.in_stash, 0u) << "nothing was freed remotely";
  size_t carved = r.carved;
  // Flushed: bins move to central, nothing else changes.
  hz3_debug_flush_thread();
  ASSERT_TRUE(HeapOk(larges, &r));
  EXPECT_EQ(r.in_tcache, 0u);
  EXPECT_EQ(r.carved, carved);
  EXPECT_EQ(r.in_central + r.in_xfer, carved);
  for (void* p : larges) hz3_free(p);
  ASSERT_TRUE(HeapOk({}, &r));
  EXPECT_EQ(r.large_live, 0u);
}

TEST_F(HeapCheck, OmittedLiveObjectIsLost) {
  void* keep = hz3_malloc(300);
  void* p = hz3_malloc(300);
  EXPECT_TRUE(HeapFails({keep}, "lost_object"));
  EXPECT_TRUE(HeapFails({}, "lost_object"));
  hz3_heap_report r;
  ASSERT_EQ(hz3_debug_heap_check(&keep, 1, &r), -1);
  EXPECT_EQ(r.ok, 0);
  EXPECT_NE(std::strstr(r.error, "in carved pages"), nullptr) << r.error;
  EXPECT_TRUE(HeapOk({keep, p}));
  hz3_free(p);
  hz3_free(keep);
}

TEST_F(HeapCheck, PointerPassedTwiceIsDuplicate) {
  void* p = hz3_malloc(40);
  EXPECT_TRUE(HeapFails({p, p}, "duplicate_object"));
  hz3_heap_report r;
  void* twice[2] = {p, p};
  ASSERT_EQ(hz3_debug_heap_check(twice, 2, &r), -1);
  EXPECT_NE(std::strstr(r.error, "duplicate_object in live"), nullptr) << r.error;
  hz3_free(p);
}

TEST_F(HeapCheck, FreedPointerPassedAsLiveIsDuplicate) {
  void* p = hz3_malloc(40);
  hz3_free(p);  // now in the bin
  hz3_heap_report r;
  ASSERT_EQ(hz3_debug_heap_check(&p, 1, &r), -1);
  EXPECT_NE(std::strstr(r.error, "duplicate_object in tcache"), nullptr) << r.error;
  hz3_debug_flush_thread();  // now in central
  ASSERT_EQ(hz3_debug_heap_check(&p, 1, &r), -1);
  EXPECT_NE(std::strstr(r.error, "duplicate_object in central"), nullptr) << r.error;
}

TEST_F(HeapCheck, BadLivePointersAreReported) {
  alignas(16) char stack[32];
  void* s = stack;
  EXPECT_TRUE(HeapFails({s}, "not_ours"));
  void* p = hz3_malloc(64);
  EXPECT_TRUE(HeapFails({static_cast<char*>(p) + 16}, "not_object_start"));
  char* big = static_cast<char*>(hz3_malloc(1 << 20));
  EXPECT_TRUE(HeapFails({p, big + 64}, "not_a_live_large_object"));
  EXPECT_TRUE(HeapOk({p, big}));
  hz3_free(big);
  hz3_free(p);
}

// Objects allocated on A, freed on B: after both flush, the check passes with
// exactly the still-live objects, and the remote frees are in A's boxes. The
// check runs on the main thread while A and B are parked (quiescent, alive).
TEST_F(HeapCheck, CrossThreadFreeMT) {
  constexpr int kN = 1000;
  std::vector<void*> objs(kN);
  hz3test::Barrier handoff(2), flushed(3), checked(3);
  unsigned shard_a = 0, shard_b = 0;
  std::thread a([&] {
    shard_a = hz3_debug_current_shard();
    for (int i = 0; i < kN; ++i) objs[i] = hz3_malloc(static_cast<size_t>(16 + (i % 50) * 16));
    handoff.Wait();
    hz3_debug_flush_thread();
    flushed.Wait();
    checked.Wait();
    for (int i = 1; i < kN; i += 2) hz3_free(objs[i]);  // the rest, locally
  });
  std::thread b([&] {
    shard_b = hz3_debug_current_shard();
    handoff.Wait();
    for (int i = 0; i < kN; i += 2) hz3_free(objs[i]);  // remote frees
    hz3_debug_flush_thread();
    flushed.Wait();
    checked.Wait();
  });
  flushed.Wait();
  std::vector<void*> live;
  for (int i = 1; i < kN; i += 2) live.push_back(objs[i]);
  hz3_heap_report r;
  EXPECT_NE(shard_a, shard_b);
  EXPECT_TRUE(HeapOk(live, &r));
  EXPECT_EQ(r.live, live.size());
  EXPECT_EQ(r.in_stash, 0u) << "both threads flushed their stashes";
  EXPECT_EQ(r.in_tcache, 0u) << "both threads flushed their bins";
  EXPECT_GE(r.in_xfer + r.in_central, static_cast<size_t>(kN / 2));
  EXPECT_TRUE(HeapFails({}, "lost_object"));
  live.push_back(objs[0]);  // freed by B: now named twice
  EXPECT_TRUE(HeapFails(live, "duplicate_object"));
  checked.Wait();
  a.join();
  b.join();
}

// Objects in a live thread's cache and stash are counted through the registry.
TEST_F(HeapCheck, OtherLiveThreadCachesAreCountedMT) {
  hz3test::PinBinBatches two;  // t's bins fill and its remote frees reach the stash
  constexpr int kN = 300;
  std::vector<void*> mine(kN), held;
  for (int i = 0; i < kN; ++i) mine[i] = hz3_malloc(200);  // main's objects
  hz3test::Barrier parked(2), resume(2);
  std::thread t([&] {
    for (int i = 0; i < kN; ++i) held.push_back(hz3_malloc(72));
    for (int i = 0; i < kN / 2; ++i) hz3_free(held[i]);   // local: into t's bins
    for (int i = 0; i < kN; i += 3) hz3_free(mine[i]);     // remote: into t's stash (unflushed)
    parked.Wait();
    resume.Wait();
    for (int i = kN / 2; i < kN; ++i) hz3_free(held[i]);
  });
  parked.Wait();
  std::vector<void*> live(held.begin() + kN / 2, held.end());
  for (int i = 0; i < kN; ++i)
    if (i % 3) live.push_back(mine[i]);
  hz3_heap_report r;
  EXPECT_TRUE(HeapOk(live, &r));
  EXPECT_EQ(r.live, live.size());
  // t's bin for the class keeps at least one batch of what it freed locally.
  EXPECT_GE(r.in_tcache, static_cast<size_t>(hz3::class_batch(hz3::size_to_class(72))));
  EXPECT_GT(r.in_stash, 0u) << "t's unflushed remote frees sit in its stash";
  std::vector<void*> missing(live.begin() + 1, live.end());
  EXPECT_TRUE(HeapFails(missing, "lost_object"));
  resume.Wait();
  t.join();
  for (int i = 0; i < kN; ++i)
    if (i % 3) hz3_free(mine[i]);
}

}  // namespace

// The free-list form (for programs whose live objects are unknown) infers the
// live count and still finds a duplicated free object.
TEST(HeapCheckFreeLists, InfersLiveCount) {
  hz3_debug_flush_thread();
  hz3_heap_report before;
  ASSERT_EQ(0, hz3_debug_heap_check_free_lists(&before)) << before.error;
  std::vector<void*> held;
  for (int i = 0; i < 100; ++i) held.push_back(hz3_malloc(48));
  hz3_heap_report during;
  ASSERT_EQ(0, hz3_debug_heap_check_free_lists(&during)) << during.error;
  EXPECT_EQ(during.live, before.live + 100);
  for (void* p : held) hz3_free(p);
  hz3_heap_report after;
  ASSERT_EQ(0, hz3_debug_heap_check_free_lists(&after)) << after.error;
  EXPECT_EQ(after.live, before.live);
}

#if !HZ3_FREE_FAILFAST
TEST(HeapCheckFreeLists, FindsDoubleFreeInBin) {
  EXPECT_EXIT(
      {
        // Two more objects held, so the bin is under its cap for both frees:
        // a refill that took a whole central list sets the cap to its size,
        // and a drain would split the self-loop the second free makes
        // (bin_count_mismatch, when this test runs after InfersLiveCount).
        void* p = hz3_malloc(48);
        void* held1 = hz3_malloc(48);
        void* held2 = hz3_malloc(48);
        (void)held1;
        (void)held2;
        hz3_free(p);
        hz3_free(p);  // unchecked build: the bin now holds p twice
        hz3_heap_report r;
        int rc = hz3_debug_heap_check_free_lists(&r);
        std::_Exit(rc == -1 && std::strstr(r.error, "duplicate_object") ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "");
}
#endif

// Carriers waiting in a thread cache's stock are walked carrier by carrier:
// a stock whose count disagrees with its list is reported, not trusted.
TEST(HeapCheckFreeLists, StockCountMismatchIsReported) {
  constexpr size_t kSize = 1536;
  const uint32_t sc = hz3::size_to_class(kSize);
  hz3_debug_flush_thread();
  std::vector<void*> objs(3 * hz3::RemoteStash::flush_at(sc));
  for (void*& p : objs) p = hz3_malloc(kSize);
  hz3_debug_flush_thread();
  std::thread t([&objs] {
    for (void* p : objs) hz3_free(p);  // remote: one carrier a stash flush
    hz3_debug_flush_thread();
  });
  t.join();
  void* first = hz3_malloc(kSize);  // unpacks one carrier, stocks the others (on the shelf)
  std::atomic<uint64_t>& word = hz3::t_cache->shelf.word[sc];
  const void* list = hz3::shelf_peek(hz3::t_cache->shelf, sc).head;
  ASSERT_EQ(hz3::shelf_peek(hz3::t_cache->shelf, sc).carriers, 2u);
  hz3_heap_report r;
  ASSERT_EQ(0, hz3_debug_heap_check_free_lists(&r)) << r.error;
  word.store(hz3::shelf_word(list, 3));  // one more than its list holds
  EXPECT_EQ(-1, hz3_debug_heap_check_free_lists(&r));
  EXPECT_NE(std::strstr(r.error, "stock_count_mismatch in stock"), nullptr) << r.error;
  word.store(hz3::shelf_word(list, 1));  // one fewer: the list goes on past it
  EXPECT_EQ(-1, hz3_debug_heap_check_free_lists(&r));
  EXPECT_NE(std::strstr(r.error, "stock_count_mismatch in stock"), nullptr) << r.error;
  word.store(hz3::shelf_word(list, 2));
  ASSERT_EQ(0, hz3_debug_heap_check_free_lists(&r)) << r.error;
  hz3_free(first);
  hz3_debug_flush_thread();
}
