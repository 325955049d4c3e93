#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "hz3.h"
#include "test_util.h"

TEST(Smoke, MallocFree) {
  std::vector<void*> v;
  for (int i = 0; i < 10000; ++i) v.push_back(hz3_malloc(i % 3000));
  for (void* p : v) hz3_free(p);
  hz3_debug_flush_thread();
  hz3_heap_report r;
  EXPECT_EQ(0, hz3_debug_heap_check(nullptr, 0, &r)) << r.error;
  EXPECT_EQ(r.carved, hz3test::Accounted(r));
}

TEST(SmokeMT, TwoThreads) {
  std::vector<void*> v(5000);
  std::thread a([&] {
    for (size_t i = 0; i < v.size(); ++i) v[i] = hz3_malloc(i % 5000);
  });
  a.join();
  std::thread b([&] {
    for (void* p : v) hz3_free(p);
  });
  b.join();
  EXPECT_TRUE(hz3test::HeapOk({}));
}
