// Populating fresh pages (os.cc os_populate, shard.cc carve): a carve into
// memory the process has never touched backs the OS pages it writes with one
// madvise(MADV_POPULATE_WRITE) instead of a fault each. Every TEST runs in its
// own process (gtest_discover_tests), so the heap starts empty in each.
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "hz3.h"
#include "hz3/platform.h"
#include "hz3/segment.h"
#include "hz3/size_class.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

namespace {

using namespace hz3;

// Whether this kernel has MADV_POPULATE_WRITE (5.14 on), asked directly.
bool KernelPopulates() {
  void* p = mmap(nullptr, kOsPage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return false;
  bool ok = madvise(p, kOsPage, MADV_POPULATE_WRITE) == 0;
  munmap(p, kOsPage);
  return ok;
}

size_t Resident(void* p, size_t bytes) {
  std::vector<unsigned char> v(bytes / kOsPage);
  if (mincore(p, bytes, v.data()) != 0) return 0;
  size_t n = 0;
  for (unsigned char c : v) n += c & 1;
  return n;
}

TEST(OsPopulate, BacksEveryPageOfAFreshMapping) {
  if (!KernelPopulates()) GTEST_SKIP() << "this kernel lacks MADV_POPULATE_WRITE";
  constexpr size_t kBytes = 16 * kOsPage;
  void* p = mmap(nullptr, kBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(p, MAP_FAILED);
  ASSERT_EQ(Resident(p, kBytes), 0u);
  const size_t before = os_populated_bytes();
  errno = 1234;
  os_populate(p, kBytes);
  EXPECT_EQ(errno, 1234) << "os_populate must leave errno alone";
  EXPECT_EQ(Resident(p, kBytes), 16u);
  EXPECT_EQ(os_populated_bytes() - before, kBytes);
  munmap(p, kBytes);
}

// 2 KiB objects: a batch is 4 objects, 8 KiB, two OS pages, so every carve of
// a fresh page is populated, and a 64 KiB page is carved in 8 of them.
TEST(CarvePopulate, FreshPagesOfLargeObjectsArePopulatedAsCarved) {
  if (!KernelPopulates()) GTEST_SKIP() << "this kernel lacks MADV_POPULATE_WRITE";
  constexpr size_t kSize = 2048;
  const uint32_t sc = size_to_class(kSize);
  ASSERT_EQ(class_size(sc), kSize);
  ASSERT_EQ(class_batch(sc) * kSize, 2 * kOsPage);
  const size_t per_page = kPageSize / kSize;
  const size_t before = os_populated_bytes();
  std::vector<void*> v;
  for (size_t i = 0; i < 3 * per_page; ++i) v.push_back(hz3_malloc(kSize));
  // Three pages carved, each populated once in full: not more (a page is not
  // populated twice), not less (no carve was left to fault).
  EXPECT_EQ(os_populated_bytes() - before, 3 * kPageSize);
  for (void* p : v) hz3_free(p);
}

// 64 B objects: a batch is 64 objects, 4 KiB, one OS page: its carves are
// left to the fault, which costs the same as one madvise for a page.
TEST(CarvePopulate, CarvesOfOnePageAreLeftToTheFault) {
  constexpr size_t kSize = 64;
  const uint32_t sc = size_to_class(kSize);
  ASSERT_EQ(class_size(sc), kSize);
  ASSERT_LE(class_batch(sc) * kSize, kOsPage);
  const size_t before = os_populated_bytes();
  std::vector<void*> v;
  for (size_t i = 0; i < 2 * kPageSize / kSize; ++i) v.push_back(hz3_malloc(kSize));
  EXPECT_EQ(os_populated_bytes() - before, 0u);
  for (void* p : v) hz3_free(p);
}

// 16 KiB objects: a carve writes one link every 16 KiB, so populating its
// range would back three pages in four that the program may never touch.
TEST(CarvePopulate, LargerObjectsInnerPagesAreLeftToTheProgram) {
  constexpr size_t kSize = 16384;
  const uint32_t sc = size_to_class(kSize);
  ASSERT_EQ(class_size(sc), kSize);
  const size_t before = os_populated_bytes();
  std::vector<void*> v;
  for (size_t i = 0; i < 2 * kPageSize / kSize; ++i) v.push_back(hz3_malloc(kSize));
  EXPECT_EQ(os_populated_bytes() - before, 0u);
  for (void* p : v) hz3_free(p);
}

}  // namespace
