// The allocator's front end: malloc and free fast paths, inline so the shim
// and the hz3_* entry points each compile them in place. Everything rare goes
// to an out-of-line `_slow` twin in alloc.cc.
#pragma once
#include <cstddef>
#include <cstdint>

#include "hz3/asan_poison.h"
#include "hz3/config.h"
#include "hz3/free_failfast.h"
#include "hz3/list_failfast.h"
#include "hz3/platform.h"
#include "hz3/segment_map.h"
#include "hz3/size_class.h"
#include "hz3/thread_cache.h"

namespace hz3 {

void* alloc_slow(uint32_t sc);
void* large_alloc_slow(size_t size);
void free_nonsegment_slow(void* p, GranuleKind kind);
void free_remote_slow(void* p, uint16_t owner, uint32_t sc);

// One-time process setup (config print); idempotent and cheap after the first call.
void global_init();
// The atfork handlers: every lock of the allocator, taken before fork() and
// released after it in parent and child, so the child finds each box whole.
void fork_prepare();
void fork_release();
const char* config_line();

void* calloc_impl(size_t count, size_t size);
void* realloc_impl(void* p, size_t size);
void* memalign_impl(size_t align, size_t size);  // errno EINVAL / ENOMEM on failure
int posix_memalign_impl(void** out, size_t align, size_t size);
void* aligned_alloc_impl(size_t align, size_t size);
size_t usable_size_impl(const void* p);

HZ3_ALWAYS_INLINE void* alloc_class(uint32_t sc) {
  ThreadCache* tc = t_cache;
  Bin& b = tc->bins[sc];
  void* p = b.head;
  if (HZ3_LIKELY(p != nullptr)) {
    if constexpr (kListFailfast) bin_pop_check(tc, b, p, sc);
    void* next = next_of(p);
    b.head = next;
    // The next malloc of this class reads next's link; remote frees leave it
    // cold in our cache, so start loading it now (never faults, even on null).
    __builtin_prefetch(next);
    // Fail-fast lanes: the next pop's check reads next's page descriptor, a
    // line of another page of the segment header; start that load too.
    if constexpr (kListFailfast) __builtin_prefetch(page_desc_addr(next));
    --b.count;
    if constexpr (kAsanPoison) asan_unpoison(p, class_size(sc));
    return p;
  }
  return alloc_slow(sc);
}

HZ3_ALWAYS_INLINE void* malloc_fast(size_t size) {
  if (HZ3_LIKELY(size <= kMaxClassSize)) return alloc_class(size_to_class(size));
  return large_alloc_slow(size);
}

HZ3_ALWAYS_INLINE void free_fast(void* p) {
  GranuleKind kind = granule_kind(p);  // null lands in granule 0: kNone
  if (HZ3_LIKELY(kind == GranuleKind::kSegment)) {
    ThreadCache* tc = t_cache;
    if constexpr (kFreeFailfast) free_check(p, tc);
    Segment* seg = segment_of(p);
    uint32_t sc = seg->pages[page_index_of(p)].sc;
    if constexpr (kAsanPoison) asan_poison(p, class_size(sc));
    if (HZ3_LIKELY(seg->owner == tc->shard)) {
      Bin& b = tc->bins[sc];
      set_next(p, b.head);
      b.head = p;
      if (HZ3_UNLIKELY(++b.count > b.cap)) bin_drain(tc, sc);
      return;
    }
    return free_remote_slow(p, seg->owner, sc);
  }
  free_nonsegment_slow(p, kind);
}

}  // namespace hz3
