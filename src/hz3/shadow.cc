#include "hz3/shadow.h"

#include "hz3/failfast.h"
#include "hz3/meta_arena.h"
#include "hz3/segment.h"

namespace hz3 {
namespace {

struct PageShadow {
  uint64_t present[kPageSize / 16 / 64];  // one bit per possible object
  void* next[kPageSize / 16];             // recorded link, indexed by object
};

// Locate the object's shadow slot, creating the page's record on first use.
// Only called under the central mutex of the page's (shard, sc).
PageShadow* shadow_for(void* obj, uint32_t* idx) {
  Segment* seg = segment_of(obj);
  PageDesc& pd = seg->pages[page_index_of(obj)];
  if (!pd.shadow) pd.shadow = meta_alloc(sizeof(PageShadow));
  uint32_t off = static_cast<uint32_t>(reinterpret_cast<uintptr_t>(obj) & (kPageSize - 1));
  *idx = class_index_of(off, pd.sc);
  return static_cast<PageShadow*>(pd.shadow);
}

}  // namespace

void shadow_on_push(const BoxCtx& ctx, void* head, uint32_t n) {
  void* p = head;
  for (uint32_t i = 0; i < n && p; ++i) {
    uint32_t idx;
    PageShadow* s = shadow_for(p, &idx);
    uint64_t bit = uint64_t{1} << (idx & 63);
    if (s->present[idx >> 6] & bit)
      failfast("s86_duplicate", ctx.where, ctx.shard, ctx.sc, p,
               LineBuf().str(" object is already in central (double free)").kv("index_in_batch", i));
    s->present[idx >> 6] |= bit;
    s->next[idx] = next_of(p);
    p = s->next[idx];
  }
}

void shadow_on_pop(const BoxCtx& ctx, void* head, uint32_t k) {
  void* p = head;
  for (uint32_t i = 0; i < k && p; ++i) {
    uint32_t idx;
    PageShadow* s = shadow_for(p, &idx);
    uint64_t bit = uint64_t{1} << (idx & 63);
    if (!(s->present[idx >> 6] & bit))
      failfast("s86_unrecorded", ctx.where, ctx.shard, ctx.sc, p,
               LineBuf().str(" object popped from central was never pushed there"));
    void* now = next_of(p);
    if (now != s->next[idx])
      failfast("s86_next_rewritten", ctx.where, ctx.shard, ctx.sc, p,
               LineBuf().kvp("recorded_next", s->next[idx]).kvp("found_next", now));
    s->present[idx >> 6] &= ~bit;
    p = now;
  }
}

}  // namespace hz3
