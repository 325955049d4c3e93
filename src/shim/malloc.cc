// C ABI shim: the standard allocation functions, exported by libhz3.so so
// that LD_PRELOAD routes a whole program through hz3. Only this file and
// new.cc use the unprefixed names.
#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "hz3.h"
#include "hz3/alloc.h"

#define HZ3_EXPORT extern "C" __attribute__((visibility("default")))

using namespace hz3;

HZ3_EXPORT void* malloc(size_t size) { return malloc_fast(size); }
HZ3_EXPORT void free(void* p) { free_fast(p); }
HZ3_EXPORT void cfree(void* p) { free_fast(p); }
HZ3_EXPORT void* calloc(size_t count, size_t size) { return calloc_impl(count, size); }
HZ3_EXPORT void* realloc(void* p, size_t size) { return realloc_impl(p, size); }
// glibc's reallocarray calls its own realloc internally, so it must be ours too.
HZ3_EXPORT void* reallocarray(void* p, size_t count, size_t size) {
  size_t bytes;
  if (__builtin_mul_overflow(count, size, &bytes)) {
    errno = ENOMEM;
    return nullptr;
  }
  return realloc_impl(p, bytes);
}
HZ3_EXPORT void* memalign(size_t align, size_t size) { return memalign_impl(align, size); }
HZ3_EXPORT int posix_memalign(void** out, size_t align, size_t size) {
  return posix_memalign_impl(out, align, size);
}
HZ3_EXPORT void* aligned_alloc(size_t align, size_t size) { return aligned_alloc_impl(align, size); }
HZ3_EXPORT void* valloc(size_t size) { return hz3_valloc(size); }
HZ3_EXPORT void* pvalloc(size_t size) { return hz3_pvalloc(size); }
HZ3_EXPORT size_t malloc_usable_size(void* p) { return usable_size_impl(p); }
