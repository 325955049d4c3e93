// HZ3_LIST_FAILFAST: validation of a list handed across a box boundary.
//
// A list (head, tail, n) passes when walking exactly n nodes from head ends
// at tail, tail->next is null, and every node is the start of a carved object
// of our segments with the stated owner shard and size class. Walking exactly
// n nodes with those end conditions also proves there is no cycle, so no
// arbitrary walk cap is needed and a valid list of any length passes. A null
// tail means "not walked by the box" (a whole list handed over): the same walk
// then checks the count and the null end.
#pragma once
#include <cstdint>

#include "hz3/mpsc.h"
#include "hz3/platform.h"
#include "hz3/segment_map.h"
#include "hz3/size_class.h"
#include "hz3/thread_cache.h"

namespace hz3 {

// Aborts with a FAILFAST line naming the first violation; O(n).
void list_check(const BoxCtx& ctx, const void* head, const void* tail, uint32_t n);

// A central list a refill takes (the owner's, or a steal's): a walked list
// (tail known) is checked whole, its nodes are warm. A list handed over
// unwalked is checked here at its head only; the rest node by node as the
// bin hands them out (bin_pop_check), so the check does not bring back the
// cold walk the handover avoids.
void refill_check(const BoxCtx& ctx, const Batch& b);

// One page's metadata as the checks see it. The nodes of a batch come from a
// few pages, so list_check keeps the last page's view and redoes only the
// per-object checks for the next node on the same page.
struct PageView {
  uintptr_t page = 0;  // page base, valid when pd is set
  const Segment* seg = nullptr;
  const PageDesc* pd = nullptr;  // null: no page seen yet
};

static_assert(kPageSize <= (size_t{1} << 16), "class_index_of needs page offsets below 64 KiB");

// The page-level checks of a pointer in a segment granule; on success v
// describes p's page.
HZ3_ALWAYS_INLINE const char* segment_page_defect(const void* p, PageView& v) {
  const Segment* seg = segment_of(p);
  unsigned idx = page_index_of(p);
  if (seg->magic != kSegmentMagic) return "bad_segment";
  if (idx == 0 || idx >= seg->next_page.load(std::memory_order_relaxed)) return "page_not_in_use";
  const PageDesc& pd = seg->pages[idx];
  if (pd.sc == kNoClass) return "page_not_in_use";
  v = PageView{reinterpret_cast<uintptr_t>(p) & ~(kPageSize - 1), seg, &pd};
  return nullptr;
}

// The page-level checks of any pointer.
HZ3_ALWAYS_INLINE const char* page_defect(const void* p, PageView& v) {
  if (granule_kind(p) != GranuleKind::kSegment) return "not_ours";
  return segment_page_defect(p, v);
}

// The per-object checks, against the view of p's page.
HZ3_ALWAYS_INLINE const char* object_defect_in(const void* p, int owner, int sc, const PageView& v) {
  uint32_t off = static_cast<uint32_t>(reinterpret_cast<uintptr_t>(p) & (kPageSize - 1));
  uint32_t page_sc = v.pd->sc;
  uint32_t obj = class_index_of(off, page_sc);
  if (obj * kClassRecip.size[page_sc] != off) return "not_object_start";
  if (obj >= v.pd->carved.load(std::memory_order_relaxed)) return "not_carved";
  if (owner >= 0 && v.seg->owner != owner) return "wrong_owner";
  if (sc >= 0 && page_sc != static_cast<uint32_t>(sc)) return "wrong_class";
  return nullptr;
}

// Why `p` is not the start of a carved object of (owner, sc); nullptr if it is.
// owner/sc may be -1 for "any". Reads only our own metadata, so it is safe on
// foreign pointers. `v` is the page view of an earlier call: the page-level
// checks are redone only when p is on another page (list_check keeps one
// view for a whole batch). Inline: the fail-fast lanes ask it on every
// malloc and free, and a call with the reporting code in the same frame cost
// more than the checks.
HZ3_ALWAYS_INLINE const char* object_defect(const void* p, int owner, int sc, PageView& v) {
  if (!p) return "null";
  if (reinterpret_cast<uintptr_t>(p) & 15) return "misaligned";
  if (!v.pd || (reinterpret_cast<uintptr_t>(p) & ~(kPageSize - 1)) != v.page)
    if (const char* why = page_defect(p, v)) return why;
  return object_defect_in(p, owner, sc, v);
}
HZ3_ALWAYS_INLINE const char* object_defect(const void* p, int owner, int sc) {
  PageView v;
  return object_defect(p, owner, sc, v);
}

// object_defect's verdict, short, for the hot paths of the fail-fast lanes
// (every malloc and free). For a pointer in a segment granule, two of
// segment_page_defect's tests follow from the segment's invariants:
//   - a granule is marked kSegment only after its Segment's magic is written
//     (segment_create), and a segment is never unmapped while in use;
//   - a page's class is kNoClass for the header page, for pages not handed
//     out yet (at or above next_page) and for reclaimed pages (segment.h,
//     carve), so the class test covers the page-range tests.
// And a null or misaligned pointer also fails the granule or the
// object-start test. ObjectCheck.ShortFormAgreesWithObjectDefect holds the
// short forms to object_defect's answers; the reason, when one fails, comes
// from object_defect. `page_sc_ok` is the class test.
template <class ClassOk>
HZ3_ALWAYS_INLINE bool segment_object_ok_if(const void* p, int owner, ClassOk page_sc_ok) {
  const Segment* seg = segment_of(p);
  const PageDesc& pd = seg->pages[page_index_of(p)];
  const uint32_t page_sc = pd.sc;
  if (!page_sc_ok(page_sc)) return false;
  const uint32_t off = static_cast<uint32_t>(reinterpret_cast<uintptr_t>(p) & (kPageSize - 1));
  const uint32_t obj = class_index_of(off, page_sc);
  if (obj * kClassRecip.size[page_sc] != off) return false;
  if (obj >= pd.carved.load(std::memory_order_relaxed)) return false;
  return owner < 0 || seg->owner == owner;
}

// Any pointer, as an object of (owner, sc); owner may be -1 for "any".
HZ3_ALWAYS_INLINE bool object_ok(const void* p, int owner, uint32_t sc) {
  return granule_kind(p) == GranuleKind::kSegment &&
         segment_object_ok_if(p, owner, [sc](uint32_t page_sc) { return page_sc == sc; });
}

// A pointer already known to lie in a segment granule (free_fast routed it
// there), as free_check asks: any owner, any class.
HZ3_ALWAYS_INLINE bool segment_object_ok(const void* p) {
  return segment_object_ok_if(p, -1, [](uint32_t page_sc) { return page_sc != kNoClass; });
}

// A refill may hand the bin a whole box list without walking it (tail
// unknown); its nodes are then validated here, one by one as they leave the
// bin, instead of by a cold walk at the boundary. The bin's count must run
// out exactly when its list does (alloc_slow checks the other end). The
// report is out of line and cold, and finds the bin again from t_cache:
// passing the cache and bin kept more registers live across malloc's checks.
[[noreturn]] void bin_pop_fail(void* p, uint32_t sc);
// A drain or flush walks a bin for its count (bin_take_own) and reads each
// node's link and, after a steal, its segment's owner. A double free or a
// write after free can leave a link null (the list ends before its count) or
// pointing anywhere, so each node is checked before a word of it or of its
// segment is read, the page-level checks redone only when the page changes.
// `i` is the node's place in the walk.
[[noreturn]] void bin_walk_fail(const ThreadCache* tc, uint32_t sc, const void* p, const char* why, uint32_t count,
                                uint32_t i);
HZ3_ALWAYS_INLINE void bin_walk_check(const ThreadCache* tc, uint32_t sc, const void* p, uint32_t count, uint32_t i,
                                      PageView& v) {
  if (const char* why = object_defect(p, kXferSteal ? -1 : tc->shard, static_cast<int>(sc), v))
    bin_walk_fail(tc, sc, p, why, count, i);
}
HZ3_ALWAYS_INLINE void bin_pop_check(const ThreadCache* tc, const Bin& b, void* p, uint32_t sc) {
  // A bin may hold another owner's objects after a steal (xfer_steal.h).
  const int owner = kXferSteal ? -1 : tc->shard;
  if (HZ3_UNLIKELY(b.count == 0 || !object_ok(p, owner, sc))) bin_pop_fail(p, sc);
}

}  // namespace hz3
