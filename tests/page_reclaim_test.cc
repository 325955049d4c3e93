// Page reclaim (src/hz3/page_reclaim.h): a page whose objects are all free
// in its shard is carved again for another class, and a page with a live
// object, or with an object still in another thread's stash, is not.
#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <set>
#include <thread>
#include <vector>

#include "hz3.h"
#include "hz3/page_reclaim.h"
#include "hz3/shard.h"
#include "hz3/size_class.h"
#include "test_util.h"

using hz3test::HeapOk;

namespace {

using namespace hz3;

constexpr size_t kSizeA = 512;   // 128 objects a page
constexpr size_t kSizeB = 1000;  // class 1008: 65 objects a page
constexpr size_t kPagesA = 64;
constexpr size_t kPagesB = 60;

const Shard& MyShard() { return shard_at(static_cast<uint16_t>(hz3_debug_current_shard())); }

size_t PerPage(size_t size) { return kPageSize / class_size(size_to_class(size)); }

// `pages` pages' worth of `size` objects, each filled with its own tag.
std::vector<void*> Fill(size_t size, size_t pages, unsigned char tag) {
  std::vector<void*> v(pages * PerPage(size));
  for (void*& p : v) {
    p = hz3_malloc(size);
    std::memset(p, tag, size);
  }
  return v;
}

bool TagsIntact(const std::vector<void*>& v, size_t size, unsigned char tag) {
  for (void* p : v)
    for (size_t i = 0; i < size; ++i)
      if (static_cast<unsigned char*>(p)[i] != tag) return false;
  return true;
}

// Runs f on a new thread bound to shard `k` from the top, one per test, so
// no test finds another's objects or pages on its shard.
template <class F>
void OnOwnShard(unsigned k, F f) {
  std::thread t([&] {
    ASSERT_EQ(hz3_debug_bind_shard(hz3_num_shards() - 1 - k), 0);
    f();
  });
  t.join();
}

// One object of each page the objects of `v` sit on.
std::vector<void*> OnePerPage(const std::vector<void*>& v) {
  std::map<const PageDesc*, void*> first;
  for (void* p : v) first.emplace(&page_desc_of(p), p);
  std::vector<void*> out;
  for (auto& [pd, p] : first) out.push_back(p);
  return out;
}

TEST(PageReclaim, FreedClassServesAnotherClass) {
  OnOwnShard(0, [] {
    std::vector<void*> a = Fill(kSizeA, kPagesA, 0xa1);
    const uint32_t fresh0 = MyShard().pages_fresh;
    std::set<const PageDesc*> a_pages;
    for (void* p : a) a_pages.insert(&page_desc_of(p));
    for (void* p : a) hz3_free(p);
    std::vector<void*> b = Fill(kSizeB, kPagesB, 0xb2);
    // Without reclaim each of B's pages is a fresh one.
    EXPECT_LE(MyShard().pages_fresh - fresh0, 1u);
    size_t on_a_pages = 0;
    for (void* p : b) on_a_pages += a_pages.count(&page_desc_of(p));
    EXPECT_GE(on_a_pages, (kPagesB - 1) * PerPage(kSizeB)) << "B is not on the pages A left";
    EXPECT_TRUE(TagsIntact(b, kSizeB, 0xb2));
    EXPECT_TRUE(HeapOk(b));
    for (void* p : b) hz3_free(p);
    EXPECT_TRUE(HeapOk({}));
  });
}

TEST(PageReclaim, PageWithALiveObjectIsKept) {
  OnOwnShard(1, [] {
    std::vector<void*> a = Fill(kSizeA, kPagesA, 0xa1);
    // Keep one object of every page live (the page a count off by one would
    // take), free the rest.
    std::vector<void*> kept = OnePerPage(a);
    std::set<void*> keep(kept.begin(), kept.end());
    for (void* p : a)
      if (!keep.count(p)) hz3_free(p);
    EXPECT_GE(kept.size(), kPagesA);
    std::vector<void*> b = Fill(kSizeB, kPagesB, 0xb2);
    // B's pages are fresh ones (or pages an earlier test's thread left on
    // this shard), never one of A's.
    std::set<const PageDesc*> a_pages;
    for (void* p : kept) a_pages.insert(&page_desc_of(p));
    for (void* p : b) ASSERT_EQ(a_pages.count(&page_desc_of(p)), 0u) << "a page with a live object was carved again";
    for (void* p : kept) EXPECT_EQ(page_desc_of(p).sc, size_to_class(kSizeA));
    EXPECT_TRUE(TagsIntact(kept, kSizeA, 0xa1));
    EXPECT_TRUE(TagsIntact(b, kSizeB, 0xb2));
    std::vector<void*> live = kept;
    live.insert(live.end(), b.begin(), b.end());
    EXPECT_TRUE(HeapOk(live));
    for (void* p : live) hz3_free(p);
    EXPECT_TRUE(HeapOk({}));
  });
}

// A page reclaimed and carved again is a page like any other: a second
// round of the same pattern reuses it again, and nothing is lost or doubled.
TEST(PageReclaim, ReclaimedPagesAreReclaimedAgain) {
  OnOwnShard(2, [] {
    std::vector<void*> a = Fill(kSizeA, kPagesA, 0xa1);
    const uint32_t fresh0 = MyShard().pages_fresh;
    for (int round = 0; round < 3; ++round) {
      for (void* p : a) hz3_free(p);
      std::vector<void*> b = Fill(kSizeB, kPagesB, 0xb2);
      EXPECT_TRUE(HeapOk(b));
      for (void* p : b) hz3_free(p);
      a = Fill(kSizeA, kPagesA, 0xa3);
      EXPECT_TRUE(TagsIntact(a, kSizeA, 0xa3));
      EXPECT_TRUE(HeapOk(a));
    }
    EXPECT_LE(MyShard().pages_fresh - fresh0, 8u) << "each round took fresh pages";
    for (void* p : a) hz3_free(p);
    EXPECT_TRUE(HeapOk({}));
  });
}

// An object in another thread's remote stash is free but not in the owner's
// hands: its page must stay.
TEST(PageReclaimMT, ObjectInAnotherThreadsStashKeepsItsPage) {
  std::vector<void*> a, stashed, b;
  hz3test::Barrier filled(2), freed(2), checked(2);
  std::thread owner([&] {
    ASSERT_EQ(hz3_debug_bind_shard(hz3_num_shards() - 4), 0);
    a = Fill(kSizeA, kPagesA, 0xa1);
    // One object from each of 16 pages: fewer than a stash entry's flush size,
    // so they stay in the other thread's stash.
    std::vector<void*> one = OnePerPage(a);
    stashed.assign(one.begin(), one.begin() + 16);
    std::set<void*> away(stashed.begin(), stashed.end());
    filled.Wait();
    freed.Wait();
    for (void* p : a)
      if (!away.count(p)) hz3_free(p);
    b = Fill(kSizeB, kPagesB, 0xb2);
    for (void* p : stashed) EXPECT_EQ(page_desc_of(p).sc, size_to_class(kSizeA));
    EXPECT_TRUE(TagsIntact(b, kSizeB, 0xb2));
    checked.Wait();
  });
  std::thread other([&] {
    filled.Wait();
    for (void* p : stashed) hz3_free(p);  // remote: into this thread's stash
    freed.Wait();
    checked.Wait();
    hz3_debug_flush_thread();
  });
  owner.join();
  other.join();
  EXPECT_TRUE(HeapOk(b));
  for (void* p : b) hz3_free(p);
}

}  // namespace
