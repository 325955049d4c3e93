// Fail-fast checks: each violation must abort with its exact one-line report
//   hz3: FAILFAST <check> where=<box> shard=<s> sc=<c> ptr=<p> <detail>
// Checks that are compiled in only by some flags are tested under the same
// #if; the box-level checks are template parameters, so they are tested in
// every build by instantiating the checked forms directly.
#include <gtest/gtest.h>

#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "hz3.h"
#include "hz3/carrier.h"
#include "hz3/config.h"
#include "hz3/list_failfast.h"
#include "hz3/mpsc_lockfree.h"
#include "hz3/mpsc_mutex.h"
#include "hz3/remote_stash.h"
#include "hz3/shard.h"
#include "hz3/size_class.h"
#include "hz3/thread_cache.h"
#include "hz3/xfer_steal.h"
#include "test_util.h"

using namespace hz3;

namespace {

// Under TSan every death test uses the threadsafe style (the child is a fresh
// exec, spawned with clone(), so no pthread_atfork handler runs). With the
// fast style, fork() runs hz3's fork_prepare, which holds every shard's
// OwnerExcl mutex at once (HZ3_NUM_SHARDS + 4 locks, more in mutex-box
// lanes); TSan's deadlock detector tracks at most 64 held locks per thread,
// CHECK-fails, and then hangs while printing that report. The tsan test
// preset now sets detect_deadlocks=0 for the same reason; this keeps the
// death tests independent of that option (e.g. when run by hand).
class TsanDeathStyle : public ::testing::Environment {
 public:
  void SetUp() override {
    if (HZ3_TEST_TSAN) GTEST_FLAG_SET(death_test_style, "threadsafe");
  }
};
const auto* const kTsanDeathStyle = ::testing::AddGlobalTestEnvironment(new TsanDeathStyle);

using LockFreeBox = LockFreeMpscList<LockFreeChecks{.consumer_token = true, .structure = true}>;
using SlotsBox = MutexSlots<SlotsChecks{.structure = true}>;

const BoxCtx kXfer{5, 9, "xfer"};

#define HEX "0x[0-9a-f]+"

struct alignas(16) Node {
  void* next = nullptr;
  uint64_t pad = 0;
};

// ---- MPSC box checks (S142 and xfer structure) -------------------------------

TEST(MpscDeath, SecondConsumer) {
  EXPECT_DEATH(
      {
        LockFreeBox box;
        Node n;
        box.push(kXfer, &n, &n, 1);
        box.debug_hold_consumer_token();  // a consumer is "inside" pop
        Batch b;
        box.pop(kXfer, 1, b);
      },
      "hz3: FAILFAST mpsc_second_consumer where=xfer shard=5 sc=9 ptr=0x0 form=lockfree another "
      "consumer is inside pop \\(MPSC violated\\)");
}

TEST(MpscDeath, PushSelfLink) {
  EXPECT_DEATH(
      {
        LockFreeBox box;
        Node a;
        Node b;
        box.push(kXfer, &a, &a, 1);
        box.push(kXfer, &b, &b, 1);
        box.push(kXfer, &b, &b, 1);  // b is the published head: b would link to itself
      },
      "hz3: FAILFAST mpsc_push_self_link where=xfer shard=5 sc=9 ptr=" HEX " form=lockfree tail=" HEX
      " old_head=" HEX);
}

TEST(MpscDeath, PushTailThatIsHead) {
  // A batch whose tail is the current head (a list reused after it was pushed).
  EXPECT_DEATH(
      {
        LockFreeBox box;
        Node a;
        Node b;
        box.push(kXfer, &a, &a, 1);
        b.next = &a;
        box.push(kXfer, &b, &a, 2);
      },
      "hz3: FAILFAST mpsc_push_self_link where=xfer shard=5 sc=9 ptr=" HEX " form=lockfree");
}

TEST(MpscDeath, PushEmpty) {
  EXPECT_DEATH(
      {
        LockFreeBox box;
        box.push(kXfer, nullptr, nullptr, 0);
      },
      "hz3: FAILFAST mpsc_push_empty where=xfer shard=5 sc=9 ptr=0x0 form=lockfree tail=0x0 n=0");
  EXPECT_DEATH(
      {
        LockFreeBox box;
        Node a;
        box.push(kXfer, &a, &a, 0);
      },
      "hz3: FAILFAST mpsc_push_empty where=xfer shard=5 sc=9 ptr=" HEX " form=lockfree tail=" HEX " n=0");
}

TEST(MpscDeath, XferStructEmptyUsedSlot) {
  EXPECT_DEATH(
      {
        SlotsBox box;
        box.debug_set_slot(0, Batch{}, 1);  // slot 0 counted as used but empty
        Node a;
        box.push(kXfer, &a, &a, 1);
      },
      "hz3: FAILFAST xfer_struct where=xfer shard=5 sc=9 ptr=0x0 op=push slot=0 used=1 tail=0x0 n=0");
}

TEST(MpscDeath, XferStructUsedBeyondCapacity) {
  EXPECT_DEATH(
      {
        SlotsBox box;
        Node a;
        box.debug_set_slot(0, Batch{&a, &a, 1}, 9);
        Batch b;
        box.pop(kXfer, 1, b);
      },
      "hz3: FAILFAST xfer_struct where=xfer shard=5 sc=9 ptr=0x0 op=pop used=9 capacity=8");
}

TEST(MpscDeath, XferStructStaleUnusedSlot) {
  EXPECT_DEATH(
      {
        SlotsBox box;
        Node a;
        box.debug_set_slot(3, Batch{&a, &a, 1}, 0);  // an unused slot still holds a batch
        Batch b;
        box.pop(kXfer, 1, b);
      },
      "hz3: FAILFAST xfer_struct where=xfer shard=5 sc=9 ptr=" HEX " op=pop slot=3 used=0 tail=" HEX " n=1");
}

// ---- list checks on real hz3 objects ----------------------------------------

class ListDeath : public ::testing::Test {
 protected:
  static constexpr size_t kSize = 64;
  void SetUp() override {
    for (auto& p : obj) p = hz3_malloc(kSize);
    shard = static_cast<int>(hz3_debug_current_shard());
    sc = static_cast<int>(size_to_class(kSize));
    ctx = BoxCtx{static_cast<uint16_t>(shard), static_cast<uint16_t>(sc), "central"};
    prefix = "hz3: FAILFAST ";
  }
  void TearDown() override {
    for (void* p : obj) hz3_free(p);
  }
  // a -> b -> ... (n objects), last -> nullptr
  void Chain(int n) {
    for (int i = 0; i < n; ++i) *static_cast<void**>(obj[i]) = i + 1 < n ? obj[i + 1] : nullptr;
  }
  std::string Where() const {
    return " where=central shard=" + std::to_string(shard) + " sc=" + std::to_string(sc) + " ptr=";
  }
  void* obj[4];
  int shard = 0, sc = 0;
  BoxCtx ctx{};
  std::string prefix;
};

// The short forms (bin_pop_check's object_ok, free_check's segment_object_ok)
// must accept exactly what object_defect accepts:
// every 8-byte offset of a live object's page and of the segment header, the
// start of a page not handed out yet, in the right and wrong class and
// shard, plus foreign, null and misaligned.
TEST(ObjectCheck, ShortFormAgreesWithObjectDefect) {
  const uint16_t me = static_cast<uint16_t>(hz3_debug_current_shard());
  alignas(16) static char foreign[64];
  for (size_t size : {16, 48, 720, 2048, 20000, 65536}) {
    void* obj = hz3_malloc(size);
    const uint32_t sc = size_to_class(size);
    char* page = reinterpret_cast<char*>(reinterpret_cast<uintptr_t>(obj) & ~(kPageSize - 1));
    char* seg = reinterpret_cast<char*>(segment_of(obj));
    std::vector<const void*> ptrs = {nullptr, foreign, foreign + 8, static_cast<char*>(obj) + 1};
    for (size_t off = 0; off < kPageSize; off += 8) ptrs.push_back(page + off);
    for (size_t off = 0; off < 4096; off += 8) ptrs.push_back(seg + off);
    // A page not handed out yet, if the segment has one: the short forms rely
    // on its class being kNoClass (list_failfast.h).
    const unsigned fresh = reinterpret_cast<Segment*>(seg)->next_page.load();
    if (fresh < kPagesPerSegment)
      for (size_t off = 0; off < 4096; off += 16) ptrs.push_back(seg + fresh * kPageSize + off);
    size_t accepted = 0;
    for (const void* p : ptrs)
      for (uint16_t owner : {me, static_cast<uint16_t>(me + 1)})
        for (uint32_t c : {sc, sc + 1 < kNumClasses ? sc + 1 : sc - 1}) {
          bool ok = object_ok(p, owner, c);
          ASSERT_EQ(ok, object_defect(p, owner, static_cast<int>(c)) == nullptr)
              << "size=" << size << " p=" << p << " owner=" << owner << " sc=" << c;
          accepted += ok;
        }
    // free()'s form, for pointers free_fast has routed to a segment granule.
    for (const void* p : ptrs)
      if (granule_kind(p) == GranuleKind::kSegment)
        ASSERT_EQ(segment_object_ok(p), object_defect(p, -1, -1) == nullptr) << "size=" << size << " p=" << p;
    EXPECT_GT(accepted, 0u) << "size=" << size << ": no pointer accepted, the comparison proves nothing";
    hz3_free(obj);
  }
}

TEST_F(ListDeath, ValidListPasses) {
  Chain(4);
  list_check(ctx, obj[0], obj[3], 4);  // must return
  SUCCEED();
}

TEST_F(ListDeath, Empty) {
  EXPECT_DEATH(list_check(ctx, nullptr, nullptr, 0), prefix + "list_empty" + Where() + "0x0 tail=0x0 n=0");
  Chain(1);
  EXPECT_DEATH(list_check(ctx, obj[0], obj[0], 0), prefix + "list_empty" + Where() + HEX " tail=" HEX " n=0");
}

TEST_F(ListDeath, Short) {
  Chain(2);
  EXPECT_DEATH(list_check(ctx, obj[0], obj[1], 3), prefix + "list_short" + Where() + HEX " n=3 ended_after=2");
}

TEST_F(ListDeath, TailMismatch) {
  Chain(3);
  EXPECT_DEATH(list_check(ctx, obj[0], obj[2], 2),
               prefix + "list_tail_mismatch" + Where() + HEX " tail=" HEX " node_n=" HEX " n=2");
}

TEST_F(ListDeath, TailNextCycle) {
  Chain(2);
  *static_cast<void**>(obj[1]) = obj[0];  // a -> b -> a
  EXPECT_DEATH(list_check(ctx, obj[0], obj[1], 2),
               prefix + "list_tail_next" + Where() + HEX " next=" HEX " n=2 \\(longer list, cycle or count too small\\)");
}

TEST_F(ListDeath, TailNextCountTooSmall) {
  Chain(3);
  EXPECT_DEATH(list_check(ctx, obj[0], obj[1], 2),
               prefix + "list_tail_next" + Where() + HEX " next=" HEX " n=2");
}

// A null tail (a whole list handed over unwalked) is checked by its count and
// its null end.
TEST_F(ListDeath, NullTailCountTooSmall) {
  Chain(3);
  list_check(ctx, obj[0], nullptr, 3);  // must return
  EXPECT_DEATH(list_check(ctx, obj[0], nullptr, 2),
               prefix + "list_tail_next" + Where() + HEX " next=" HEX " n=2");
  EXPECT_DEATH(list_check(ctx, obj[0], nullptr, 4), prefix + "list_short" + Where() + HEX " n=4 ended_after=3");
}

TEST_F(ListDeath, BadNodeNotOurs) {
  alignas(16) void* stack_obj[2] = {nullptr, nullptr};
  EXPECT_DEATH(list_check(ctx, stack_obj, stack_obj, 1),
               prefix + "list_bad_node" + Where() + HEX " reason=not_ours index=0 n=1");
  // A foreign node in the middle of an otherwise good list.
  Chain(2);
  *static_cast<void**>(obj[1]) = stack_obj;
  EXPECT_DEATH(list_check(ctx, obj[0], stack_obj, 3),
               prefix + "list_bad_node" + Where() + HEX " reason=not_ours index=2 n=3");
}

TEST_F(ListDeath, BadNodeWrongClass) {
  void* other = hz3_malloc(kSize * 4);
  *static_cast<void**>(other) = nullptr;
  Chain(1);
  *static_cast<void**>(obj[0]) = other;
  EXPECT_DEATH(list_check(ctx, obj[0], other, 2),
               prefix + "list_bad_node" + Where() + HEX " reason=wrong_class index=1 n=2");
  hz3_free(other);
}

TEST_F(ListDeath, BadNodeWrongOwner) {
  Chain(2);
  BoxCtx other = ctx;
  other.shard = static_cast<uint16_t>((shard + 1) % hz3_num_shards());
  EXPECT_DEATH(list_check(other, obj[0], obj[1], 2),
               "hz3: FAILFAST list_bad_node where=central shard=" + std::to_string(other.shard) +
                   " sc=" + std::to_string(sc) + " ptr=" HEX " reason=wrong_owner index=0 n=2");
}

TEST_F(ListDeath, BadNodeNotObjectStart) {
  void* inner = static_cast<char*>(obj[0]) + 16;  // 16-aligned, inside a 64-byte object
  EXPECT_DEATH(list_check(ctx, inner, inner, 1),
               prefix + "list_bad_node" + Where() + HEX " reason=not_object_start index=0 n=1");
}

TEST_F(ListDeath, BadNodeMisaligned) {
  void* odd = static_cast<char*>(obj[0]) + 8;
  EXPECT_DEATH(list_check(ctx, odd, odd, 1), prefix + "list_bad_node" + Where() + HEX " reason=misaligned index=0 n=1");
}

TEST_F(ListDeath, BadNodeNotCarvedAndPageNotInUse) {
  // The last object slot of a fresh page of a class nothing else uses: not
  // carved yet (a refill carves one batch, far less than the page holds).
  constexpr size_t kOdd = 1008;
  void* q = hz3_malloc(kOdd);
  const uint32_t qsc = size_to_class(kOdd);
  const uintptr_t page = reinterpret_cast<uintptr_t>(q) & ~uintptr_t{0xffff};
  void* last = reinterpret_cast<void*>(page + (65536 / class_size(qsc) - 1) * class_size(qsc));
  BoxCtx qctx{static_cast<uint16_t>(shard), static_cast<uint16_t>(qsc), "central"};
  EXPECT_DEATH(list_check(qctx, last, last, 1), "hz3: FAILFAST list_bad_node where=central .*reason=not_carved index=0 n=1");
  // The segment header page (page 0) never holds objects.
  void* header = reinterpret_cast<void*>((reinterpret_cast<uintptr_t>(q) & ~uintptr_t{(4u << 20) - 1}) + 4096);
  EXPECT_DEATH(list_check(qctx, header, header, 1),
               "hz3: FAILFAST list_bad_node where=central .*reason=page_not_in_use index=0 n=1");
  hz3_free(q);
}

// ---- S86 central shadow (MutexList<true>) on real objects of one class ------

class ShadowDeath : public ListDeath {};

TEST_F(ShadowDeath, Duplicate) {
  EXPECT_DEATH(
      {
        MutexList<true> box;
        *static_cast<void**>(obj[0]) = nullptr;
        box.push(ctx, obj[0], obj[0], 1);
        box.push(ctx, obj[0], obj[0], 1);  // the same object again: a double free
      },
      prefix + "s86_duplicate" + Where() + HEX " object is already in central \\(double free\\) index_in_batch=0");
}

TEST_F(ShadowDeath, DuplicateInsideBatch) {
  EXPECT_DEATH(
      {
        MutexList<true> box;
        *static_cast<void**>(obj[0]) = nullptr;
        box.push(ctx, obj[0], obj[0], 1);
        Chain(3);
        *static_cast<void**>(obj[2]) = obj[0];  // b -> c -> a, where a is already in
        *static_cast<void**>(obj[0]) = nullptr;
        box.push(ctx, obj[1], obj[0], 3);
      },
      prefix + "s86_duplicate" + Where() + HEX " object is already in central \\(double free\\) index_in_batch=2");
}

TEST_F(ShadowDeath, NextRewritten) {
  EXPECT_DEATH(
      {
        MutexList<true> box;
        *static_cast<void**>(obj[0]) = nullptr;
        box.push(ctx, obj[0], obj[0], 1);
        *static_cast<void**>(obj[1]) = nullptr;
        box.push(ctx, obj[1], obj[1], 1);  // box: obj1 -> obj0
        *static_cast<void**>(obj[1]) = obj[2];  // use after free: write into a free object
        Batch b;
        box.pop(ctx, 2, b);
      },
      prefix + "s86_next_rewritten" + Where() + HEX " recorded_next=" HEX " found_next=" HEX);
}

TEST_F(ShadowDeath, CleanRoundTripSurvives) {
  MutexList<true> box;
  Chain(4);
  ASSERT_TRUE(box.push(ctx, obj[0], obj[3], 4));
  Batch b;
  EXPECT_EQ(box.pop(ctx, 4, b), 4u);
}

// ---- invalid frees ----------------------------------------------------------

TEST(FreeDeath, StackPointerIsNotOurs) {
  alignas(16) char buf[64];
  EXPECT_DEATH(hz3_free(buf), "hz3: FAILFAST invalid_free where=free shard=- sc=- ptr=" HEX " reason=not_ours");
}

TEST(FreeDeath, SystemMallocPointerIsNotOurs) {
  void* p = std::malloc(100);
  ASSERT_NE(p, nullptr);
  EXPECT_DEATH(hz3_free(p), "hz3: FAILFAST invalid_free where=free shard=- sc=- ptr=" HEX " reason=not_ours");
  std::free(p);
}

TEST(FreeDeath, UsableSizeOfForeignPointer) {
  alignas(16) char buf[64];
  EXPECT_DEATH(hz3_malloc_usable_size(buf),
               "hz3: FAILFAST invalid_free where=malloc_usable_size shard=- sc=- ptr=" HEX " reason=not_ours");
  EXPECT_DEATH(hz3_realloc(buf, 10), "hz3: FAILFAST invalid_free where=malloc_usable_size .*reason=not_ours");
}

TEST(FreeDeath, LargeInteriorPointer) {
  char* p = static_cast<char*>(hz3_malloc(size_t{1} << 20));
  ASSERT_NE(p, nullptr);
  EXPECT_DEATH(hz3_free(p + 64),
               "hz3: FAILFAST invalid_free where=free shard=- sc=- ptr=" HEX " reason=not_large_object_start");
  EXPECT_DEATH(hz3_free(p + 4096),
               "hz3: FAILFAST invalid_free where=free shard=- sc=- ptr=" HEX " reason=not_large_object_start");
  hz3_free(p);
}

#if HZ3_FREE_FAILFAST
TEST(FreeDeath, InteriorPointer) {
  char* p = static_cast<char*>(hz3_malloc(64));
  EXPECT_DEATH(hz3_free(p + 16),
               "hz3: FAILFAST invalid_free where=free shard=- sc=- ptr=" HEX " reason=not_object_start");
  EXPECT_DEATH(hz3_free(p + 8), "hz3: FAILFAST invalid_free where=free .*reason=misaligned");
  hz3_free(p);
}

TEST(FreeDeath, PointerIntoSegmentHeader) {
  void* p = hz3_malloc(64);
  void* header = reinterpret_cast<void*>((reinterpret_cast<uintptr_t>(p) & ~uintptr_t{(4u << 20) - 1}) + 1024);
  EXPECT_DEATH(hz3_free(header), "hz3: FAILFAST invalid_free where=free shard=- sc=- ptr=" HEX " reason=page_not_in_use");
  EXPECT_DEATH(hz3_malloc_usable_size(header), "hz3: FAILFAST invalid_free where=malloc_usable_size .*reason=page_not_in_use");
  hz3_free(p);
}

TEST(FreeDeath, DoubleFreeLocal) {
  void* p = hz3_malloc(48);
  unsigned shard = hz3_debug_current_shard();
  std::string expect = "hz3: FAILFAST double_free where=tcache shard=" + std::to_string(shard) +
                       " sc=" + std::to_string(size_to_class(48)) + " ptr=" HEX " object freed twice in a row";
  EXPECT_DEATH(
      {
        hz3_free(p);
        hz3_free(p);
      },
      expect);
  hz3_free(p);
}

#if HZ3_FLIGHT_RECORDER
// The flight recorder: the FAILFAST line is followed by the failing thread's
// last box operations, oldest first (its flush into central, then the refill
// that popped the objects back), newest last.
TEST(FlightRecorderDeath, RingFollowsFailfastLine) {
  const std::string sc = std::to_string(size_to_class(48));
  EXPECT_DEATH(
      {
        void* a = hz3_malloc(48);
        hz3_free(a);
        hz3_debug_flush_thread();  // the bin goes to central: "push central"
        void* p = hz3_malloc(48);  // the refill pops it back: "pop central"
        hz3_free(p);
        hz3_free(p);
      },
      "hz3: FAILFAST double_free where=tcache .*\n"
      "hz3-flight: failing thread shard=[0-9]+ ops=[0-9]+, last [0-9]+ oldest first\n"
      // Other classes' pushes may come between (bins left by earlier tests
      // when the binary runs whole): the pop of this class must be last.
      ".*hz3-flight:   push central shard=[0-9]+ sc=" + sc + " ptr=" HEX " n=[0-9]+ t=-[0-9]+\n"
      ".*hz3-flight:   pop central shard=[0-9]+ sc=" + sc + " ptr=" HEX " n=[0-9]+ t=-[0-9]+\n$");
}
#endif

// Another thread allocates 48 bytes and stays alive; this thread frees the
// object twice, both frees remote. `bin_full`: this thread's bins are made
// full first, so the first free goes to the stash entry toward the owner;
// otherwise it finds room in this thread's bin (free_remote_slow).
void FreeRemoteTwice(bool bin_full) {
  void* p = nullptr;
  hz3test::Barrier allocated(2);
  hz3test::Barrier done(2);
  std::thread t([&] {
    p = hz3_malloc(48);
    allocated.Wait();
    done.Wait();  // keep p's owner shard alive: the frees below are remote
  });
  allocated.Wait();
  if (bin_full)
    hz3test::RemoteFreesToStash();
  else
    hz3_free(hz3_malloc(48));  // this thread's bin of the class: set up, with room
  hz3_free(p);
  hz3_free(p);
  done.Wait();
  t.join();
}

std::string DoubleFreeLine(const char* where) {
  return std::string("hz3: FAILFAST double_free where=") + where + " shard=[0-9]+ sc=" +
         std::to_string(size_to_class(48)) + " ptr=" HEX " object freed twice in a row";
}

TEST(FreeDeath, DoubleFreeRemote) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(FreeRemoteTwice(/*bin_full=*/true), DoubleFreeLine("stash"));
}

#if HZ3_XFER_STEAL
// The same with room in the bin: the first free put another owner's object
// there, and the second is caught at the bin's head.
TEST(FreeDeath, DoubleFreeRemoteIntoBin) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(FreeRemoteTwice(/*bin_full=*/false), DoubleFreeLine("tcache"));
}
#endif

// A page whose objects were all freed is reclaimed (page_reclaim.h): carved
// again for another class, or left unused. A late second free of one of its
// old objects then names no object at all.
TEST(FreeDeath, StaleFreeIntoReclaimedPage) {
  EXPECT_DEATH(
      {
        std::vector<void*> a(64 * 128);  // 64 pages of 512-byte objects
        for (void*& p : a) p = hz3_malloc(512);
        void* stale = a[1];
        for (void* p : a) hz3_free(p);
        std::vector<void*> b(60 * 65);  // 60 pages of class 1008: A's pages, reclaimed
        for (void*& p : b) p = hz3_malloc(1000);
        hz3_free(stale);
      },
      "hz3: FAILFAST invalid_free where=free shard=- sc=- ptr=" HEX
      " reason=(page_not_in_use|not_object_start)");
}
#endif

// ---- shard collisions -------------------------------------------------------

#if HZ3_SHARD_COLLISION_FAILFAST
TEST(ShardDeath, BindToShardOfLiveThread) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        unsigned mine = hz3_debug_current_shard();  // this thread stays alive
        std::thread t([mine] { hz3_debug_bind_shard(mine); });
        t.join();
      },
      "hz3: FAILFAST shard_collision where=shard_claim shard=[0-9]+ sc=- ptr=0x0 no free shard for a new "
      "thread shards=[0-9]+ wanted=[0-9]+ \\(HZ3_SHARD_COLLISION_FAILFAST=1");
}

// Every shard held by a live thread: the next new thread has none to claim.
TEST(ShardDeath, AllShardsTaken) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        const unsigned n = hz3_num_shards();
        hz3_debug_current_shard();  // main holds one
        hz3test::Barrier claimed(static_cast<int>(n));  // n - 1 threads and main
        hz3test::Barrier release(static_cast<int>(n));
        std::vector<std::thread> ts;
        for (unsigned i = 0; i + 1 < n; ++i)
          ts.emplace_back([&] {
            hz3_debug_current_shard();
            claimed.Wait();
            release.Wait();  // alive until main lets go (it should die first)
          });
        claimed.Wait();
        std::thread extra([] { hz3_debug_current_shard(); });
        extra.join();
        release.Wait();
        for (auto& t : ts) t.join();
      },
      "hz3: FAILFAST shard_collision where=shard_claim shard=- sc=- ptr=0x0 no free shard for a new thread "
      "shards=" + std::to_string(hz3_num_shards()) + " \\(HZ3_SHARD_COLLISION_FAILFAST=1");
}

TEST(ShardDeath, MainBindsToHelperShard) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        hz3test::Barrier ready(2);
        hz3test::Barrier done(2);
        unsigned helper = 0;
        std::thread t([&] {
          helper = hz3_debug_current_shard();
          ready.Wait();
          done.Wait();  // alive while main collides
        });
        ready.Wait();
        hz3_debug_bind_shard(helper);
        done.Wait();
        t.join();
      },
      "hz3: FAILFAST shard_collision where=shard_claim");
}
#endif

// ---- the real boundary: push_remote_list / central_push_list ---------------

#if HZ3_LIST_FAILFAST
TEST(BoundaryDeath, PushRemoteListChecksTheList) {
  alignas(16) void* stack_obj[2] = {nullptr, nullptr};
  EXPECT_DEATH(push_remote_list(1, 3, stack_obj, stack_obj, 1),
               "hz3: FAILFAST list_bad_node where=xfer shard=1 sc=3 ptr=" HEX " reason=not_ours index=0 n=1");
  void* p = hz3_malloc(64);
  *static_cast<void**>(p) = nullptr;
  EXPECT_DEATH(push_remote_list(static_cast<uint16_t>(hz3_debug_current_shard()), size_to_class(64), p, p, 2),
               "hz3: FAILFAST list_short where=xfer");
  EXPECT_DEATH(central_push_list(static_cast<uint16_t>(hz3_debug_current_shard()), size_to_class(32), p, p, 1),
               "hz3: FAILFAST list_bad_node where=central .*reason=wrong_class index=0 n=1");
  hz3_free(p);
}

// A use after free of an object sitting in xfer is caught when the owner pops it.
// A batch waiting in xfer is one carrier (carrier.h): p1 carries p2 (or,
// with two_batches, p1 and p2 are two batches of one carrier each, p2 first
// in the list). A write into the first carrier after its free is caught when
// the owner unpacks the list, before a word of the batch is rewritten.
// `word` is the carrier word written (0 the link, 1 the count, 2.. the
// slots), `value` what is written there.
void CorruptCarrierInXferThenRefill(unsigned word, void* value, bool two_batches = false) {
  const size_t kSize = 1536;  // a class nothing else here uses
  hz3_debug_flush_thread();
  void* p1 = hz3_malloc(kSize);
  void* p2 = hz3_malloc(kSize);
  hz3_debug_flush_thread();  // the rest of the refill batch goes to central
  std::thread t([p1, p2, two_batches] {
    hz3test::RemoteFreesToStash();
    hz3_free(p1);  // remote: to the owner's xfer once flushed
    if (two_batches) hz3_debug_flush_thread();
    hz3_free(p2);
    hz3_debug_flush_thread();
  });
  t.join();
  static_cast<void**>(two_batches ? p2 : p1)[word] = value;
  for (int i = 0; i < 3; ++i) (void)hz3_malloc(kSize);  // refill pops xfer first
}

alignas(16) void* g_fake_node[4];  // zero: a foreign "carrier" that carries nothing

// What a carrier check of the 1536 B class prints: "hz3: FAILFAST <check>
// where=<box> shard=.. sc=.. ptr=<rest>". Under ASan the free object is
// poisoned, so the test's corrupting write is itself the report.
std::string CarrierFailLine(const std::string& check, const std::string& box, const std::string& rest) {
  if (HZ3_TEST_ASAN) return "AddressSanitizer: use-after-poison";
  return "hz3: FAILFAST " + check + " where=" + box + " shard=[0-9]+ sc=" + std::to_string(size_to_class(1536)) +
         " ptr=" + rest;
}

TEST(BoundaryDeath, CorruptedCarrierSlotInXferCaughtOnRefill) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(CorruptCarrierInXferThenRefill(2, g_fake_node),
               CarrierFailLine("carrier_bad_slot", "xfer", HEX " reason=not_ours object=" HEX " slot=0"));
}

TEST(BoundaryDeath, CorruptedCarrierCountInXferCaughtOnRefill) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(CorruptCarrierInXferThenRefill(1, reinterpret_cast<void*>(uintptr_t{200})),
               CarrierFailLine("carrier_bad_count", "xfer", HEX " count=200 slots=[0-9]+ index=0"));
}

#if HZ3_XFER_STEAL
// A stolen backlog (xfer_steal.h) is checked as any refill's, and the line
// names the steal and the owner it was taken from: this thread allocates,
// another frees everything remotely, the carriers' count words are
// overwritten, and a third thread's first malloc of the class steals them.
void CorruptCarriersThenSteal() {
  const size_t kSize = 1536;
  std::vector<void*> objs(200);
  for (void*& p : objs) p = hz3_malloc(kSize);
  std::thread freer([&] {
    for (void* p : objs) hz3_free(p);  // remote: to this thread's xfer, as several carriers
    hz3_debug_flush_thread();
  });
  freer.join();
  for (void* p : objs) static_cast<void**>(p)[1] = reinterpret_cast<void*>(uintptr_t{200});
  std::thread thief([] { (void)hz3_malloc(kSize); });
  thief.join();
}

TEST(BoundaryDeath, CorruptedCarrierCaughtWhenStolen) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  const std::string owner = std::to_string(hz3_debug_current_shard());
  std::string line = CarrierFailLine("carrier_bad_count", "steal", HEX " count=200 slots=[0-9]+ index=0");
  if (!HZ3_TEST_ASAN) line.replace(line.find("shard=[0-9]+"), 12, "shard=" + owner);
  EXPECT_DEATH(CorruptCarriersThenSteal(), line);
}
#endif

#if HZ3_S142_XFER_LOCKFREE
// Lock-free xfer only: it links the two batches into one list as they are
// pushed, so the first carrier's link is the list's. The mutex form keeps
// the batches in separate slots and links them when it pops, so a link
// written while they wait is rewritten before anything reads it.
TEST(BoundaryDeath, CarrierListShorterThanItsCountCaughtOnRefill) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(CorruptCarrierInXferThenRefill(0, nullptr, /*two_batches=*/true),
               CarrierFailLine("carrier_list_short", "xfer", "0x0 carriers=2 ended_after=1"));
}

// The same link pointed at memory that is not an object of this shard: the
// second carrier is refused before a word of it is read.
TEST(BoundaryDeath, CarrierLinkToForeignMemoryCaughtOnRefill) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(CorruptCarrierInXferThenRefill(0, g_fake_node, /*two_batches=*/true),
               CarrierFailLine("carrier_bad_node", "xfer", HEX " reason=not_ours index=1 carriers=2"));
}
#endif

TEST(BoundaryDeath, CorruptedCarrierLinkInXferCaughtOnRefill) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(CorruptCarrierInXferThenRefill(0, g_fake_node),
               CarrierFailLine("carrier_list_long", "xfer", HEX " carriers=1"));
}

// Carriers kept in the thread cache's stock (a backlog beyond one batch, on
// its shelf between mallocs) are checked as they are unpacked, a batch at a
// time: a carrier written while it waits there is caught before a word of
// its batch is rewritten. `corrupt` gets the shelf's word of the class and
// the stock of two carriers it holds.
void StockTwoCarriersCorruptThenRefill(void (*corrupt)(std::atomic<uint64_t>& word, const CarrierList& stock)) {
  const size_t kSize = 1536;
  const uint32_t sc = size_to_class(kSize);
  const uint32_t per_flush = RemoteStash::flush_at(sc);  // one carrier a flush at this size
  hz3_debug_flush_thread();
  std::vector<void*> objs(3 * per_flush);
  for (void*& p : objs) p = hz3_malloc(kSize);
  hz3_debug_flush_thread();
  std::thread t([&objs] {
    for (void* p : objs) hz3_free(p);
    hz3_debug_flush_thread();
  });
  t.join();
  (void)hz3_malloc(kSize);  // unpacks one carrier, stocks two
  const CarrierList stock = shelf_peek(t_cache->shelf, sc);
  if (stock.carriers != 2) abort();  // not the setup this test is about
  corrupt(t_cache->shelf.word[sc], stock);
  for (uint32_t i = 0; i < per_flush; ++i) (void)hz3_malloc(kSize);  // the bin runs out, the stock is next
}

TEST(BoundaryDeath, CorruptedCarrierCountInStockCaughtOnRefill) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(StockTwoCarriersCorruptThenRefill([](std::atomic<uint64_t>&, const CarrierList& st) {
                 static_cast<void**>(st.head)[1] = reinterpret_cast<void*>(uintptr_t{200});
               }),
               CarrierFailLine("carrier_bad_count", "stock", HEX " count=200 slots=[0-9]+ index=0"));
}

TEST(BoundaryDeath, CorruptedCarrierSlotInStockCaughtOnRefill) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(StockTwoCarriersCorruptThenRefill([](std::atomic<uint64_t>&, const CarrierList& st) {
                 static_cast<void**>(st.head)[2] = g_fake_node;
               }),
               CarrierFailLine("carrier_bad_slot", "stock", HEX " reason=not_ours object=" HEX " slot=0"));
}

// The shelf's word itself overwritten (its list now foreign memory): the
// taker refuses it before asking a segment whose it is (stock_shelf.cc).
TEST(BoundaryDeath, ShelfWordToForeignMemoryCaughtOnTake) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(StockTwoCarriersCorruptThenRefill([](std::atomic<uint64_t>& word, const CarrierList&) {
                 word.store(shelf_word(g_fake_node, 2));
               }),
               "hz3: FAILFAST shelf_bad_head where=shelf shard=- sc=" + std::to_string(size_to_class(1536)) +
                   " ptr=" HEX " reason=not_ours carriers=2");
}

// The bin's count and list must run out together, and every node it hands
// out must be an object of this shard and class (bin_pop_check, alloc_slow).
TEST(BoundaryDeath, BinListLongerThanItsCount) {
  const size_t kSize = 208;
  const uint32_t sc = size_to_class(kSize);
  void* p = hz3_malloc(kSize);
  hz3_free(p);
  EXPECT_DEATH(
      {
        t_cache->bins[sc].count = 0;  // the list still holds p
        (void)hz3_malloc(kSize);
      },
      "hz3: FAILFAST list_tail_next where=bin shard=[0-9]+ sc=" + std::to_string(sc) + " ptr=" HEX
      " \\(the bin's list is longer than its count\\)");
}

TEST(BoundaryDeath, BinListShorterThanItsCount) {
  const size_t kSize = 208;
  const uint32_t sc = size_to_class(kSize);
  hz3_free(hz3_malloc(kSize));  // sets the thread up
  EXPECT_DEATH(
      {
        t_cache->bins[sc].head = nullptr;
        t_cache->bins[sc].count = 5;
        (void)hz3_malloc(kSize);
      },
      "hz3: FAILFAST list_short where=bin shard=[0-9]+ sc=" + std::to_string(sc) + " ptr=0x0 count=5");
}

// The same at the other end: a flush walks the bin for its count (bin_take_own).
TEST(BoundaryDeath, BinListShorterThanItsCountCaughtAtFlush) {
  const size_t kSize = 208;
  const uint32_t sc = size_to_class(kSize);
  hz3_free(hz3_malloc(kSize));  // sets the thread up
  EXPECT_DEATH(
      {
        set_next(t_cache->bins[sc].head, nullptr);  // the list: one node
        t_cache->bins[sc].count = 5;
        hz3_debug_flush_thread();
      },
      "hz3: FAILFAST list_short where=bin shard=[0-9]+ sc=" + std::to_string(sc) +
          " ptr=0x0 count=5 ended_after=1 \\(the bin's list ended before its count\\)");
}

// A link overwritten with user data (a write after free): the walk names
// the node before it reads the node's link or, after a steal, its segment's
// owner; either read would fault on this pointer.
TEST(BoundaryDeath, BinLinkOverwrittenCaughtAtFlush) {
  const size_t kSize = 208;
  const uint32_t sc = size_to_class(kSize);
  hz3_free(hz3_malloc(kSize));  // sets the thread up
  EXPECT_DEATH(
      {
        set_next(t_cache->bins[sc].head, reinterpret_cast<void*>(uintptr_t{0x4141414141414140}));
        t_cache->bins[sc].count = 5;
        hz3_debug_flush_thread();
      },
      "hz3: FAILFAST list_bad_node where=bin shard=[0-9]+ sc=" + std::to_string(sc) +
          " ptr=0x4141414141414140 reason=not_ours index=1 count=5 \\(found walking the bin\\)");
}

TEST(BoundaryDeath, ForeignNodeInBinCaughtWhenHandedOut) {
  const size_t kSize = 208;
  const uint32_t sc = size_to_class(kSize);
  hz3_free(hz3_malloc(kSize));
  EXPECT_DEATH(
      {
        alignas(16) static void* fake[2];
        t_cache->bins[sc].head = fake;
        t_cache->bins[sc].count = 1;
        (void)hz3_malloc(kSize);
      },
      "hz3: FAILFAST list_bad_node where=bin shard=[0-9]+ sc=" + std::to_string(sc) + " ptr=" HEX
      " reason=not_ours count=1");
}

// The stash shadow: a stashed carrier's words written after its free are
// named when the entry is flushed, before the batch reaches the owner. Three
// objects of `size` are freed remotely into one entry, then `corrupt` runs on
// them (StashThreeThenWriteThenFlush: word `word` of objs[which] is
// overwritten) and the thread flushes.
// `take`: instead of flushing, the thread mallocs the class with nothing else
// to refill from, so the refill takes the entry back out of the stash
// (stash_take), which checks it as a flush does.
template <class Corrupt>
void StashThreeThen(size_t size, Corrupt corrupt, bool take = false) {
  std::vector<void*> objs(3);
  hz3test::Barrier allocated(2);
  hz3test::Barrier done(2);
  std::thread owner([&] {
    for (void*& p : objs) p = hz3_malloc(size);
    allocated.Wait();
    done.Wait();  // alive: the frees below are remote
  });
  allocated.Wait();
  hz3test::RemoteFreesToStash();
  for (void* p : objs) hz3_free(p);
  corrupt(objs);
  if (take)
    (void)hz3_malloc(size);
  else
    hz3_debug_flush_thread();
  done.Wait();
  owner.join();
}

void StashThreeThenWriteThenFlush(size_t size, unsigned which, unsigned word, bool take = false) {
  StashThreeThen(
      size,
      [&](std::vector<void*>& objs) {
        alignas(16) static void* fake[2];
        static_cast<void**>(objs[which])[word] = fake;  // use after free
      },
      take);
}

// At 720 B one carrier holds the whole entry: objs[0] carries objs[1] and
// objs[2]; word 3 is its second slot.
TEST(BoundaryDeath, StashedCarrierSlotWrittenAfterFreeCaughtAtFlush) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  const size_t kSize = 720;
  EXPECT_DEATH(StashThreeThenWriteThenFlush(kSize, 0, 3),
               HZ3_TEST_ASAN ? "AddressSanitizer: use-after-poison"
                             : "hz3: FAILFAST stash_carrier_rewritten where=stash shard=[0-9]+ sc=" +
                                   std::to_string(size_to_class(kSize)) + " ptr=" HEX " recorded_slot=" HEX
                                   " found_slot=" HEX
                                   " slot=1 index=0 n=3 \\(a stashed carrier was written after its free\\)");
}

// A carrier's link: at 16 B a carrier holds nothing, so each object is one
// (objs[2] -> objs[1] -> objs[0]); word 0 of objs[1] is its link.
TEST(BoundaryDeath, StashedObjectWrittenAfterFreeCaughtAtFlush) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  const size_t kSize = 16;
  EXPECT_DEATH(StashThreeThenWriteThenFlush(kSize, 1, 0),
               HZ3_TEST_ASAN ? "AddressSanitizer: use-after-poison"
                             : "hz3: FAILFAST stash_link_rewritten where=stash shard=[0-9]+ sc=" +
                                   std::to_string(size_to_class(kSize)) + " ptr=" HEX " recorded_next=" HEX
                                   " found_next=" HEX " index=1 n=3 \\(a stashed carrier was written after its free\\)");
}

#if HZ3_XFER_STEAL
// The same corruption met when a refill takes the entry back (stash_take).
TEST(BoundaryDeath, StashedCarrierSlotWrittenAfterFreeCaughtWhenTaken) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  const size_t kSize = 720;
  EXPECT_DEATH(StashThreeThenWriteThenFlush(kSize, 0, 3, /*take=*/true),
               HZ3_TEST_ASAN ? "AddressSanitizer: use-after-poison"
                             : "hz3: FAILFAST stash_carrier_rewritten where=stash shard=[0-9]+ sc=" +
                                   std::to_string(size_to_class(kSize)) + " ptr=" HEX " recorded_slot=" HEX
                                   " found_slot=" HEX
                                   " slot=1 index=0 n=3 \\(a stashed carrier was written after its free\\)");
}
#endif

// The entry's own bookkeeping against its recorded objects: a tail or a
// carrier count that disagrees is named at the flush, which pushes the list
// unwalked (PushCheck::kChecked). At 16 B each object is a carrier.
void StashThreeThenBreakEntryThenFlush(bool tail) {
  StashThreeThen(16, [tail](std::vector<void*>& objs) {
    const uint16_t owner_shard = segment_of(objs[0])->owner;
    StashEntry& e = t_cache->stash.e[RemoteStash::slot_of(RemoteStash::key_of(owner_shard, size_to_class(16)))];
    if (e.n != 3) abort();  // not the setup this test is about
    if (tail)
      e.tail = objs[1];
    else
      e.carriers = 2;
  });
}

std::string StashEntryMismatchLine(unsigned carriers) {
  return "hz3: FAILFAST stash_entry_mismatch where=stash shard=[0-9]+ sc=" + std::to_string(size_to_class(16)) +
         " ptr=" HEX " tail=" HEX " carriers=" + std::to_string(carriers) + " n=3 recorded_head=" HEX
         " recorded_tail=" HEX " recorded_carriers=3 \\(the entry disagrees with the objects stashed\\)";
}

TEST(BoundaryDeath, StashEntryWithWrongTailCaughtAtFlush) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(StashThreeThenBreakEntryThenFlush(/*tail=*/true), StashEntryMismatchLine(3));
}

TEST(BoundaryDeath, StashEntryWithWrongCarrierCountCaughtAtFlush) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(StashThreeThenBreakEntryThenFlush(/*tail=*/false), StashEntryMismatchLine(2));
}

// An entry that missed its flush would overrun its shadow row: caught first.
TEST(BoundaryDeath, StashEntryPastItsFlushSizeCaught) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  const size_t kSize = 720;
  const uint32_t sc = size_to_class(kSize);
  EXPECT_DEATH(
      {
        void* objs[2];
        hz3test::Barrier allocated(2);
        hz3test::Barrier done(2);
        std::thread owner([&] {
          for (void*& p : objs) p = hz3_malloc(kSize);
          allocated.Wait();
          done.Wait();
        });
        allocated.Wait();
        hz3test::RemoteFreesToStash();
        hz3_free(objs[0]);
        uint16_t owner_shard = segment_of(objs[0])->owner;
        StashEntry& e = t_cache->stash.e[RemoteStash::slot_of(RemoteStash::key_of(owner_shard, sc))];
        e.n = 1000;  // a count the flush check never saw
        hz3_free(objs[1]);
        done.Wait();
        owner.join();
      },
      "hz3: FAILFAST stash_overfull where=stash shard=[0-9]+ sc=" + std::to_string(sc) + " ptr=" HEX
      " slot=[0-9]+ objects=1001 row=[0-9]+ \\(an entry went past its flush size\\)");
}
#else
TEST(BoundaryDeath, PushRemoteListUncheckedInThisLane) {
  // HZ3_LIST_FAILFAST=0: the boundary does not validate, so a bad list is
  // accepted (the child exits normally; its heap is discarded with it).
  EXPECT_EXIT(
      {
        alignas(16) static void* stack_obj[2];
        push_remote_list(static_cast<uint16_t>(hz3_num_shards() - 1), 3, stack_obj, stack_obj, 1);
        std::_Exit(0);
      },
      ::testing::ExitedWithCode(0), "");
}
#endif

TEST(BoundaryDeath, ValidListsCrossTheBoundary) {
  // The positive side: real lists pass the checks and come back out.
  const size_t kSize = 80;
  void* a = hz3_malloc(kSize);
  void* b = hz3_malloc(kSize);
  uint16_t me = static_cast<uint16_t>(hz3_debug_current_shard());
  // Two carriers (carrier.h) that carry nothing else.
  *static_cast<void**>(a) = b;
  *static_cast<void**>(b) = nullptr;
  carrier_set_count(a, 0);
  carrier_set_count(b, 0);
  push_remote_list(me, size_to_class(kSize), a, b, 2);
  hz3_debug_flush_thread();
  EXPECT_TRUE(hz3test::HeapOk({}));
}

#if HZ3_S86_CENTRAL_SHADOW
// A double free that slips past the tcache-head check reaches central and
// is caught there by the S86 shadow.
TEST(BoundaryDeath, DoubleFreeReachingCentralCaughtByShadow) {
  EXPECT_DEATH(
      {
        void* p = hz3_malloc(112);
        hz3_free(p);
        hz3_debug_flush_thread();  // p is in central now
        hz3_free(p);               // not at the bin head any more: not caught at free
        hz3_debug_flush_thread();  // second push into central
      },
      "hz3: FAILFAST s86_duplicate where=central shard=[0-9]+ sc=" + std::to_string(size_to_class(112)) + " ptr=" HEX);
}
#endif

#if HZ3_S86_CENTRAL_SHADOW && HZ3_XFER_STEAL
// An idle owner's mutex central is stolen by a thread with nothing of its own
// (xfer_steal.h), with the checks of the owner's own pop: a link written
// after free is named there, where=steal.
TEST(BoundaryDeath, StolenCentralListCheckedByShadow) {
  constexpr size_t kSize = 96;  // a class no other death test uses
  const uint32_t sc = size_to_class(kSize);
  EXPECT_DEATH(
      {
        std::vector<void*> objs(2 * kStealMinCarriers * class_batch(sc));
        hz3test::Barrier freed(2);
        hz3test::Barrier never(2);
        std::thread owner([&] {  // stays alive: its shard is not released
          for (void*& p : objs) p = hz3_malloc(kSize);
          for (void* p : objs) hz3_free(p);
          hz3_debug_flush_thread();  // all of them in its central now
          freed.Wait();
          never.Wait();
        });
        freed.Wait();
        void* p = objs[objs.size() / 2];
        *static_cast<void**>(p) = p;  // a write after free: no link points at its own node
        (void)hz3_malloc(kSize);
      },
      "hz3: FAILFAST s86_next_rewritten where=steal shard=[0-9]+ sc=" + std::to_string(sc) + " ptr=" HEX);
}
#endif

// ---- conservation -----------------------------------------------------------

TEST(HeapCheckDeath, OmittedLiveObject) {
  EXPECT_DEATH(
      {
        void* p = hz3_malloc(200);
        hz3_debug_flush_thread();
        hz3_heap_report r;
        if (hz3_debug_heap_check(&p, 1, &r) != 0) std::_Exit(3);  // must pass with p named
        hz3_debug_heap_check_or_die(&p, 1);
        hz3_debug_heap_check_or_die(nullptr, 0);
      },
      "hz3: FAILFAST conservation where=heap_check shard=- sc=- ptr=0x0 lost_object in carved pages ptr=" HEX);
}

TEST(HeapCheckDeath, PassingCheckDoesNotDie) {
  void* p = hz3_malloc(200);
  hz3_debug_flush_thread();
  hz3_debug_heap_check_or_die(&p, 1);
  hz3_free(p);
  hz3_debug_flush_thread();
  hz3_debug_heap_check_or_die(nullptr, 0);
  SUCCEED();
}

}  // namespace

#if HZ3_TEST_ASAN
// ASan manual poisoning: a freed hz3 object is poisoned until it is handed out
// again, so reading it is reported; allocating it again makes it usable.
TEST(AsanPoisonDeath, ReadOfFreedObjectIsReported) {
  EXPECT_DEATH(
      {
        char* p = static_cast<char*>(hz3_malloc(64));
        p[40] = 1;
        hz3_free(p);
        volatile char c = p[40];
        (void)c;
      },
      "AddressSanitizer: use-after-poison");
}

TEST(AsanPoison, ReallocatedObjectIsUsableAgain) {
  char* p = static_cast<char*>(hz3_malloc(64));
  hz3_free(p);
  char* q = static_cast<char*>(hz3_malloc(64));
  EXPECT_EQ(p, q);  // LIFO bin: the same object comes back
  for (int i = 0; i < 64; ++i) q[i] = static_cast<char>(i);  // no report
  hz3_free(q);
}
#endif
