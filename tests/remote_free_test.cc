// Remote frees: objects freed by a thread other than their owner travel
// through the freeing thread's stash to the owner's xfer, and come back into
// use (in the lanes with HZ3_XFER_STEAL, only once the freeing thread's bin
// of the class is full: xfer_steal_test.cc). Conservation must hold at every
// quiescent point.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <deque>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "hz3.h"
#include "hz3/carrier.h"
#include "hz3/remote_stash.h"
#include "hz3/size_class.h"
#include "hz3/thread_cache.h"
#include "test_util.h"

using hz3test::HeapOk;

namespace {

using RemoteFreeMT = hz3test::HeapNeutralTest;

// A allocates, B frees everything; both flush; then the objects are reusable
// by A without carving anything new.
TEST_F(RemoteFreeMT, FreedRemotelyThenReusedByOwner) {
  constexpr int kN = 2000;
  std::vector<void*> objs(kN);
  hz3test::Barrier allocated(2), freed(2);        // A and B
  hz3test::Barrier parked(2), resume(2);          // A and main
  std::thread a([&] {
    for (int i = 0; i < kN; ++i) {
      objs[i] = hz3_malloc(128);
      memset(objs[i], i & 0xff, 128);
    }
    allocated.Wait();
    freed.Wait();
    hz3_debug_flush_thread();
    parked.Wait();  // main checks
    resume.Wait();
    // Every allocation now comes from xfer/central: no new carving.
    for (int i = 0; i < kN; ++i) objs[i] = hz3_malloc(128);
    hz3_debug_flush_thread();
    parked.Wait();  // main checks again
    resume.Wait();
    for (void* p : objs) hz3_free(p);
  });
  std::thread b([&] {
    allocated.Wait();
    for (int i = 0; i < kN; ++i) {
      EXPECT_EQ(static_cast<unsigned char*>(objs[i])[127], i & 0xff);
      hz3_free(objs[i]);  // remote
    }
    hz3_debug_flush_thread();
    freed.Wait();
  });
  parked.Wait();
  b.join();
  hz3_heap_report r;
  EXPECT_TRUE(HeapOk({}, &r));
  EXPECT_EQ(r.in_stash, 0u);
  EXPECT_GE(r.in_xfer + r.in_central, static_cast<size_t>(kN));
  const size_t carved_before = r.carved;
  resume.Wait();
  parked.Wait();
  EXPECT_TRUE(HeapOk(objs, &r));
  EXPECT_EQ(r.live, static_cast<size_t>(kN));
  EXPECT_EQ(r.carved, carved_before) << "remote-freed objects must be reused, not leaked";
  resume.Wait();
  a.join();
}

// A remote backlog of several carriers (carrier.h): the owner's refill
// unpacks a batch of it and keeps the other carriers in its thread cache's
// stock, unpacked a batch at a time by the next refills, ahead of central.
// Every object comes back exactly once, conservation holds while carriers
// wait in the stock, and a flush returns them to the shard's xfer.
// `flush_mid`: flush the thread while the stock holds carriers.
void CarrierBacklogComesBackThroughTheStock(bool flush_mid) {
  constexpr size_t kSize = 1536;
  const uint32_t sc = hz3::size_to_class(kSize);
  // A stash entry is pushed at flush_at objects, one carrier when they fit.
  const uint32_t per_flush = hz3::RemoteStash::flush_at(sc);
  ASSERT_EQ(per_flush, hz3::carrier_slots(sc) + 1) << "one carrier a flush, so the backlog is one carrier per flush";
  const int kCarriers = 4;
  const int kN = kCarriers * static_cast<int>(per_flush);
  std::vector<void*> objs(kN);
  for (void*& p : objs) p = hz3_malloc(kSize);
  hz3_debug_flush_thread();  // the refills' spare objects go to central: xfer comes first anyway
  std::thread b([&] {
    for (void* p : objs) hz3_free(p);  // remote: kCarriers full stash entries
    hz3_debug_flush_thread();
  });
  b.join();

  std::vector<void*> got;
  got.push_back(hz3_malloc(kSize));  // pops xfer whole, unpacks one carrier
  EXPECT_EQ(hz3::shelf_peek(hz3::t_cache->shelf, sc).carriers, static_cast<uint32_t>(kCarriers - 1));
  hz3_heap_report r;
  ASSERT_TRUE(HeapOk(got, &r)) << "objects in the stock are free and counted";
  EXPECT_EQ(r.in_tcache, static_cast<size_t>(kN - 1)) << "the bin's rest of the first carrier, and the stock";
  // The bin's objects first: hand them out, the stock stays as it is.
  while (hz3::t_cache->bins[sc].count) got.push_back(hz3_malloc(kSize));
  EXPECT_EQ(got.size(), static_cast<size_t>(per_flush));
  EXPECT_EQ(hz3::shelf_peek(hz3::t_cache->shelf, sc).carriers, static_cast<uint32_t>(kCarriers - 1));
  if (flush_mid) {
    hz3_debug_flush_thread();
    EXPECT_EQ(hz3::shelf_peek(hz3::t_cache->shelf, sc).head, nullptr);
    EXPECT_EQ(hz3::shelf_peek(hz3::t_cache->shelf, sc).carriers, 0u);
    ASSERT_TRUE(HeapOk(got, &r));
    EXPECT_EQ(r.in_tcache, 0u);
    EXPECT_GE(r.in_xfer, static_cast<size_t>((kCarriers - 1) * per_flush)) << "the stock goes back to xfer";
  }
  while (got.size() < objs.size()) got.push_back(hz3_malloc(kSize));
  EXPECT_EQ(hz3::shelf_peek(hz3::t_cache->shelf, sc).carriers, 0u);
  EXPECT_EQ(std::set<void*>(got.begin(), got.end()), std::set<void*>(objs.begin(), objs.end()))
      << "the backlog comes back whole, each object once, before central's";
  EXPECT_TRUE(HeapOk(got, &r));
  for (void* p : got) hz3_free(p);
}

TEST_F(RemoteFreeMT, CarrierBacklogComesBackThroughTheStock) { CarrierBacklogComesBackThroughTheStock(false); }
TEST_F(RemoteFreeMT, CarrierStockFlushedBackToXfer) { CarrierBacklogComesBackThroughTheStock(true); }

// One thread allocates (all sizes, some large), another frees, for a while.
TEST_F(RemoteFreeMT, ProducerConsumerMixedSizes) {
  std::mutex mu;
  std::deque<std::pair<void*, size_t>> q;
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> produced{0}, consumed{0}, corrupt{0};
  std::thread producer([&] {
    hz3test::Rng rng(11);
    auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(400);
    while (std::chrono::steady_clock::now() < end) {
      size_t n = hz3test::MixedSize(rng);
      void* p = hz3_malloc(n);
      if (!p) continue;
      if (n) static_cast<unsigned char*>(p)[n - 1] = static_cast<unsigned char>(n);
      {
        std::lock_guard<std::mutex> g(mu);
        q.push_back({p, n});
        if (q.size() > 4096) {  // do not run away from the consumer
          auto e = q.front();
          q.pop_front();
          hz3_free(e.first);
        }
      }
      ++produced;
    }
    stop = true;
  });
  std::thread consumer([&] {
    for (;;) {
      std::pair<void*, size_t> e{nullptr, 0};
      {
        std::lock_guard<std::mutex> g(mu);
        if (!q.empty()) {
          e = q.front();
          q.pop_front();
        }
      }
      if (!e.first) {
        if (stop) break;
        std::this_thread::yield();
        continue;
      }
      if (e.second && static_cast<unsigned char*>(e.first)[e.second - 1] != static_cast<unsigned char>(e.second))
        ++corrupt;
      hz3_free(e.first);
      ++consumed;
    }
  });
  producer.join();
  consumer.join();
  for (auto& e : q) hz3_free(e.first);
  EXPECT_EQ(corrupt.load(), 0u);
  EXPECT_GT(produced.load(), 1000u);
}

// Objects freed after their owner exited go to the (now unowned) shard's xfer;
// the next thread to claim that shard gets them back.
TEST_F(RemoteFreeMT, FreeAfterOwnerExitedThenShardReused) {
  constexpr int kN = 500;
  std::vector<void*> objs(kN);
  unsigned shard_a = 0;
  std::thread a([&] {
    shard_a = hz3_debug_current_shard();
    for (int i = 0; i < kN; ++i) objs[i] = hz3_malloc(512);
  });
  a.join();
  EXPECT_EQ(hz3_debug_shard_sharers(shard_a), 0u) << "an exited thread releases its shard";
  hz3_heap_report r;
  EXPECT_TRUE(HeapOk(objs, &r));
  for (void* p : objs) hz3_free(p);  // main frees remotely
  hz3_debug_flush_thread();
  ASSERT_TRUE(HeapOk({}, &r));
  const size_t carved = r.carved;
  std::set<void*> old(objs.begin(), objs.end());
  unsigned shard_c = 0;
  size_t from_old = 0;
  std::thread c([&] {
    shard_c = hz3_debug_current_shard();
    for (int i = 0; i < kN; ++i) {
      objs[i] = hz3_malloc(512);
      from_old += old.count(objs[i]);
    }
    for (void* p : objs) hz3_free(p);
  });
  c.join();
  EXPECT_EQ(shard_c, shard_a) << "the lowest free shard is claimed again";
  // The remote frees come first (xfer is popped before central); at most the
  // exited owner's last partial batch (flushed to central) may be mixed in.
  EXPECT_GE(from_old, static_cast<size_t>(kN) - hz3::class_batch(hz3::size_to_class(512)))
      << "the new owner reuses the remotely freed objects";
  ASSERT_TRUE(HeapOk({}, &r));
  EXPECT_EQ(r.carved, carved);
}

// Remote frees to many (owner, class) keys: the direct-mapped stash displaces
// and flushes entries; nothing may be lost on the way.
TEST_F(RemoteFreeMT, StashCollisionsAcrossOwnersAndClasses) {
  hz3test::PinBinBatches two;  // three reps a class fill a two-batch bin of the large classes
  constexpr int kOwners = 3;
  std::vector<std::vector<void*>> objs(kOwners);
  hz3test::Barrier allocated(kOwners + 1), done(kOwners + 1);
  std::vector<std::thread> owners;
  for (int o = 0; o < kOwners; ++o) {
    owners.emplace_back([&, o] {
      for (int rep = 0; rep < 3; ++rep)
        for (uint32_t sc = 0; sc < hz3::kNumClasses; ++sc) objs[o].push_back(hz3_malloc(hz3::class_size(sc)));
      allocated.Wait();
      done.Wait();  // alive: the frees below are remote
    });
  }
  allocated.Wait();
  std::vector<void*> live;
  for (auto& v : objs) live.insert(live.end(), v.begin(), v.end());
  hz3_heap_report r;
  ASSERT_TRUE(HeapOk(live, &r));
  // Free in an order that interleaves keys as much as possible.
  for (size_t i = 0; i < objs[0].size(); ++i)
    for (int o = 0; o < kOwners; ++o) hz3_free(objs[o][i]);
  ASSERT_TRUE(HeapOk({}, &r)) << "unflushed stash";
  EXPECT_GT(r.in_stash, 0u);
  hz3_debug_flush_thread();
  ASSERT_TRUE(HeapOk({}, &r));
  EXPECT_EQ(r.in_stash, 0u);
  done.Wait();
  for (auto& t : owners) t.join();
}

// Freeing toward one owner, every class keeps its own stash entry: no class
// displaces another (a displacement flushes a partial batch to xfer). One
// object of each class stays parked until the flush.
TEST_F(RemoteFreeMT, OneOwnersClassesNeverDisplaceEachOther) {
  std::vector<void*> objs;
  hz3test::Barrier allocated(2), done(2);
  std::thread owner([&] {
    for (uint32_t sc = 0; sc < hz3::kNumClasses; ++sc) objs.push_back(hz3_malloc(hz3::class_size(sc)));
    allocated.Wait();
    done.Wait();  // alive: the frees are remote
  });
  allocated.Wait();
  // Earlier tests in this process may have left objects in the xfer of shards
  // whose owners exited: count only what this test's frees add.
  hz3_heap_report before, r;
  ASSERT_TRUE(HeapOk(objs, &before));
  std::thread freer([&] {
    hz3test::RemoteFreesToStash();
    for (void* p : objs) hz3_free(p);
    ASSERT_TRUE(HeapOk({}, &r));
    EXPECT_EQ(r.in_stash, static_cast<size_t>(hz3::kNumClasses)) << "a class displaced another";
    EXPECT_EQ(r.in_xfer, before.in_xfer) << "a free reached xfer before the flush";
  });
  freer.join();
  done.Wait();
  owner.join();
}

// realloc of another thread's object: the copy is ours, the old one is a
// remote free to its owner.
TEST_F(RemoteFreeMT, ReallocOfAnotherThreadsObject) {
  std::vector<void*> objs;
  std::thread a([&] {
    for (size_t n : {size_t{24}, size_t{1000}, size_t{5000}, size_t{70000}}) {
      void* p = hz3_malloc(n);
      hz3test::Fill(p, n, static_cast<uint8_t>(n));
      objs.push_back(p);
    }
  });
  a.join();
  const size_t sizes[] = {24, 1000, 5000, 70000};
  for (size_t i = 0; i < objs.size(); ++i) {
    void* q = hz3_realloc(objs[i], sizes[i] * 3);
    ASSERT_NE(q, nullptr);
    EXPECT_TRUE(hz3test::Check(q, sizes[i], static_cast<uint8_t>(sizes[i])));
    objs[i] = q;
  }
  hz3_heap_report r;
  EXPECT_TRUE(HeapOk(objs, &r));
  for (void* p : objs) hz3_free(p);
}

TEST_F(RemoteFreeMT, LargeObjectsFreedOnAnotherThread) {
  std::vector<void*> big;
  std::thread a([&] {
    for (size_t n : {size_t{65537}, size_t{1} << 20, size_t{3} << 20, size_t{9} << 20}) {
      void* p = hz3_malloc(n);
      memset(p, 1, n);
      big.push_back(p);
    }
    void* al = hz3_memalign(size_t{8} << 20, 100);  // header below the granule
    big.push_back(al);
  });
  a.join();
  hz3_heap_report r;
  ASSERT_TRUE(HeapOk(big, &r));
  EXPECT_EQ(r.large_live, big.size());
  std::thread b([&] {
    for (void* p : big) hz3_free(p);
  });
  b.join();
  ASSERT_TRUE(HeapOk({}, &r));
  EXPECT_EQ(r.large_live, 0u);
}

}  // namespace
