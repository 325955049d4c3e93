#include "hz3/list_failfast.h"

#include "hz3/failfast.h"
#include "hz3/segment_map.h"

namespace hz3 {

static_assert(kPageSize <= (size_t{1} << 16), "class_index_of needs page offsets below 64 KiB");

const char* object_defect(const void* p, int owner, int sc) {
  if (!p) return "null";
  if (reinterpret_cast<uintptr_t>(p) & 15) return "misaligned";
  if (granule_kind(p) != GranuleKind::kSegment) return "not_ours";
  Segment* seg = segment_of(p);
  unsigned idx = page_index_of(p);
  if (seg->magic != kSegmentMagic) return "bad_segment";
  if (idx == 0 || idx >= seg->next_page.load(std::memory_order_relaxed)) return "page_not_in_use";
  const PageDesc& pd = seg->pages[idx];
  if (pd.sc == kNoClass) return "page_not_in_use";
  uint32_t off = static_cast<uint32_t>(reinterpret_cast<uintptr_t>(p) & (kPageSize - 1));
  uint32_t obj = class_index_of(off, pd.sc);
  if (obj * class_size(pd.sc) != off) return "not_object_start";
  if (obj >= pd.carved.load(std::memory_order_relaxed)) return "not_carved";
  if (owner >= 0 && seg->owner != owner) return "wrong_owner";
  if (sc >= 0 && pd.sc != sc) return "wrong_class";
  return nullptr;
}

void list_check(const BoxCtx& ctx, const void* head, const void* tail, uint32_t n) {
  // A null tail is legal in a non-empty batch (a box handed a whole list over
  // without walking it): the count and the null end are then what is checked.
  if (!head || n == 0)
    failfast("list_empty", ctx.where, ctx.shard, ctx.sc, head,
             LineBuf().kvp("tail", tail).kv("n", n));
  const void* p = head;
  for (uint32_t i = 0; i < n; ++i) {
    if (!p)
      failfast("list_short", ctx.where, ctx.shard, ctx.sc, head,
               LineBuf().kv("n", n).kv("ended_after", i));
    if (const char* why = object_defect(p, ctx.shard, ctx.sc))
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
