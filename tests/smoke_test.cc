#include <gtest/gtest.h>
#include <thread>
#include <vector>
#include "hz3.h"

TEST(Smoke, MallocFree) {
  std::vector<void*> v;
  for (int i = 0; i < 10000; ++i) v.push_back(hz3_malloc(i % 3000));
  for (void* p : v) hz3_free(p);
  hz3_heap_report r;
  EXPECT_EQ(0, hz3_debug_heap_check(nullptr, 0, &r)) << r.error;
}
