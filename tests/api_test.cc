// The C API: malloc, calloc, realloc, the aligned family, usable size, and the
// error contracts (NULL + errno) for impossible requests.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <set>
#include <vector>

#include "hz3.h"
#include "test_util.h"

using hz3test::Check;
using hz3test::Fill;
using hz3test::HeapOk;

namespace {

bool IsAligned(const void* p, size_t a) { return (reinterpret_cast<uintptr_t>(p) & (a - 1)) == 0; }

class Api : public ::testing::Test {
 protected:
  void TearDown() override {
    // Every test frees what it allocates: the heap must balance with nothing live.
    hz3_debug_flush_thread();
    hz3_heap_report r;
    EXPECT_TRUE(HeapOk({}, &r));
    EXPECT_EQ(r.large_live, 0u);
  }
};

TEST_F(Api, MallocZeroIsUniqueAndFreeable) {
  void* a = hz3_malloc(0);
  void* b = hz3_malloc(0);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_NE(a, b);
  EXPECT_GE(hz3_malloc_usable_size(a), 1u);
  hz3_free(a);
  hz3_free(b);
}

TEST_F(Api, FreeNullIsNoop) {
  hz3_free(nullptr);
  EXPECT_EQ(hz3_malloc_usable_size(nullptr), 0u);
}

TEST_F(Api, ManyAllocationsDoNotOverlap) {
  hz3test::Rng rng(42);
  std::vector<std::pair<void*, size_t>> v;
  for (int i = 0; i < 3000; ++i) {
    size_t n = hz3test::MixedSize(rng);
    void* p = hz3_malloc(n);
    ASSERT_NE(p, nullptr);
    ASSERT_GE(hz3_malloc_usable_size(p), n);
    Fill(p, n, static_cast<uint8_t>(i));
    v.push_back({p, n});
  }
  for (size_t i = 0; i < v.size(); ++i)
    ASSERT_TRUE(Check(v[i].first, v[i].second, static_cast<uint8_t>(i))) << "allocation " << i << " was overwritten";
  for (auto& e : v) hz3_free(e.first);
}

TEST_F(Api, CallocIsZeroed) {
  for (size_t n : {size_t{1}, size_t{16}, size_t{100}, size_t{2048}, size_t{4000}, size_t{65536},
                   size_t{70000}, size_t{1} << 20}) {
    // Dirty objects of the class first, so calloc gets a reused one.
    std::vector<void*> dirty;
    for (int i = 0; i < 8; ++i) {
      void* p = hz3_malloc(n);
      ASSERT_NE(p, nullptr);
      memset(p, 0xab, n);
      dirty.push_back(p);
    }
    for (void* p : dirty) hz3_free(p);
    for (int i = 0; i < 8; ++i) {
      auto* p = static_cast<unsigned char*>(hz3_calloc(1, n));
      ASSERT_NE(p, nullptr);
      for (size_t k = 0; k < n; ++k) ASSERT_EQ(p[k], 0) << "n=" << n << " byte " << k;
      dirty[i] = p;
    }
    for (void* p : dirty) hz3_free(p);
  }
  void* z = hz3_calloc(0, 0);
  ASSERT_NE(z, nullptr);
  hz3_free(z);
  void* c = hz3_calloc(10, 10);
  ASSERT_NE(c, nullptr);
  EXPECT_GE(hz3_malloc_usable_size(c), 100u);
  hz3_free(c);
}

TEST_F(Api, CallocOverflowIsEnomem) {
  const std::pair<size_t, size_t> cases[] = {
      {SIZE_MAX, 2}, {2, SIZE_MAX}, {SIZE_MAX / 2 + 1, 2}, {size_t{1} << 33, size_t{1} << 33}, {SIZE_MAX, SIZE_MAX}};
  for (auto [count, size] : cases) {
    errno = 0;
    EXPECT_EQ(hz3_calloc(count, size), nullptr) << count << " x " << size;
    EXPECT_EQ(errno, ENOMEM) << count << " x " << size;
  }
  // No overflow, but impossible.
  errno = 0;
  EXPECT_EQ(hz3_calloc(1, SIZE_MAX / 2), nullptr);
  EXPECT_EQ(errno, ENOMEM);
}

TEST_F(Api, ImpossibleSizesAreEnomem) {
  for (size_t n : {SIZE_MAX, SIZE_MAX - 1, SIZE_MAX / 2, size_t{1} << 47, (size_t{1} << 46) + 1}) {
    errno = 0;
    EXPECT_EQ(hz3_malloc(n), nullptr) << n;
    EXPECT_EQ(errno, ENOMEM) << n;
    errno = 0;
    EXPECT_EQ(hz3_memalign(64, n), nullptr) << n;
    EXPECT_EQ(errno, ENOMEM) << n;
    errno = 0;
    EXPECT_EQ(hz3_memalign(size_t{1} << 20, n), nullptr) << n;
    EXPECT_EQ(errno, ENOMEM) << n;
    errno = 0;
    EXPECT_EQ(hz3_aligned_alloc(4096, n), nullptr) << n;
    EXPECT_EQ(errno, ENOMEM) << n;
    errno = 0;
    EXPECT_EQ(hz3_valloc(n), nullptr) << n;
    EXPECT_EQ(errno, ENOMEM) << n;
    errno = 0;
    EXPECT_EQ(hz3_pvalloc(n), nullptr) << n;
    EXPECT_EQ(errno, ENOMEM) << n;
  }
  // An impossible alignment.
  errno = 0;
  EXPECT_EQ(hz3_memalign(size_t{1} << 62, 16), nullptr);
  EXPECT_EQ(errno, ENOMEM);
}

TEST_F(Api, ReallocNullIsMalloc) {
  void* p = hz3_realloc(nullptr, 100);
  ASSERT_NE(p, nullptr);
  EXPECT_GE(hz3_malloc_usable_size(p), 100u);
  hz3_free(p);
  void* q = hz3_realloc(nullptr, 200000);
  ASSERT_NE(q, nullptr);
  EXPECT_GE(hz3_malloc_usable_size(q), 200000u);
  hz3_free(q);
}

TEST_F(Api, ReallocZeroFreesAndReturnsNull) {
  for (size_t n : {size_t{10}, size_t{5000}, size_t{300000}}) {
    void* p = hz3_malloc(n);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(hz3_realloc(p, 0), nullptr) << n;
    // p is gone: the heap balances with nothing live (TearDown checks it).
    hz3_debug_flush_thread();
    EXPECT_TRUE(HeapOk({}));
  }
}

TEST_F(Api, ReallocSameAndSlightShrinkStayInPlace) {
  void* p = hz3_malloc(1000);
  ASSERT_NE(p, nullptr);
  size_t u = hz3_malloc_usable_size(p);
  Fill(p, 1000, 3);
  EXPECT_EQ(hz3_realloc(p, 1000), p);
  EXPECT_EQ(hz3_realloc(p, u), p);
  EXPECT_EQ(hz3_realloc(p, u / 2 + 1), p);
  EXPECT_TRUE(Check(p, u / 2 + 1, 3));
  hz3_free(p);
}

// Walk one block through every kind of transition, checking the prefix each time.
TEST_F(Api, ReallocPreservesContentsAcrossClassesAndLarge) {
  const size_t steps[] = {1,    16,     17,   100,   2048, 2049,   4096,   9000,  65536, 65537, 200000,
                          1 << 20, 150000, 65536, 30000, 2000, 100, 1 << 20, 64, 8,    1000000, 24, 1};
  size_t cur = 8;
  auto* p = static_cast<uint8_t*>(hz3_malloc(cur));
  ASSERT_NE(p, nullptr);
  Fill(p, cur, 9);
  for (size_t n : steps) {
    auto* q = static_cast<uint8_t*>(hz3_realloc(p, n));
    ASSERT_NE(q, nullptr) << cur << " -> " << n;
    ASSERT_GE(hz3_malloc_usable_size(q), n);
    ASSERT_TRUE(IsAligned(q, 16));
    ASSERT_TRUE(Check(q, n < cur ? n : cur, 9)) << "contents lost in realloc " << cur << " -> " << n;
    Fill(q, n, 9);
    p = q;
    cur = n;
  }
  hz3_free(p);
}

TEST_F(Api, ReallocShrinkFarMovesAndKeepsPrefix) {
  void* p = hz3_malloc(4000);
  ASSERT_NE(p, nullptr);
  Fill(p, 4000, 1);
  void* q = hz3_realloc(p, 100);
  ASSERT_NE(q, nullptr);
  EXPECT_NE(q, p) << "a 4000 -> 100 byte realloc should move to a smaller class";
  EXPECT_LT(hz3_malloc_usable_size(q), 4000u);
  EXPECT_TRUE(Check(q, 100, 1));
  hz3_free(q);
}

TEST_F(Api, ReallocFailureLeavesBlockIntact) {
  void* p = hz3_malloc(500);
  ASSERT_NE(p, nullptr);
  Fill(p, 500, 77);
  errno = 0;
  EXPECT_EQ(hz3_realloc(p, SIZE_MAX / 2), nullptr);
  EXPECT_EQ(errno, ENOMEM);
  EXPECT_TRUE(Check(p, 500, 77));
  hz3_free(p);
}

TEST_F(Api, MemalignBadAlignmentIsEinval) {
  for (size_t a : {size_t{0}, size_t{3}, size_t{24}, size_t{48}, size_t{100}, size_t{4097}, SIZE_MAX}) {
    errno = 0;
    EXPECT_EQ(hz3_memalign(a, 64), nullptr) << a;
    EXPECT_EQ(errno, EINVAL) << a;
    errno = 0;
    EXPECT_EQ(hz3_aligned_alloc(a, 64), nullptr) << a;
    EXPECT_EQ(errno, EINVAL) << a;
  }
}

TEST_F(Api, PosixMemalign) {
  void* sentinel = reinterpret_cast<void*>(0x1234);
  for (size_t a : {size_t{0}, size_t{1}, size_t{2}, size_t{4}, size_t{3}, size_t{24}, size_t{12345}}) {
    void* out = sentinel;
    errno = 0;
    EXPECT_EQ(hz3_posix_memalign(&out, a, 64), EINVAL) << a;
    EXPECT_EQ(out, sentinel) << "out must be untouched on failure";
    EXPECT_EQ(errno, 0) << "posix_memalign reports through its result, not errno";
  }
  for (size_t n : {SIZE_MAX, SIZE_MAX / 2}) {
    void* out = sentinel;
    errno = 0;
    EXPECT_EQ(hz3_posix_memalign(&out, 64, n), ENOMEM) << n;
    EXPECT_EQ(out, sentinel);
    EXPECT_EQ(errno, 0);
  }
  for (size_t a = sizeof(void*); a <= (size_t{1} << 21); a <<= 1) {
    for (size_t n : {size_t{0}, size_t{1}, a, a + 1}) {
      void* out = nullptr;
      ASSERT_EQ(hz3_posix_memalign(&out, a, n), 0) << a << " " << n;
      ASSERT_NE(out, nullptr);
      EXPECT_TRUE(IsAligned(out, a)) << a << " " << n;
      EXPECT_GE(hz3_malloc_usable_size(out), n);
      hz3_free(out);
    }
  }
}

TEST_F(Api, AlignedAlloc) {
  for (size_t a = 1; a <= (size_t{1} << 20); a <<= 1) {
    void* p = hz3_aligned_alloc(a, 3 * a);
    ASSERT_NE(p, nullptr) << a;
    EXPECT_TRUE(IsAligned(p, a)) << a;
    EXPECT_GE(hz3_malloc_usable_size(p), 3 * a);
    memset(p, 1, 3 * a);
    hz3_free(p);
  }
}

TEST_F(Api, VallocAndPvalloc) {
  for (size_t n : {size_t{0}, size_t{1}, size_t{100}, size_t{4096}, size_t{4097}, size_t{70000}}) {
    void* v = hz3_valloc(n);
    ASSERT_NE(v, nullptr) << n;
    EXPECT_TRUE(IsAligned(v, 4096)) << n;
    EXPECT_GE(hz3_malloc_usable_size(v), n);
    void* pv = hz3_pvalloc(n);
    ASSERT_NE(pv, nullptr) << n;
    EXPECT_TRUE(IsAligned(pv, 4096)) << n;
    size_t rounded = n ? (n + 4095) / 4096 * 4096 : 4096;
    EXPECT_GE(hz3_malloc_usable_size(pv), rounded) << "pvalloc rounds up to whole pages, n=" << n;
    memset(pv, 2, rounded);
    hz3_free(v);
    hz3_free(pv);
  }
}

TEST_F(Api, UsableSizeAtLeastRequest) {
  EXPECT_EQ(hz3_malloc_usable_size(nullptr), 0u);
  for (size_t n = 0; n < 300000; n = n * 5 / 4 + 1) {
    void* p = hz3_malloc(n);
    ASSERT_NE(p, nullptr);
    size_t u = hz3_malloc_usable_size(p);
    EXPECT_GE(u, n);
    memset(p, 0x11, u);  // the whole usable size is ours to write
    hz3_free(p);
  }
}

TEST_F(Api, AllocFreeChurnReusesMemory) {
  // Steady-state churn must not keep carving: after warm-up the carved count is flat.
  hz3_heap_report before, after;
  for (int round = 0; round < 3; ++round) {
    std::vector<void*> v;
    for (int i = 0; i < 2000; ++i) v.push_back(hz3_malloc(static_cast<size_t>(i % 700)));
    for (void* p : v) hz3_free(p);
    hz3_debug_flush_thread();
    ASSERT_TRUE(HeapOk({}, round == 1 ? &before : &after));
  }
  EXPECT_EQ(before.carved, after.carved);
}

}  // namespace
