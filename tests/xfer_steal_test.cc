// XferSteal (xfer_steal.h): a thread that would carve first takes another
// owner's xfer backlog, another thread's carrier stock (stock_shelf.h) or
// another owner's central list; the stolen objects keep their owner, and
// whatever of them the thief still holds goes home when its bin drains or
// flushes.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <thread>
#include <vector>

#include "hz3.h"
#include "hz3/config.h"
#include "hz3/remote_stash.h"
#include "hz3/segment.h"
#include "hz3/shard.h"
#include "hz3/size_class.h"
#include "hz3/stock_shelf.h"
#include "hz3/thread_cache.h"
#include "test_util.h"

using hz3test::HeapOk;

namespace {

constexpr size_t kSize = 128;

[[maybe_unused]] unsigned OwnerOf(const void* p) { return hz3::segment_of(p)->owner; }

// Who frees an IdleOwner's objects: another thread (remote: they wait in
// the owner's xfer), the owner itself before it parks (its bins drain and
// flush into its own central), or nobody (the test frees them).
enum class Frees { kRemote, kByOwner, kNone };

// Thread A allocates n objects of `size` and stays alive, parked, until
// released; `frees` says what becomes of the objects meanwhile.
class IdleOwner {
 public:
  explicit IdleOwner(size_t n, size_t size = kSize, Frees frees = Frees::kRemote) : objs_(n), size_(size) {
    owner_ = std::thread([this, frees] {
      for (void*& p : objs_) p = hz3_malloc(size_);
      if (frees == Frees::kByOwner)
        for (void* p : objs_) hz3_free(p);
      shard_ = hz3_debug_current_shard();
      hz3_debug_flush_thread();
      ready_.Wait();
      release_.Wait();
    });
    ready_.Wait();
    if (frees != Frees::kRemote) return;
    std::thread freer([this] {
      for (void* p : objs_) hz3_free(p);
      hz3_debug_flush_thread();
    });
    freer.join();
  }
  ~IdleOwner() {
    release_.Wait();
    owner_.join();
  }
  unsigned shard() const { return shard_; }
  const std::vector<void*>& objs() const { return objs_; }
  bool backlog_waiting() const {
    return hz3::shard_at(static_cast<uint16_t>(shard_)).xfer[hz3::size_to_class(size_)].pending();
  }

 private:
  std::vector<void*> objs_;
  size_t size_;
  unsigned shard_ = 0;
  hz3test::Barrier ready_{2}, release_{2};
  std::thread owner_;
};

// How many of `objs` belong to `shard`.
[[maybe_unused]] size_t CountOwnedBy(const std::vector<void*>& objs, unsigned shard) {
  return static_cast<size_t>(std::count_if(objs.begin(), objs.end(), [&](void* p) { return OwnerOf(p) == shard; }));
}

#if HZ3_XFER_STEAL

using XferStealMT = hz3test::HeapNeutralTest;

// A fresh thread's mallocs come out of the idle owner's backlog: nothing is
// carved, every object is the idle owner's, and freeing them sends them home.
TEST_F(XferStealMT, IdleOwnersBacklogServesAnotherThreadBeforeCarving) {
  IdleOwner a(2000);
  hz3_heap_report before;
  ASSERT_TRUE(HeapOk({}, &before));
  // The mutex xfer holds 8 batches and overflows the rest into central: what
  // xfer holds is still far more than 300.
  ASSERT_GE(before.in_xfer + before.in_central, 2000u);
  ASSERT_GE(before.in_xfer, 600u);
  std::thread thief([&] {
    const unsigned me = hz3_debug_current_shard();
    std::vector<void*> got(300);
    for (void*& p : got) p = hz3_malloc(kSize);
    size_t own = 0;
    for (void* p : got) own += OwnerOf(p) == me;
    EXPECT_EQ(own, 0u) << "the thief carved instead of stealing";
    hz3_heap_report r;
    EXPECT_TRUE(HeapOk(got, &r));
    EXPECT_EQ(r.carved, before.carved) << "a steal must replace carving";
    EXPECT_LT(r.in_xfer, before.in_xfer);
    for (void* p : got) hz3_free(p);  // remote: home to their owner
  });
  thief.join();
  hz3_heap_report after;
  EXPECT_TRUE(HeapOk({}, &after));  // boxes hold only their own shard's objects
  EXPECT_EQ(after.carved, before.carved);
}

// The whole backlog serves before a page is carved. With the mutex forms
// most of it overflowed from xfer into the owner's central, which is then
// stolen too (xfer_steal.h); lock-free, it is all in xfer.
TEST_F(XferStealMT, WholeBacklogServesBeforeCarving) {
  constexpr size_t kWholeSize = 112;  // a class no other test here uses
  constexpr size_t kN = 2000;
  IdleOwner a(kN, kWholeSize);
  hz3_heap_report before;
  ASSERT_TRUE(HeapOk({}, &before));
  // The heap report counts every class; the test's threads left a few
  // objects of others in the boxes.
  const size_t boxed = before.in_xfer + before.in_central;
  ASSERT_GE(boxed, kN);
  if (!hz3::kCentralLockFree) ASSERT_GT(before.in_central, 0u) << "expected the mutex xfer to overflow";
  std::thread thief([&] {
    std::vector<void*> got(kN);
    for (void*& p : got) p = hz3_malloc(kWholeSize);
    EXPECT_EQ(CountOwnedBy(got, a.shard()), kN) << "a page was carved while the owner's backlog still held objects";
    hz3_heap_report r;
    EXPECT_TRUE(HeapOk(got, &r));
    EXPECT_EQ(r.carved, before.carved);
    EXPECT_LE(r.in_xfer + r.in_central, boxed - kN);
    for (void* p : got) hz3_free(p);  // remote: home to their owner
  });
  thief.join();
  hz3_heap_report after;
  EXPECT_TRUE(HeapOk({}, &after));
  EXPECT_EQ(after.carved, before.carved);
  EXPECT_GE(after.in_xfer + after.in_central, kN) << "home, to the owner's boxes";
}

// A backlog under kStealMinCarriers is left to its owner: the other thread
// carves. (A class no other test here uses: a shard number is reused by the
// next test's thread, with whatever its xfer still holds.)
TEST_F(XferStealMT, ShortBacklogIsLeftToItsOwner) {
  constexpr size_t kOtherSize = 320;
  IdleOwner a(3, kOtherSize);  // three objects: one carrier
  ASSERT_TRUE(a.backlog_waiting());
  std::thread other([&] {
    const unsigned me = hz3_debug_current_shard();
    void* p = hz3_malloc(kOtherSize);
    EXPECT_NE(OwnerOf(p), a.shard());
    EXPECT_EQ(OwnerOf(p), me);
    hz3_free(p);
  });
  other.join();
  EXPECT_TRUE(a.backlog_waiting()) << "a one-carrier backlog was stolen";
}

// An idle owner's central serves another thread before it carves
// (central_steal, in every form of central): nothing is carved, every object
// is the idle owner's, and freeing them sends them home.
TEST_F(XferStealMT, IdleOwnersCentralServesAnotherThreadBeforeCarving) {
  constexpr size_t kCentralSize = 96;  // a class no other test here uses
  constexpr size_t kN = 1000;
  IdleOwner a(kN, kCentralSize, Frees::kByOwner);
  hz3_heap_report before;
  ASSERT_TRUE(HeapOk({}, &before));
  ASSERT_GE(before.in_central, kN) << "the owner's frees should wait in its central";
  std::thread thief([&] {
    std::vector<void*> got(kN / 2);
    got[0] = hz3_malloc(kCentralSize);
    // The steal takes the whole list, except from a mutex central when
    // shards are shared (config.h kShardsShared): then 8 batches at most.
    const uint32_t sc = hz3::size_to_class(kCentralSize);
    const uint32_t in_bin = hz3::t_cache->bins[sc].count;
    if (hz3::kShardsShared && !hz3::kCentralLockFree)
      EXPECT_LT(in_bin, hz3::kSharedRefillBatches * hz3::class_batch(sc));
    else
      EXPECT_GE(in_bin, kN - 1) << "the steal should take the whole central list";
    for (size_t i = 1; i < got.size(); ++i) got[i] = hz3_malloc(kCentralSize);
    EXPECT_EQ(CountOwnedBy(got, a.shard()), got.size()) << "a page was carved while an idle owner's central held the class";
    hz3_heap_report r;
    EXPECT_TRUE(HeapOk(got, &r));
    EXPECT_EQ(r.carved, before.carved);
    for (void* p : got) hz3_free(p);  // remote: home to their owner
  });
  thief.join();
  hz3_heap_report after;
  EXPECT_TRUE(HeapOk({}, &after));
  EXPECT_EQ(after.carved, before.carved);
}

// A central list shorter than kStealMinCarriers batches stays its owner's.
TEST_F(XferStealMT, ShortCentralIsLeftToItsOwner) {
  constexpr size_t kShortSize = 352;  // a class no other test here uses
  IdleOwner a(3, kShortSize, Frees::kByOwner);
  const uint32_t sc = hz3::size_to_class(kShortSize);
  ASSERT_TRUE(hz3::shard_at(static_cast<uint16_t>(a.shard())).central[sc].pending());
  std::thread other([&] {
    void* p = hz3_malloc(kShortSize);
    EXPECT_NE(OwnerOf(p), a.shard());
    hz3_free(p);
  });
  other.join();
  EXPECT_TRUE(hz3::shard_at(static_cast<uint16_t>(a.shard())).central[sc].pending())
      << "a three-object central was stolen";
}

// What the thief has not handed out (in its bin and its carrier stock) goes
// back to the owner's xfer when the thief flushes, and when it exits; the
// heap check's box walk refuses an object in another shard's box.
TEST_F(XferStealMT, StolenObjectsGoHomeOnFlushAndExit) {
  IdleOwner a(2000);
  const uint32_t sc = hz3::size_to_class(kSize);
  std::thread thief([&] {
    void* p = hz3_malloc(kSize);
    EXPECT_EQ(OwnerOf(p), a.shard());
    hz3::ThreadCache* tc = hz3::t_cache;
    EXPECT_GT(tc->bins[sc].count, 0u);
    const void* stocked = hz3::shelf_peek(tc->shelf, sc).head;
    EXPECT_NE(stocked, nullptr) << "2000 objects should leave carriers in the stock";
    if (stocked) EXPECT_EQ(OwnerOf(stocked), a.shard());
    EXPECT_FALSE(a.backlog_waiting());
    hz3_debug_flush_thread();
    EXPECT_EQ(tc->bins[sc].count, 0u);
    EXPECT_EQ(hz3::shelf_peek(tc->shelf, sc).head, nullptr);
    EXPECT_TRUE(a.backlog_waiting());
    EXPECT_TRUE(HeapOk({p}));
    void* q = hz3_malloc(kSize);  // steals again, then exits holding it all
    EXPECT_EQ(OwnerOf(q), a.shard());
    hz3_free(p);
    hz3_free(q);
  });
  thief.join();
  EXPECT_TRUE(a.backlog_waiting());
  EXPECT_TRUE(HeapOk({}));
}

// The calling thread flushes: its bins, stock and stash empty, and n more
// objects than at `before` wait in xfer (the foreign ones, home to their
// owner's).
void FlushAndExpectHome(const hz3_heap_report& before, size_t n) {
  hz3_debug_flush_thread();
  hz3_heap_report after;
  ASSERT_TRUE(HeapOk({}, &after));
  EXPECT_EQ(after.in_tcache, 0u);
  EXPECT_EQ(after.in_stash, 0u);
  EXPECT_EQ(after.in_xfer - before.in_xfer, n) << "home, to the owner's xfer";
}

// With no backlog to steal, a thread about to carve reuses its own outgoing
// frees of the class, still in its stash (stash_take): nothing is carved, the
// objects keep their owner, and they go home when freed and flushed. (A class
// no other test here uses, so no other shard's xfer has a backlog of it.)
TEST_F(XferStealMT, OwnStashServesTheClassBeforeCarving) {
  constexpr size_t kStashSize = 192;
  const uint32_t sc = hz3::size_to_class(kStashSize);
  IdleOwner a(10, kStashSize, Frees::kNone);  // alive throughout: the frees below are remote
  const std::vector<void*>& objs = a.objs();
  ASSERT_LT(objs.size(), hz3::RemoteStash::flush_at(sc)) << "they must stay stashed";
  std::thread other([&] {
    hz3test::RemoteFreesToStash();
    for (void* p : objs) hz3_free(p);
    hz3_heap_report before;
    ASSERT_TRUE(HeapOk({}, &before));
    EXPECT_EQ(before.in_stash, objs.size());
    void* p = hz3_malloc(kStashSize);
    EXPECT_EQ(OwnerOf(p), a.shard()) << "a page was carved while the stash held the class";
    EXPECT_NE(std::find(objs.begin(), objs.end(), p), objs.end());
    hz3_heap_report r;
    EXPECT_TRUE(HeapOk({p}, &r));
    EXPECT_EQ(r.carved, before.carved);
    EXPECT_EQ(r.in_stash, 0u) << "the entry should have left the stash whole";
    EXPECT_EQ(r.in_tcache, before.in_tcache + objs.size() - 1);
    hz3_free(p);  // remote again: into the bin, which the refill gave room
    FlushAndExpectHome(before, objs.size());  // the whole bin goes home
  });
  other.join();
}

// A remote free finding room in the freeing thread's bin of the class stays
// there (free_remote_slow): no stash entry, the next malloc of the class
// hands the last one out again, it keeps its owner, and the flush sends it
// home through the stash to its owner's xfer.
TEST_F(XferStealMT, RemoteFreeIntoABinWithRoomIsReusedHere) {
  constexpr size_t kBinSize = 160;  // a class no other test here uses
  const uint32_t sc = hz3::size_to_class(kBinSize);
  IdleOwner a(3, kBinSize, Frees::kNone);  // alive throughout: the frees below are remote
  const std::vector<void*>& objs = a.objs();
  std::thread other([&] {
    hz3_free(hz3_malloc(kBinSize));  // the class's bin, set up: one refill's batch in it
    const hz3::Bin& bin = hz3::t_cache->bins[sc];
    ASSERT_LE(bin.count + objs.size(), bin.cap) << "the test needs room for every object";
    const uint32_t count0 = bin.count;
    hz3_heap_report before;
    ASSERT_TRUE(HeapOk(objs, &before));
    for (void* p : objs) hz3_free(p);
    EXPECT_EQ(bin.count, count0 + objs.size());
    hz3_heap_report r;
    ASSERT_TRUE(HeapOk({}, &r));
    EXPECT_EQ(r.in_stash, before.in_stash) << "a remote free went to the stash while the bin had room";
    EXPECT_EQ(r.in_tcache, before.in_tcache + objs.size());
    void* q = hz3_malloc(kBinSize);
    EXPECT_EQ(q, objs.back()) << "the bin hands out the object freed last";
    EXPECT_EQ(OwnerOf(q), a.shard()) << "it keeps its owner";
    hz3_free(q);
    FlushAndExpectHome(before, objs.size());
  });
  other.join();
}

// A full bin sends a remote free home at once: the objects that found room
// stay in the bin, the rest go to the stash entry toward their owner.
TEST_F(XferStealMT, RemoteFreeIntoAFullBinGoesToTheStash) {
  hz3test::PinBinBatches two;  // the bin's room: the class cap
  constexpr size_t kFullSize = 448;  // a class no other test here uses
  const uint32_t sc = hz3::size_to_class(kFullSize);
  IdleOwner a(hz3::class_cap(sc) + 4, kFullSize, Frees::kNone);
  const std::vector<void*>& objs = a.objs();
  std::thread other([&] {
    hz3_free(hz3_malloc(kFullSize));
    const hz3::Bin& bin = hz3::t_cache->bins[sc];
    const size_t room = bin.cap - bin.count;
    ASSERT_LT(room, objs.size());
    ASSERT_LT(objs.size() - room, hz3::RemoteStash::flush_at(sc)) << "the stashed ones must stay stashed";
    hz3_heap_report before;
    ASSERT_TRUE(HeapOk(objs, &before));
    for (void* p : objs) hz3_free(p);
    EXPECT_EQ(bin.count, bin.cap);
    hz3_heap_report r;
    ASSERT_TRUE(HeapOk({}, &r));
    EXPECT_EQ(r.in_tcache, before.in_tcache + room);
    EXPECT_EQ(r.in_stash, before.in_stash + objs.size() - room);
    FlushAndExpectHome(before, objs.size());
  });
  other.join();
}

// Which comes first, the stash or the thread's own xfer (stash_first): a
// thread whose own objects wait in its xfer frees objects of the same class
// owned by `owners` idle threads (stash entries, one per owner), then
// mallocs once. Returns the owner of what it got and whether its own backlog
// is still in its box.
struct RefillPick {
  unsigned owner_got = 0;
  unsigned me = 0;
  bool from_stash = false;
  bool own_backlog_left = false;
};
RefillPick RefillWithStashAndOwnXfer(size_t size, unsigned owners) {
  const uint32_t sc = hz3::size_to_class(size);
  std::vector<std::unique_ptr<IdleOwner>> idle;
  std::vector<void*> foreign;
  for (unsigned i = 0; i < owners; ++i) {
    idle.push_back(std::make_unique<IdleOwner>(5, size, Frees::kNone));
    foreign.insert(foreign.end(), idle.back()->objs().begin(), idle.back()->objs().end());
  }
  RefillPick pick;
  std::thread other([&] {
    hz3::ThreadCache* tc = nullptr;
    std::vector<void*> own;
    // Empty the class's bin (and any stock a recycled shard's backlog left),
    // so the next malloc refills.
    do {
      own.push_back(hz3_malloc(size));
      tc = hz3::t_cache;
    } while (own.size() < 10000 &&
             (tc->bins[sc].count || tc->stock[sc].head || hz3::shelf_peek(tc->shelf, sc).head));
    ASSERT_EQ(tc->bins[sc].count, 0u);
    const uint16_t me = tc->shard;
    std::thread freer([&] {  // own objects, freed remotely: home, to this thread's xfer
      for (void* p : own) hz3_free(p);
      hz3_debug_flush_thread();
    });
    freer.join();
    ASSERT_TRUE(hz3::shard_at(me).xfer[sc].pending());
    hz3test::RemoteFreesToStash();  // the class's bin is empty: its cap becomes 0
    for (void* p : foreign) hz3_free(p);  // remote: into the stash, one entry per owner
    ASSERT_EQ(tc->stash.in_class[sc], owners);
    void* p = hz3_malloc(size);
    pick.me = me;
    pick.owner_got = OwnerOf(p);
    pick.from_stash = std::find(foreign.begin(), foreign.end(), p) != foreign.end();
    pick.own_backlog_left = hz3::shard_at(me).xfer[sc].pending();
    hz3_free(p);
    hz3_debug_flush_thread();
  });
  other.join();
  return pick;
}

// Entries for kStashFirstOwners owners: the stash comes first, the own
// backlog stays in the box.
static_assert(hz3::kStashFirstOwners > 1, "StashOfOneOwnerWaitsBehindOwnXfer needs it");
TEST_F(XferStealMT, StashOfSeveralOwnersServesBeforeOwnXfer) {
  const RefillPick pick = RefillWithStashAndOwnXfer(256, hz3::kStashFirstOwners);  // a class no other test here uses
  EXPECT_TRUE(pick.from_stash) << "the refill took its own xfer (owner " << pick.owner_got << ") before its stash";
  EXPECT_NE(pick.owner_got, pick.me);
  EXPECT_TRUE(pick.own_backlog_left) << "its own backlog should have stayed in the box";
}

// An entry for one owner: the thread's own returned objects come first, the
// entry waits to flush whole.
TEST_F(XferStealMT, StashOfOneOwnerWaitsBehindOwnXfer) {
  const RefillPick pick = RefillWithStashAndOwnXfer(384, 1);  // a class no other test here uses
  EXPECT_FALSE(pick.from_stash) << "the refill took the stash before its own xfer";
  EXPECT_EQ(pick.owner_got, pick.me);
}

// A thread that took a backlog keeps what it did not unpack as its stock,
// on its shelf (stock_shelf.h). While it waits (descheduled, here parked), a
// third thread about to carve takes that stock: nothing is carved, the
// objects keep their owner, and they go home when freed.
TEST_F(XferStealMT, ParkedThreadsStockServesAnotherBeforeCarving) {
  constexpr size_t kShelfSize = 224;  // a class no other test here uses
  const uint32_t sc = hz3::size_to_class(kShelfSize);
  IdleOwner a(2000, kShelfSize);
  hz3test::Barrier stocked(2), release(2);
  const hz3::StockShelf* shelf = nullptr;
  void* held = nullptr;
  std::thread holder([&] {
    held = hz3_malloc(kShelfSize);  // takes the owner's backlog: one batch unpacked, the rest stocked
    shelf = &hz3::t_cache->shelf;
    stocked.Wait();
    release.Wait();
    hz3_free(held);
  });
  stocked.Wait();
  EXPECT_EQ(OwnerOf(held), a.shard());
  EXPECT_FALSE(a.backlog_waiting()) << "the holder should have taken the owner's whole backlog";
  const uint32_t on_shelf = hz3::shelf_peek(*shelf, sc).carriers;
  EXPECT_GT(on_shelf, 10u) << "2000 objects should leave dozens of carriers on the holder's shelf";
  hz3_heap_report before;
  ASSERT_TRUE(HeapOk({held}, &before));
  std::thread taker([&] {
    std::vector<void*> got(200);
    for (void*& p : got) p = hz3_malloc(kShelfSize);
    EXPECT_EQ(CountOwnedBy(got, a.shard()), got.size()) << "a page was carved while another thread's stock held the class";
    // (With the mutex forms most of the backlog overflowed into the owner's
    // central, which the xfer steal takes first: the shelf may still hold.)
    if (hz3::kCentralLockFree)
      EXPECT_EQ(hz3::shelf_peek(*shelf, sc).head, nullptr) << "the holder's stock should have been taken whole";
    std::vector<void*> live = got;
    live.push_back(held);
    hz3_heap_report r;
    EXPECT_TRUE(HeapOk(live, &r));
    EXPECT_EQ(r.carved, before.carved);
    for (void* p : got) hz3_free(p);  // remote: home to their owner
  });
  taker.join();
  release.Wait();
  holder.join();
  hz3_heap_report after;
  EXPECT_TRUE(HeapOk({}, &after));
  EXPECT_EQ(after.carved, before.carved);
}

#endif  // HZ3_XFER_STEAL

// bin_take_own splits objects leaving a bin: the thread's own come back as a
// list in order, the others go to their owners' stash entries. Built here
// from a list of three own and two foreign objects.
TEST(XferStealBin, TakeOwnKeepsOwnAndStashesForeign) {
  // A class no other test here uses: their backlogs, left in the boxes of
  // shards now released, would be stolen by the mallocs below.
  constexpr size_t kTakeSize = 80;
  hz3_debug_flush_thread();
  const uint32_t sc = hz3::size_to_class(kTakeSize);
  void* foreign[2];
  unsigned other = 0;
  hz3test::Barrier made(2), done(2);
  std::thread owner([&] {  // alive until the end, so its objects stay foreign
    for (void*& p : foreign) p = hz3_malloc(kTakeSize);
    other = hz3_debug_current_shard();
    made.Wait();
    done.Wait();
  });
  // Releases and joins the owner however the test leaves, so a failed ASSERT
  // below reports instead of destroying a joinable thread.
  struct Release {
    hz3test::Barrier& done;
    std::thread& t;
    ~Release() {
      done.Wait();
      t.join();
    }
  } release{done, owner};
  made.Wait();
  void* own[3];
  for (void*& p : own) p = hz3_malloc(kTakeSize);
  void* order[5] = {own[0], foreign[0], own[1], foreign[1], own[2]};
  for (int i = 0; i < 4; ++i) hz3::set_next(order[i], order[i + 1]);
  hz3::set_next(order[4], nullptr);
  hz3::ThreadCache* tc = hz3::t_cache;
  const hz3::StashEntry& entry =
      tc->stash.e[hz3::RemoteStash::slot_of(hz3::RemoteStash::key_of(static_cast<uint16_t>(other), sc))];
  const uint32_t stashed_before = entry.n;

  void* list = order[0];
  hz3::Batch first = hz3::bin_take_own(tc, sc, list, 4);  // own0, foreign0, own1, foreign1
  EXPECT_EQ(list, own[2]);
  if (hz3::kXferSteal) {
    ASSERT_EQ(first.n, 2u);
    EXPECT_EQ(first.head, own[0]);
    EXPECT_EQ(hz3::next_of(own[0]), own[1]);
    EXPECT_EQ(first.tail, own[1]);
    EXPECT_EQ(hz3::next_of(own[1]), nullptr);
    EXPECT_EQ(entry.n, stashed_before + 2) << "the foreign objects should wait in the stash for their owner";
  } else {
    EXPECT_EQ(first.n, 4u);  // no steal: a bin never holds foreign objects, nothing is looked at
  }
  hz3::Batch last = hz3::bin_take_own(tc, sc, list, 1);
  EXPECT_EQ(last.n, 1u);
  EXPECT_EQ(last.head, own[2]);
  EXPECT_EQ(list, nullptr);

  if (hz3::kXferSteal) {
    // Put the own objects back as frees would, then check conservation.
    hz3::Bin& b = tc->bins[sc];
    hz3::set_next(last.tail, b.head);
    hz3::set_next(first.tail, last.head);
    b.head = first.head;
    b.count += 3;
    hz3_debug_flush_thread();
    EXPECT_TRUE(HeapOk({}));
  } else {
    for (void* p : order) hz3_free(p);  // they were never free: free them now
  }
}

}  // namespace
