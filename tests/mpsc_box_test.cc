// The MPSC box concept, tested once over every form: the S142 lock-free list
// (with its checks on), the mutex list (central) and the bounded mutex slots
// (xfer). The boxes do not care what the objects are, so plain aligned nodes
// stand in for hz3 objects; only the S86 shadow needs real ones (last tests).
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "hz3.h"
#include "hz3/mpsc.h"
#include "hz3/mpsc_lockfree.h"
#include "hz3/mpsc_mutex.h"
#include "hz3/size_class.h"
#include "test_util.h"

using namespace hz3;

namespace {

struct alignas(16) Node {
  Node* next;  // the box's link word: the first word, as in a free hz3 object
  uint32_t id;
  uint32_t pad;
};

using LockFreeBox = LockFreeMpscList<LockFreeChecks{.consumer_token = true, .structure = true}>;
using ListBox = MutexList<false>;
using SlotsBox = MutexSlots<SlotsChecks{.structure = true}>;
static_assert(MpscBox<LockFreeBox> && MpscBox<ListBox> && MpscBox<SlotsBox>);

template <class Box>
constexpr bool kBounded = requires { Box::kCapacity; };

struct BoxNames {
  template <class T>
  static std::string GetName(int) {
    if constexpr (std::is_same_v<T, LockFreeBox>) return "LockFreeMpscList";
    else if constexpr (std::is_same_v<T, ListBox>) return "MutexList";
    else return "MutexSlots";
  }
};
using BoxTypes = ::testing::Types<LockFreeBox, ListBox, SlotsBox>;

const BoxCtx kCtx{7, 3, "xfer"};

// Link nodes[first, first+n) into a batch (null-terminated).
Batch Link(Node* nodes, size_t first, uint32_t n) {
  for (uint32_t i = 0; i + 1 < n; ++i) nodes[first + i].next = &nodes[first + i + 1];
  nodes[first + n - 1].next = nullptr;
  return Batch{&nodes[first], &nodes[first + n - 1], n};
}

// A popped batch must be exactly out.n nodes from head to tail, tail->next null.
::testing::AssertionResult Collect(const Batch& b, std::vector<uint32_t>& ids) {
  if (b.n == 0) {
    if (b.head || b.tail) return ::testing::AssertionFailure() << "empty batch with ends set";
    return ::testing::AssertionSuccess();
  }
  auto* p = static_cast<Node*>(b.head);
  for (uint32_t i = 0; i < b.n; ++i) {
    if (!p) return ::testing::AssertionFailure() << "batch ended after " << i << " of " << b.n;
    ids.push_back(p->id);
    if (i + 1 < b.n) p = p->next;
  }
  if (p != b.tail) return ::testing::AssertionFailure() << "n-th node is not the tail";
  if (p->next != nullptr) return ::testing::AssertionFailure() << "tail->next is not null";
  return ::testing::AssertionSuccess();
}

// A batch from a limited pop: the same, except that tail may be null (the box
// handed a whole list over without walking it).
::testing::AssertionResult CollectLimited(const Batch& b, std::vector<uint32_t>& ids) {
  if (b.n && !b.tail) {
    Batch walked = b;
    auto* p = static_cast<Node*>(b.head);
    for (uint32_t i = 1; i < b.n && p; ++i) p = p->next;
    walked.tail = p;
    return Collect(walked, ids);
  }
  return Collect(b, ids);
}

bool CountVisit(void* obj, void* arg) {
  static_cast<std::vector<uint32_t>*>(arg)->push_back(static_cast<Node*>(obj)->id);
  return true;
}

template <class Box>
class MpscBoxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    nodes.reset(new Node[kNodes]);
    for (uint32_t i = 0; i < kNodes; ++i) nodes[i] = Node{nullptr, i, 0};
  }
  // Push nodes[first, first+n); returns what push returned.
  bool Push(size_t first, uint32_t n) {
    Batch b = Link(nodes.get(), first, n);
    return box.push(kCtx, b.head, b.tail, b.n);
  }
  // Pop until empty, collecting ids; every pop must return <= want.
  void DrainInto(std::vector<uint32_t>& ids, hz3test::Rng& rng) {
    for (;;) {
      uint32_t want = 1 + rng.Below(13);
      Batch b{reinterpret_cast<void*>(1), reinterpret_cast<void*>(1), 99};  // pop must reset it
      uint32_t got = box.pop(kCtx, want, b);
      ASSERT_LE(got, want);
      ASSERT_EQ(got, b.n);
      ASSERT_TRUE(Collect(b, ids));
      if (!got) return;
    }
  }
  // The same on any box of the form (a test's own, not the fixture's).
  static void DrainFrom(Box& box, std::vector<uint32_t>& ids, hz3test::Rng& rng) {
    for (;;) {
      Batch b;
      uint32_t got = box.pop(kCtx, 1 + rng.Below(13), b);
      ASSERT_TRUE(Collect(b, ids));
      if (!got) return;
    }
  }
  std::vector<uint32_t> Walk() {
    std::vector<uint32_t> ids;
    box.walk_quiescent(CountVisit, &ids);
    return ids;
  }

  static constexpr uint32_t kNodes = 4096;
  Box box;
  std::unique_ptr<Node[]> nodes;
};
TYPED_TEST_SUITE(MpscBoxTest, BoxTypes, BoxNames);

TYPED_TEST(MpscBoxTest, PopOnEmptyReturnsZero) {
  Batch b{reinterpret_cast<void*>(1), reinterpret_cast<void*>(1), 5};
  EXPECT_EQ(this->box.pop(kCtx, 10, b), 0u);
  EXPECT_EQ(b.n, 0u);
  EXPECT_EQ(b.head, nullptr);
  EXPECT_EQ(b.tail, nullptr);
  EXPECT_EQ(this->box.pop(kCtx, 0, b), 0u);
  EXPECT_FALSE(this->box.pending());
  EXPECT_TRUE(this->Walk().empty());
}

TYPED_TEST(MpscBoxTest, PushPopPreservesExactlyTheObjects) {
  hz3test::Rng rng(1);
  std::vector<uint32_t> pushed, popped;
  size_t next = 0;
  for (int round = 0; round < 40; ++round) {
    uint32_t batches = 1 + rng.Below(8);  // within the bounded form's capacity
    for (uint32_t k = 0; k < batches; ++k) {
      uint32_t n = 1 + rng.Below(round % 3 == 0 ? 3 : 40);
      if (next + n > this->kNodes) break;
      ASSERT_TRUE(this->Push(next, n));
      for (uint32_t i = 0; i < n; ++i) pushed.push_back(static_cast<uint32_t>(next + i));
      next += n;
    }
    // Sometimes drain only part of it, so later rounds pop across old and new batches.
    if (round % 4 == 3 || next + 40 * 8 > this->kNodes) {
      this->DrainInto(popped, rng);
      if (next + 40 * 8 > this->kNodes) {
        // Recycle the node array: everything pushed so far has come back.
        ASSERT_EQ(popped.size(), pushed.size());
        next = 0;
        for (uint32_t i = 0; i < this->kNodes; ++i) this->nodes[i] = Node{nullptr, i, 0};
        std::sort(pushed.begin(), pushed.end());
        std::sort(popped.begin(), popped.end());
        ASSERT_EQ(pushed, popped);
        pushed.clear();
        popped.clear();
      }
    } else {
      Batch b;
      uint32_t want = 1 + rng.Below(20);
      uint32_t got = this->box.pop(kCtx, want, b);
      ASSERT_LE(got, want);
      ASSERT_GE(got, 1u);
      ASSERT_TRUE(Collect(b, popped));
      if (kBounded<TypeParam>) {
        // Keep the bounded form from filling up in this test (see OverflowContract).
        this->DrainInto(popped, rng);
      }
    }
  }
  this->DrainInto(popped, rng);
  std::sort(pushed.begin(), pushed.end());
  std::sort(popped.begin(), popped.end());
  EXPECT_EQ(pushed, popped);
  EXPECT_FALSE(this->box.pending());
}

TYPED_TEST(MpscBoxTest, PopReturnsAtMostWantWithExactCounts) {
  ASSERT_TRUE(this->Push(0, 10));
  ASSERT_TRUE(this->Push(10, 5));
  std::vector<uint32_t> ids;
  Batch b;
  EXPECT_EQ(this->box.pop(kCtx, 0, b), 0u);
  EXPECT_EQ(this->box.pop(kCtx, 3, b), 3u);
  ASSERT_TRUE(Collect(b, ids));
  EXPECT_EQ(this->box.pop(kCtx, 4, b), 4u);
  ASSERT_TRUE(Collect(b, ids));
  EXPECT_EQ(this->box.pop(kCtx, 1, b), 1u);
  ASSERT_TRUE(Collect(b, ids));
  EXPECT_EQ(this->box.pop(kCtx, 100, b), 7u) << "a pop takes everything held when want is larger";
  ASSERT_TRUE(Collect(b, ids));
  EXPECT_EQ(this->box.pop(kCtx, 100, b), 0u);
  std::sort(ids.begin(), ids.end());
  std::vector<uint32_t> want(15);
  for (uint32_t i = 0; i < 15; ++i) want[i] = i;
  EXPECT_EQ(ids, want);
}

// pop(want, limit): at least min(want, held), at most limit, and never an
// object lost or returned twice, whatever the shapes of the pushed batches.
TYPED_TEST(MpscBoxTest, LimitedPopReturnsBetweenWantAndLimit) {
  hz3test::Rng rng(11);
  std::vector<uint32_t> popped;
  uint32_t next = 0, held = 0;
  while (next + 200 < this->kNodes) {
    uint32_t batches = 1 + rng.Below(kBounded<TypeParam> ? 4 : 8);
    for (uint32_t k = 0; k < batches; ++k) {
      uint32_t n = 1 + rng.Below(rng.Below(2) ? 3 : 40);
      if (!this->Push(next, n)) break;  // the bounded form is full
      next += n;
      held += n;
    }
    uint32_t want = 1 + rng.Below(30);
    uint32_t limit = want + (rng.Below(2) ? rng.Below(100) : 0);
    Batch b;
    uint32_t got = this->box.pop(kCtx, want, limit, b);
    ASSERT_EQ(got, b.n);
    ASSERT_GE(got, std::min(want, held)) << "want " << want << " held " << held;
    ASSERT_LE(got, limit);
    ASSERT_TRUE(CollectLimited(b, popped));
    held -= got;
  }
  for (;;) {
    Batch b;
    uint32_t got = this->box.pop(kCtx, 7, UINT32_MAX, b);
    ASSERT_TRUE(CollectLimited(b, popped));
    if (!got) break;
    held -= got;
  }
  EXPECT_EQ(held, 0u);
  ASSERT_EQ(popped.size(), next);
  std::sort(popped.begin(), popped.end());
  for (uint32_t i = 0; i < next; ++i) ASSERT_EQ(popped[i], i) << "lost or duplicated";
}

// The three-argument pop always names the tail, whatever it took.
TYPED_TEST(MpscBoxTest, ExactPopAlwaysSetsTail) {
  ASSERT_TRUE(this->Push(0, 4));
  ASSERT_TRUE(this->Push(4, 2));
  Batch b;
  ASSERT_EQ(this->box.pop(kCtx, 6, b), 6u);
  std::vector<uint32_t> ids;
  ASSERT_TRUE(Collect(b, ids));  // Collect rejects a null tail
}

TYPED_TEST(MpscBoxTest, Pending) {
  EXPECT_FALSE(this->box.pending());
  ASSERT_TRUE(this->Push(0, 3));
  EXPECT_TRUE(this->box.pending());
  Batch b;
  ASSERT_EQ(this->box.pop(kCtx, 2, b), 2u);
  EXPECT_TRUE(this->box.pending()) << "one object is still held";
  ASSERT_EQ(this->box.pop(kCtx, 2, b), 1u);
  EXPECT_FALSE(this->box.pending());
}

TYPED_TEST(MpscBoxTest, WalkQuiescentVisitsEveryHeldNodeOnce) {
  ASSERT_TRUE(this->Push(0, 5));
  Batch b;
  ASSERT_EQ(this->box.pop(kCtx, 2, b), 2u);  // the lock-free form now holds a private remainder
  std::vector<uint32_t> popped;
  ASSERT_TRUE(Collect(b, popped));
  ASSERT_TRUE(this->Push(5, 4));
  ASSERT_TRUE(this->Push(9, 1));
  std::vector<uint32_t> seen = this->Walk();
  std::vector<uint32_t> expect;
  for (uint32_t i = 0; i < 10; ++i)
    if (std::find(popped.begin(), popped.end(), i) == popped.end()) expect.push_back(i);
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(seen, expect) << "walk must visit exactly the held nodes, once each";
  // A visitor returning false stops the walk.
  int calls = 0;
  this->box.walk_quiescent([](void*, void* arg) { ++*static_cast<int*>(arg); return false; }, &calls);
  EXPECT_EQ(calls, 1);
  // Walking does not consume anything.
  std::vector<uint32_t> rest;
  hz3test::Rng rng(3);
  this->DrainInto(rest, rng);
  std::sort(rest.begin(), rest.end());
  EXPECT_EQ(rest, expect);
}

// The bounded form refuses a push when every slot is taken; the caller keeps
// the batch (hz3 routes it to central) and the box is unchanged. Unbounded
// forms never refuse.
TYPED_TEST(MpscBoxTest, OverflowContract) {
  std::vector<uint32_t> ids;
  hz3test::Rng rng(4);
  if constexpr (kBounded<TypeParam>) {
    const uint32_t cap = TypeParam::kCapacity;
    ASSERT_EQ(cap, 8u);
    for (uint32_t i = 0; i < cap; ++i) ASSERT_TRUE(this->Push(i * 3, 3)) << "slot " << i;
    Batch refused = Link(this->nodes.get(), 100, 4);
    EXPECT_FALSE(this->box.push(kCtx, refused.head, refused.tail, refused.n));
    // The refused batch is untouched and not in the box.
    std::vector<uint32_t> mine;
    ASSERT_TRUE(Collect(refused, mine));
    EXPECT_EQ(mine, (std::vector<uint32_t>{100, 101, 102, 103}));
    EXPECT_EQ(this->Walk().size(), cap * 3);
    // Popping one whole batch frees a slot.
    Batch b;
    ASSERT_EQ(this->box.pop(kCtx, 3, b), 3u);
    ASSERT_TRUE(Collect(b, ids));
    EXPECT_TRUE(this->box.push(kCtx, refused.head, refused.tail, refused.n));
    this->DrainInto(ids, rng);
    EXPECT_EQ(ids.size(), cap * 3 + 4);
  } else {
    for (uint32_t i = 0; i < 1000; ++i) ASSERT_TRUE(this->Push(i, 1)) << i;
    EXPECT_EQ(this->Walk().size(), 1000u);
    this->DrainInto(ids, rng);
    EXPECT_EQ(ids.size(), 1000u);
  }
  std::sort(ids.begin(), ids.end());
  EXPECT_TRUE(std::adjacent_find(ids.begin(), ids.end()) == ids.end()) << "an object came back twice";
}

// ---- multi-producer, single consumer ---------------------------------------

// Producers for the multi-threaded tests: k threads push nodes [p*per,
// (p+1)*per) in batches of batch_size(rng) nodes; a batch the bounded form
// refuses goes to `overflow`, as hz3 overflows xfer into central. The
// producers and `takers` other threads wait on `start`.
template <class Box>
struct ProducerRig {
  ProducerRig(int k, uint32_t per, int takers)
      : producers_n(k), per(per), total(k * per), nodes(new Node[total]), start(k + takers) {
    for (uint32_t i = 0; i < total; ++i) nodes[i] = Node{nullptr, i, 0};
  }
  template <class BatchSize>
  void Start(uint64_t seed, uint32_t yield_one_in, BatchSize batch_size) {
    for (int p = 0; p < producers_n; ++p) {
      threads.emplace_back([this, p, seed, yield_one_in, batch_size] {
        hz3test::Rng rng(seed + p);
        start.Wait();
        for (uint32_t i = p * per, end = (p + 1) * per; i < end;) {
          uint32_t n = batch_size(rng);
          if (n > end - i) n = end - i;
          Batch b = Link(nodes.get(), i, n);
          if (!box->push(kCtx, b.head, b.tail, b.n)) {
            refused.fetch_add(1, std::memory_order_relaxed);
            EXPECT_TRUE(kBounded<Box>) << "an unbounded form refused a push";
            EXPECT_TRUE(overflow->push(kCtx, b.head, b.tail, b.n));
          }
          i += n;
          if (rng.Below(yield_one_in) == 0) std::this_thread::yield();
        }
        done.fetch_add(1, std::memory_order_release);
      });
    }
  }
  bool AllDone() const { return done.load(std::memory_order_acquire) == producers_n; }
  void Join() {
    for (auto& t : threads) t.join();
  }

  const int producers_n;
  const uint32_t per, total;
  std::unique_ptr<Node[]> nodes;
  std::unique_ptr<Box> box = std::make_unique<Box>();
  std::unique_ptr<ListBox> overflow = std::make_unique<ListBox>();
  std::atomic<int> done{0};
  std::atomic<uint64_t> refused{0};
  hz3test::Barrier start;
  std::vector<std::thread> threads;
};

template <class Box>
class MpscBoxMT : public ::testing::Test {};
TYPED_TEST_SUITE(MpscBoxMT, BoxTypes, BoxNames);

// 4 producers push batches of random shapes while one consumer pops random
// amounts. A batch the bounded form refuses goes to an overflow list, as hz3
// overflows xfer into central. Every node must arrive exactly once.
TYPED_TEST(MpscBoxMT, FourProducersOneConsumerLoseNothing) {
  ProducerRig<TypeParam> rig(4, hz3test::kSanitized ? 6000 : 25000, 1);
  const uint32_t total = rig.total;
  auto& box = rig.box;
  auto& overflow = rig.overflow;
  rig.Start(100, 16, [](hz3test::Rng& rng) {
    uint32_t shape = rng.Below(4);
    uint32_t max = shape == 0 ? 1 : shape == 1 ? 4 : shape == 2 ? 32 : 200;
    return 1 + rng.Below(max);
  });

  std::vector<uint8_t> count(total, 0);
  uint64_t received = 0, bad = 0;
  std::thread consumer([&] {
    hz3test::Rng rng(7);
    rig.start.Wait();
    int idle_after_done = 0;
    std::vector<uint32_t> ids;
    while (received < total) {
      uint32_t want = 1 + rng.Below(64);
      Batch b;
      uint32_t got = box->pop(kCtx, want, b);
      if (got > want || got != b.n) ++bad;
      if (got < want) {
        Batch o;
        uint32_t more = overflow->pop(kCtx, want - got, o);
        if (more > want - got || more != o.n) ++bad;
        ids.clear();
        if (!Collect(o, ids)) ++bad;
        for (uint32_t id : ids) ++count[id];
        received += ids.size();
        got += more;
      }
      ids.clear();
      if (!Collect(b, ids)) ++bad;
      for (uint32_t id : ids) ++count[id];
      received += ids.size();
      if (got == 0) {
        if (rig.AllDone() && ++idle_after_done > 3) break;  // nothing more can arrive
        std::this_thread::yield();
      }
    }
  });
  rig.Join();
  consumer.join();

  EXPECT_EQ(bad, 0u) << "a pop returned more than asked, a wrong count, or a malformed batch";
  EXPECT_EQ(received, total) << "refused pushes: " << rig.refused.load();
  uint32_t lost = 0, dup = 0;
  for (uint32_t i = 0; i < total; ++i) {
    lost += count[i] == 0;
    dup += count[i] > 1;
  }
  EXPECT_EQ(lost, 0u);
  EXPECT_EQ(dup, 0u);
  EXPECT_FALSE(box->pending());
  EXPECT_FALSE(overflow->pending());
}

// ---- steal: the whole-backlog take any thread may do (xfer_steal.h) ---------

// Every form: the lock-free list is both boxes' lock-free form, the slots the
// mutex xfer, the mutex list the mutex central (central_steal).
using StealBoxTypes = ::testing::Types<LockFreeBox, ListBox, SlotsBox>;
template <class Box>
class XferStealBox : public MpscBoxTest<Box> {};
TYPED_TEST_SUITE(XferStealBox, StealBoxTypes, BoxNames);

// A steal takes nothing below its minimum, and everything at it.
TYPED_TEST(XferStealBox, TakesAllAtTheMinimumAndNothingBelow) {
  Batch b{reinterpret_cast<void*>(1), nullptr, 99};
  EXPECT_EQ(this->box.steal(kCtx, 1, b), 0u);  // empty
  EXPECT_EQ(b.n, 0u);
  ASSERT_TRUE(this->Push(0, 2));
  ASSERT_TRUE(this->Push(2, 1));
  EXPECT_EQ(this->box.steal(kCtx, 4, b), 0u);
  EXPECT_EQ(b.n, 0u);
  EXPECT_TRUE(this->box.pending()) << "a refused steal must leave the box as it was";
  ASSERT_EQ(this->box.steal(kCtx, 3, b), 3u);
  std::vector<uint32_t> ids;
  ASSERT_TRUE(CollectLimited(b, ids));
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(ids, (std::vector<uint32_t>{0, 1, 2}));
  EXPECT_FALSE(this->box.pending());
  Batch p;
  EXPECT_EQ(this->box.pop(kCtx, 8, p), 0u);
}

// Interleaved with the consumer's pops (which may keep part of a backlog
// where only the consumer sees it: the lock-free form's private list), pops
// and steals together hand every node over exactly once.
TYPED_TEST(XferStealBox, StealsAndPopsTogetherLoseNothing) {
  hz3test::Rng rng(11);
  std::vector<uint32_t> ids;
  uint32_t next = 0;
  for (int round = 0; round < 300; ++round) {
    uint32_t n = 1 + rng.Below(20);
    if (next + n > this->kNodes) break;
    if (!this->Push(next, n)) continue;  // the bounded form is full: these nodes stay unused
    next += n;
    Batch b;
    if (rng.Below(3) == 0) {
      this->box.steal(kCtx, 1 + rng.Below(30), b);
    } else {
      uint32_t want = 1 + rng.Below(10);
      this->box.pop(kCtx, want, 4 * want, b);
    }
    ASSERT_TRUE(CollectLimited(b, ids));
  }
  hz3test::Rng drain_rng(12);
  this->DrainInto(ids, drain_rng);
  // Every pushed node, once (a refused push's nodes are pushed again next round).
  std::sort(ids.begin(), ids.end());
  EXPECT_TRUE(std::adjacent_find(ids.begin(), ids.end()) == ids.end()) << "a node came out twice";
  EXPECT_EQ(ids.size(), next) << "pushed " << next << " nodes";
}

// Producers push, the consumer pops and a thief steals, all at once (the
// TSan lane runs this too). Every node arrives exactly once.
TYPED_TEST(XferStealBox, ProducersConsumerAndThiefLoseNothing) {
  ProducerRig<TypeParam> rig(3, hz3test::kSanitized ? 5000 : 20000, 2);
  const uint32_t total = rig.total;
  auto& box = rig.box;
  auto& overflow = rig.overflow;
  rig.Start(300, 8, [](hz3test::Rng& rng) { return 1 + rng.Below(40); });
  // The consumer and the thief each count into their own array.
  std::vector<uint8_t> popped(total, 0), stolen(total, 0);
  std::atomic<uint64_t> bad{0};
  auto take = [&](bool thief, std::vector<uint8_t>& count) {
    hz3test::Rng rng(thief ? 21 : 22);
    rig.start.Wait();
    std::vector<uint32_t> ids;
    int idle_after_done = 0;
    for (;;) {
      Batch b;
      uint32_t got;
      if (thief) {
        got = box->steal(kCtx, 1 + rng.Below(64), b);
      } else {
        uint32_t want = 1 + rng.Below(64);
        got = box->pop(kCtx, want, 2 * want, b);
        Batch o;
        if (overflow->pop(kCtx, want, o)) {
          ids.clear();
          if (!Collect(o, ids)) bad.fetch_add(1);
          for (uint32_t id : ids) ++count[id];
          got += o.n;
        }
      }
      ids.clear();
      if (!CollectLimited(b, ids)) bad.fetch_add(1);
      for (uint32_t id : ids) ++count[id];
      if (got == 0) {
        if (rig.AllDone() && ++idle_after_done > 3) break;
        std::this_thread::yield();
      }
    }
  };
  std::thread consumer(take, false, std::ref(popped));
  std::thread thief(take, true, std::ref(stolen));
  rig.Join();
  consumer.join();
  thief.join();
  // Whatever the consumer's private list still holds comes out in a last pop.
  std::vector<uint32_t> rest;
  hz3test::Rng rng(23);
  MpscBoxTest<TypeParam>::DrainFrom(*box, rest, rng);
  for (uint32_t id : rest) ++popped[id];
  EXPECT_EQ(bad.load(), 0u);
  uint32_t lost = 0, dup = 0, by_thief = 0;
  for (uint32_t i = 0; i < total; ++i) {
    lost += popped[i] + stolen[i] == 0;
    dup += popped[i] + stolen[i] > 1;
    by_thief += stolen[i];
  }
  EXPECT_EQ(lost, 0u);
  EXPECT_EQ(dup, 0u);
  this->RecordProperty("stolen", std::to_string(by_thief));
}

// ---- the S86 shadow on real hz3 objects -------------------------------------

// The mutex list's steal with a maximum (central_steal with shared shards,
// config.h kShardsShared): a longer list gives its first `max` nodes with
// their tail, and the rest stays in the box for its consumer.
using MutexListSteal = MpscBoxTest<ListBox>;
TEST_F(MutexListSteal, MaxTakesAPrefixAndLeavesTheRest) {
  ASSERT_TRUE(Push(0, 5));
  ASSERT_TRUE(Push(5, 5));  // the box: 5..9 then 0..4
  Batch b;
  EXPECT_EQ(box.steal(kCtx, 11, b, 20), 0u) << "below the minimum";
  ASSERT_EQ(box.steal(kCtx, 4, b, 6), 6u);
  ASSERT_NE(b.tail, nullptr) << "a prefix is walked, so its tail is known";
  EXPECT_EQ(next_of(b.tail), nullptr);
  std::vector<uint32_t> ids;
  ASSERT_TRUE(Collect(b, ids));
  EXPECT_EQ(ids, (std::vector<uint32_t>{5, 6, 7, 8, 9, 0}));
  EXPECT_EQ(Walk(), (std::vector<uint32_t>{1, 2, 3, 4})) << "the rest stays in the box, in order";
  ASSERT_EQ(box.steal(kCtx, 4, b, 6), 4u) << "at most max: the whole rest";
  EXPECT_FALSE(box.pending());
}

TEST(MutexListShadow, RealObjectsRoundTripCleanly) {
  constexpr size_t kSize = 96;
  const uint32_t sc = size_to_class(kSize);
  std::vector<void*> objs;
  for (int i = 0; i < 40; ++i) objs.push_back(hz3_malloc(kSize));
  const BoxCtx ctx{static_cast<uint16_t>(hz3_debug_current_shard()), static_cast<uint16_t>(sc), "central"};
  auto box = std::make_unique<MutexList<true>>();
  // Several batches, then pops of various sizes, twice over: the shadow must
  // forget what was popped, or the second round reports a duplicate.
  for (int round = 0; round < 2; ++round) {
    for (size_t i = 0; i < objs.size(); i += 8) {
      for (size_t k = i; k < i + 7; ++k) *static_cast<void**>(objs[k]) = objs[k + 1];
      *static_cast<void**>(objs[i + 7]) = nullptr;
      ASSERT_TRUE(box->push(ctx, objs[i], objs[i + 7], 8));
    }
    size_t got = 0;
    Batch b;
    for (uint32_t want = 1; got < objs.size(); ++want) got += box->pop(ctx, want, b);
    EXPECT_EQ(got, objs.size());
    EXPECT_FALSE(box->pending());
  }
  for (void* p : objs) hz3_free(p);
  hz3_debug_flush_thread();
  EXPECT_TRUE(hz3test::HeapOk({}));
}

// The lock-free head word carries the exact count of the shared list, so a
// pop whose limit covers it takes the whole list without walking (tail left
// null), and a count too large for the word is walked as before.
TEST(LockFreeCount, WholeListHandedOverWithoutWalking) {
  LockFreeBox box;
  std::unique_ptr<Node[]> nodes(new Node[40]);
  for (uint32_t i = 0; i < 40; ++i) nodes[i] = Node{nullptr, i, 0};
  Batch a = Link(nodes.get(), 0, 10), c = Link(nodes.get(), 10, 25);
  ASSERT_TRUE(box.push(kCtx, a.head, a.tail, a.n));
  ASSERT_TRUE(box.push(kCtx, c.head, c.tail, c.n));
  EXPECT_EQ(box.debug_shared_count(), 35u);
  Batch b;
  ASSERT_EQ(box.pop(kCtx, 1, 35, b), 35u);
  EXPECT_EQ(b.tail, nullptr) << "a whole-list pop must not have walked to the tail";
  EXPECT_EQ(box.debug_shared_count(), 0u);
  std::vector<uint32_t> ids;
  ASSERT_TRUE(CollectLimited(b, ids));
  // Over the limit: exactly want, tail known, the rest kept for later.
  a = Link(nodes.get(), 0, 10);
  ASSERT_TRUE(box.push(kCtx, a.head, a.tail, a.n));
  ASSERT_EQ(box.pop(kCtx, 4, 9, b), 4u);
  EXPECT_NE(b.tail, nullptr);
  ASSERT_EQ(box.pop(kCtx, 6, 6, b), 6u);
  EXPECT_FALSE(box.pending());
}

TEST(LockFreeCount, SaturatedCountIsWalkedAndLosesNothing) {
  LockFreeBox box;
  constexpr uint32_t kTotal = 70000;  // above the 16-bit count in the head word
  std::unique_ptr<Node[]> nodes(new Node[kTotal]);
  for (uint32_t i = 0; i < kTotal; ++i) nodes[i] = Node{nullptr, i, 0};
  for (uint32_t i = 0; i < kTotal; i += 100) {
    Batch a = Link(nodes.get(), i, 100);
    ASSERT_TRUE(box.push(kCtx, a.head, a.tail, a.n));
  }
  EXPECT_EQ(box.debug_shared_count(), 0xffffu) << "the count saturates";
  Batch b;
  ASSERT_EQ(box.pop(kCtx, 5, UINT32_MAX, b), 5u) << "an unknown count is walked: exactly want";
  std::vector<uint32_t> ids;
  ASSERT_TRUE(Collect(b, ids));
  while (box.pop(kCtx, 1000, UINT32_MAX, b)) ASSERT_TRUE(CollectLimited(b, ids));
  ASSERT_EQ(ids.size(), kTotal);
  std::sort(ids.begin(), ids.end());
  EXPECT_TRUE(std::adjacent_find(ids.begin(), ids.end()) == ids.end());
}

TEST(LockFreeToken, HeldThenReleasedTokenAllowsPop) {
  LockFreeBox box;
  Node n{nullptr, 1, 0};
  ASSERT_TRUE(box.push(kCtx, &n, &n, 1));
  box.debug_hold_consumer_token();
  box.debug_release_consumer_token();
  Batch b;
  EXPECT_EQ(box.pop(kCtx, 1, b), 1u);
  EXPECT_EQ(b.head, &n);
}

}  // namespace
