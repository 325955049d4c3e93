#include "hz3/segment.h"

#include <new>

#include "hz3/asan_poison.h"
#include "hz3/config.h"
#include "hz3/mutex.h"
#include "hz3/segment_map.h"

namespace hz3 {

constinit uint8_t g_segment_map[kGranules];

namespace {
constinit Mutex g_segment_lock;
constinit Segment* g_segment_list = nullptr;  // under g_segment_lock; only grows
}  // namespace

Segment* segment_create(uint16_t owner) {
  void* mem = os_map_aligned(kSegmentSize, kSegmentSize);
  if (!mem) return nullptr;
  Segment* seg = new (mem) Segment;
  seg->magic = kSegmentMagic;
  seg->owner = owner;
  seg->next_page.store(1, std::memory_order_relaxed);  // page 0 holds this header
  {
    LockGuard g(g_segment_lock);
    seg->next_segment = g_segment_list;
    g_segment_list = seg;
  }
  granule_set(seg, GranuleKind::kSegment);
  return seg;
}

void segments_fork_lock() { g_segment_lock.lock(); }
void segments_fork_unlock() { g_segment_lock.unlock(); }

#if HZ3_SCHED
void segments_reset() {
  LockGuard g(g_segment_lock);
  while (Segment* seg = g_segment_list) {
    g_segment_list = seg->next_segment;
    granule_set(seg, GranuleKind::kNone);
    // Free objects stay poisoned in ASan's shadow after the unmap, and the
    // next run maps the same addresses: clear it first.
    asan_unpoison(seg, kSegmentSize);
    os_unmap(seg, kSegmentSize);
  }
}
#endif

Segment* segment_list_head() {
  LockGuard g(g_segment_lock);
  return g_segment_list;
}

}  // namespace hz3
