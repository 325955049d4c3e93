#include "hz3/list_failfast.h"

#include "hz3/failfast.h"
#include "hz3/segment_map.h"

namespace hz3 {

static_assert(kPageSize <= (size_t{1} << 16), "class_index_of needs page offsets below 64 KiB");

namespace {

// One page's metadata as the checks see it. The nodes of a batch come from a
// few pages, so list_check keeps the last page's view and redoes only the
// per-object checks for the next node on the same page.
struct PageView {
  uintptr_t page = 0;  // page base; 0 is never one (granule 0 is not ours)
  const Segment* seg = nullptr;
  const PageDesc* pd = nullptr;
};

// The page-level checks; on success v describes p's page.
const char* page_defect(const void* p, PageView& v) {
  if (granule_kind(p) != GranuleKind::kSegment) return "not_ours";
  const Segment* seg = segment_of(p);
  unsigned idx = page_index_of(p);
  if (seg->magic != kSegmentMagic) return "bad_segment";
  if (idx == 0 || idx >= seg->next_page.load(std::memory_order_relaxed)) return "page_not_in_use";
  const PageDesc& pd = seg->pages[idx];
  if (pd.sc == kNoClass) return "page_not_in_use";
  v = PageView{reinterpret_cast<uintptr_t>(p) & ~(kPageSize - 1), seg, &pd};
  return nullptr;
}

// The per-object checks, against the view of p's page.
const char* object_defect_in(const void* p, int owner, int sc, const PageView& v) {
  uint32_t off = static_cast<uint32_t>(reinterpret_cast<uintptr_t>(p) & (kPageSize - 1));
  uint32_t obj = class_index_of(off, v.pd->sc);
  if (obj * class_size(v.pd->sc) != off) return "not_object_start";
  if (obj >= v.pd->carved.load(std::memory_order_relaxed)) return "not_carved";
  if (owner >= 0 && v.seg->owner != owner) return "wrong_owner";
  if (sc >= 0 && v.pd->sc != sc) return "wrong_class";
  return nullptr;
}

}  // namespace

const char* object_defect(const void* p, int owner, int sc) {
  if (!p) return "null";
  if (reinterpret_cast<uintptr_t>(p) & 15) return "misaligned";
  PageView v;
  if (const char* why = page_defect(p, v)) return why;
  return object_defect_in(p, owner, sc, v);
}

void list_check(const BoxCtx& ctx, const void* head, const void* tail, uint32_t n) {
  // A null tail is legal in a non-empty batch (a box handed a whole list over
  // without walking it): the count and the null end are then what is checked.
  if (!head || n == 0)
    failfast("list_empty", ctx.where, ctx.shard, ctx.sc, head,
             LineBuf().kvp("tail", tail).kv("n", n));
  const void* p = head;
  PageView view;
  for (uint32_t i = 0; i < n; ++i) {
    if (!p)
      failfast("list_short", ctx.where, ctx.shard, ctx.sc, head,
               LineBuf().kv("n", n).kv("ended_after", i));
    const char* why = nullptr;
    if (reinterpret_cast<uintptr_t>(p) & 15)
      why = "misaligned";
    else if ((reinterpret_cast<uintptr_t>(p) & ~(kPageSize - 1)) != view.page)
      why = page_defect(p, view);
    if (!why) why = object_defect_in(p, ctx.shard, ctx.sc, view);
    if (why)
      failfast("list_bad_node", ctx.where, ctx.shard, ctx.sc, p,
               LineBuf().str(" reason=").str(why).kv("index", i).kv("n", n));
    if (i + 1 < n) p = next_of(const_cast<void*>(p));
  }
  if (tail && p != tail)
    failfast("list_tail_mismatch", ctx.where, ctx.shard, ctx.sc, head,
             LineBuf().kvp("tail", tail).kvp("node_n", p).kv("n", n));
  if (void* after = next_of(const_cast<void*>(p)))
    failfast("list_tail_next", ctx.where, ctx.shard, ctx.sc, p,
             LineBuf().kvp("next", after).kv("n", n).str(" (longer list, cycle or count too small)"));
}

}  // namespace hz3
