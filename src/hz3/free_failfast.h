// HZ3_FREE_FAILFAST: what free() checks before it takes an object back.
//
// The pointer must be the start of a carved object of our segments
// (segment_object_ok, object_defect's verdict), and must not be at the head
// of where its last free put it: the thread's bin of its class (an object of
// ours; another owner's while the bin had room), else the stash entry toward
// its owner. That catches a double free in a row at O(1); an older duplicate
// is left to the box checks and the heap check.
// Inline, with the reports out of line and cold, so a free in the fail-fast
// lanes pays for the checks and not for a frame around them.
#pragma once
#include <cstdint>

#include "hz3/list_failfast.h"
#include "hz3/platform.h"
#include "hz3/remote_stash.h"
#include "hz3/segment.h"
#include "hz3/thread_cache.h"

namespace hz3 {

[[noreturn]] void free_invalid(const void* p);
[[noreturn]] void free_double(const void* p, const ThreadCache* tc);

// p lies in a segment granule (free_fast checked the granule first).
HZ3_ALWAYS_INLINE void free_check(void* p, ThreadCache* tc) {
  if (HZ3_UNLIKELY(!segment_object_ok(p))) free_invalid(p);
  Segment* seg = segment_of(p);
  // Spelled as free_fast spells it, so the two share one load (page_desc_of(p) here cost a second).
  uint32_t sc = seg->pages[page_index_of(p)].sc;
  // A double free shows when the object is still at the head of where it
  // went last time: the local bin, or the stash entry toward its owner.
  bool again;
  if (seg->owner == tc->shard) {
    again = tc->bins[sc].head == p;
  } else {
    again = tc->stash.e[RemoteStash::slot_of(RemoteStash::key_of(seg->owner, sc))].newest == p;
    // Another owner's object is free in this thread's bin when a remote free
    // found the bin with room (free_remote_slow) or a steal brought it
    // (xfer_steal.h).
    if constexpr (kXferSteal) again = again || tc->bins[sc].head == p;
  }
  if (HZ3_UNLIKELY(again)) free_double(p, tc);
}

}  // namespace hz3
