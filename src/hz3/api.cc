// The in-process C API: hz3_* entry points over the front end.
#include "hz3.h"

#include <stdint.h>

#include "hz3/alloc.h"

using namespace hz3;

extern "C" {

void* hz3_malloc(size_t size) { return malloc_fast(size); }
void hz3_free(void* p) { free_fast(p); }
void* hz3_calloc(size_t count, size_t size) { return calloc_impl(count, size); }
void* hz3_realloc(void* p, size_t size) { return realloc_impl(p, size); }
void* hz3_memalign(size_t align, size_t size) { return memalign_impl(align, size); }
int hz3_posix_memalign(void** out, size_t align, size_t size) {
  return posix_memalign_impl(out, align, size);
}
void* hz3_aligned_alloc(size_t align, size_t size) { return aligned_alloc_impl(align, size); }
void* hz3_valloc(size_t size) { return memalign_impl(kOsPage, size); }
void* hz3_pvalloc(size_t size) {
  if (size > SIZE_MAX - kOsPage) return memalign_impl(kOsPage, SIZE_MAX);  // ENOMEM
  return memalign_impl(kOsPage, align_up(size ? size : 1, kOsPage));
}
size_t hz3_malloc_usable_size(const void* p) { return usable_size_impl(p); }
const char* hz3_config_string(void) { return config_line(); }
unsigned hz3_num_shards(void) { return kNumShards; }

}  // extern "C"
