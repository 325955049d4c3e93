// Size classes, aligned classes and the alignment of what hz3 hands out.
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <vector>

#include "hz3.h"
#include "hz3/segment.h"
#include "hz3/size_class.h"
#include "test_util.h"

using namespace hz3;
using hz3test::HeapOk;

namespace {

bool IsAligned(const void* p, size_t a) { return (reinterpret_cast<uintptr_t>(p) & (a - 1)) == 0; }

TEST(SizeClass, TableShape) {
  EXPECT_EQ(kNumClasses, 44u);
  EXPECT_EQ(class_size(0), 16u);
  EXPECT_EQ(class_size(7), 128u);
  const uint32_t coarse[] = {160, 192, 224, 256, 320, 384, 448, 512, 640, 768, 896, 1024, 1280, 1536, 1792, 2048, 2560};
  for (uint32_t i = 0; i < std::size(coarse); ++i) EXPECT_EQ(class_size(8 + i), coarse[i]) << "sc=" << 8 + i;
  EXPECT_EQ(class_size(kNumClasses - 2), 57344u);
  EXPECT_EQ(class_size(kNumClasses - 1), 65536u);
  for (uint32_t sc = 0; sc < kNumClasses; ++sc) {
    EXPECT_EQ(class_size(sc) % 16, 0u) << "sc=" << sc;
    if (sc) EXPECT_GT(class_size(sc), class_size(sc - 1)) << "sc=" << sc;
    // Above 128 B the unused part of an object is under a fifth of it.
    if (sc >= kNumFine) EXPECT_LT(5 * (class_size(sc) - class_size(sc - 1) - 1), class_size(sc)) << "sc=" << sc;
    EXPECT_GE(class_batch(sc), 2u);
    EXPECT_LE(class_batch(sc), 64u);
    EXPECT_EQ(class_cap(sc), 2 * class_batch(sc));
  }
}

// The fail-fast object checks find an object's index without a divide; it
// must equal the divide for every offset of a 64 KiB page in every class.
TEST(SizeClass, IndexWithoutDivideIsExactForEveryOffset) {
  for (uint32_t sc = 0; sc < kNumClasses; ++sc) {
    uint32_t wrong = 0;
    for (uint32_t off = 0; off < 65536; ++off) wrong += class_index_of(off, sc) != off / class_size(sc);
    ASSERT_EQ(wrong, 0u) << "sc=" << sc << " size=" << class_size(sc);
  }
}

TEST(SizeClass, EverySizeMapsToSmallestClassThatFits) {
  for (size_t n = 0; n <= kMaxClassSize; ++n) {
    uint32_t sc = size_to_class(n);
    ASSERT_LT(sc, kNumClasses) << "n=" << n;
    ASSERT_GE(class_size(sc), n) << "n=" << n;
    if (sc > 0) ASSERT_LT(class_size(sc - 1), n) << "n=" << n << " fits the smaller class";
  }
  EXPECT_EQ(size_to_class(0), 0u);
  EXPECT_EQ(size_to_class(16), 0u);
  EXPECT_EQ(size_to_class(17), 1u);
  EXPECT_EQ(size_to_class(128), 7u);
  EXPECT_EQ(size_to_class(129), 8u);  // 160
  EXPECT_EQ(size_to_class(2048), 23u);
  EXPECT_EQ(size_to_class(2049), 24u);  // 2560: the table's end and the leading-zero count agree
  EXPECT_EQ(size_to_class(4096), 27u);
  EXPECT_EQ(size_to_class(4097), 28u);  // 5120
  EXPECT_EQ(size_to_class(65536), kNumClasses - 1);
}

TEST(SizeClass, AlignedClassesAreMultiplesOfTheAlignment) {
  for (size_t align = 32; align <= kMaxClassSize; align <<= 1) {
    // Classes whose size is a multiple of align, ascending.
    std::vector<uint32_t> fit;
    for (uint32_t s = 0; s < kNumClasses; ++s)
      if (class_size(s) % align == 0) fit.push_back(s);
    ASSERT_FALSE(fit.empty());
    size_t k = 0;  // first entry of fit whose size is >= n (n only grows)
    for (size_t n = 0; n <= kMaxClassSize; ++n) {
      while (k < fit.size() && class_size(fit[k]) < n) ++k;
      uint32_t sc = aligned_size_to_class(n, align);
      size_t need = align_up(n ? n : 1, align);
      if (need > kMaxClassSize) {
        ASSERT_EQ(sc, kNumClasses) << "n=" << n << " align=" << align;
        continue;
      }
      ASSERT_LT(sc, kNumClasses) << "n=" << n << " align=" << align;
      ASSERT_EQ(class_size(sc) % align, 0u) << "n=" << n << " align=" << align;
      ASSERT_GE(class_size(sc), n) << "n=" << n << " align=" << align;
      ASSERT_LT(k, fit.size());
      ASSERT_EQ(sc, fit[k]) << "n=" << n << " align=" << align << ": not the smallest aligned class";
    }
    EXPECT_EQ(aligned_size_to_class(kMaxClassSize + 1, align), kNumClasses);
    EXPECT_EQ(aligned_size_to_class(SIZE_MAX, align), kNumClasses);
  }
}

// The address a fail-fast malloc prefetches for the next pop's check
// (alloc.h) is that object's page descriptor, worked out by arithmetic
// alone: the same as page_desc_of for any object, and no access for the
// null at a bin's end (UBSan's presets run this).
TEST(SegmentLayout, PageDescAddrIsTheObjectsPageDescriptor) {
  for (uint32_t sc = 0; sc < kNumClasses; ++sc) {
    void* p = hz3_malloc(class_size(sc));
    ASSERT_NE(p, nullptr);
    // Each class carves its own pages, so the loop meets many pages and segments.
    EXPECT_EQ(page_desc_addr(p), &page_desc_of(p)) << "sc=" << sc;
    hz3_free(p);
  }
  EXPECT_EQ(reinterpret_cast<uintptr_t>(page_desc_addr(nullptr)), offsetof(Segment, pages));
}

TEST(SizeClass, MallocIsSixteenAlignedWithClassUsableSize) {
  std::vector<void*> held;
  for (size_t n = 0; n <= kMaxClassSize; ++n) {
    void* p = hz3_malloc(n);
    ASSERT_NE(p, nullptr) << "n=" << n;
    ASSERT_TRUE(IsAligned(p, 16)) << "n=" << n << " p=" << p;
    ASSERT_EQ(hz3_malloc_usable_size(p), class_size(size_to_class(n))) << "n=" << n;
    static_cast<char*>(p)[0] = 1;
    if (n) static_cast<char*>(p)[n - 1] = 2;
    // Keep a few alive so consecutive requests do not just reuse one object.
    if (n % 97 == 0) held.push_back(p); else hz3_free(p);
  }
  hz3_debug_flush_thread();
  EXPECT_TRUE(HeapOk(held));
  for (void* p : held) hz3_free(p);
  hz3_debug_flush_thread();
  EXPECT_TRUE(HeapOk({}));
}

TEST(SizeClass, LargeMallocIsAligned) {
  for (size_t n : {size_t{65537}, size_t{100000}, size_t{1} << 20, (size_t{4} << 20) + 3}) {
    void* p = hz3_malloc(n);
    ASSERT_NE(p, nullptr);
    EXPECT_TRUE(IsAligned(p, 16)) << p;
    EXPECT_GE(hz3_malloc_usable_size(p), n);
    static_cast<char*>(p)[n - 1] = 1;
    hz3_free(p);
  }
}

// Every power-of-two alignment from 1 to 8 MiB, with sizes around it.
TEST(SizeClass, MemalignEveryPowerOfTwo) {
  std::vector<void*> all;
  std::vector<size_t> sizes_of;
  for (size_t align = 1; align <= (size_t{8} << 20); align <<= 1) {
    std::vector<size_t> sizes = {0, 1, 15, 16, 17, 100, align - 1 ? align - 1 : 1, align, align + 1, 3 * align};
    if (align <= 4096) sizes.push_back(70000);
    for (size_t n : sizes) {
      if (n > (size_t{32} << 20)) continue;  // keep mappings modest
      void* p = hz3_memalign(align, n);
      ASSERT_NE(p, nullptr) << "align=" << align << " n=" << n;
      EXPECT_TRUE(IsAligned(p, align < 16 ? 16 : align)) << "align=" << align << " n=" << n << " p=" << p;
      EXPECT_GE(hz3_malloc_usable_size(p), n) << "align=" << align << " n=" << n;
      if (n) static_cast<char*>(p)[n - 1] = 'z';
      if (n) static_cast<char*>(p)[0] = 'a';
      all.push_back(p);
      sizes_of.push_back(n);
    }
  }
  // No two results overlap.
  for (size_t i = 0; i < all.size(); ++i) {
    if (sizes_of[i]) EXPECT_EQ(static_cast<char*>(all[i])[0], 'a');
    for (size_t j = i + 1; j < all.size(); ++j) EXPECT_NE(all[i], all[j]);
  }
  std::vector<void*> small;
  for (void* p : all)
    if (hz3test::IsSegmentObject(p)) small.push_back(p);
  hz3_debug_flush_thread();
  hz3_heap_report r;
  EXPECT_TRUE(HeapOk(all, &r));
  EXPECT_EQ(r.live, small.size());
  EXPECT_EQ(r.large_live, all.size() - small.size());
  for (void* p : all) hz3_free(p);
  hz3_debug_flush_thread();
  EXPECT_TRUE(HeapOk({}, &r));
  EXPECT_EQ(r.large_live, 0u);
}

}  // namespace
