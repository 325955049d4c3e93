#include "hz3/list_failfast.h"

#include "hz3/failfast.h"
#include "hz3/segment_map.h"

namespace hz3 {

[[noreturn]] HZ3_COLD void bin_pop_fail(void* p, uint32_t sc) {
  const ThreadCache* tc = t_cache;
  const Bin& b = tc->bins[sc];
  if (b.count == 0)
    failfast("list_tail_next", "bin", tc->shard, static_cast<int>(sc), p,
             "(the bin's list is longer than its count)");
  const char* why = object_defect(p, kXferSteal ? -1 : tc->shard, static_cast<int>(sc));
  failfast("list_bad_node", "bin", tc->shard, static_cast<int>(sc), p,
           LineBuf().str(" reason=").str(why ? why : "object_ok_disagrees").kv("count", b.count));
}

[[noreturn]] HZ3_COLD void bin_walk_fail(const ThreadCache* tc, uint32_t sc, const void* p, const char* why,
                                        uint32_t count, uint32_t i) {
  if (!p)
    failfast("list_short", "bin", tc->shard, static_cast<int>(sc), nullptr,
             LineBuf().kv("count", count).kv("ended_after", i).str(" (the bin's list ended before its count)"));
  failfast("list_bad_node", "bin", tc->shard, static_cast<int>(sc), p,
           LineBuf().str(" reason=").str(why).kv("index", i).kv("count", count).str(" (found walking the bin)"));
}

namespace {

// Node `i` of a box list of n, as an object of the box's owner and class.
HZ3_ALWAYS_INLINE void node_check(const BoxCtx& ctx, const void* p, uint32_t i, uint32_t n, PageView& view) {
  if (const char* why = object_defect(p, ctx.shard, ctx.sc, view))
    failfast("list_bad_node", ctx.where, ctx.shard, ctx.sc, p,
             LineBuf().str(" reason=").str(why).kv("index", i).kv("n", n));
}

}  // namespace

void refill_check(const BoxCtx& ctx, const Batch& b) {
  if (b.tail) {
    list_check(ctx, b.head, b.tail, b.n);
  } else {
    PageView view;
    node_check(ctx, b.head, 0, b.n, view);
  }
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
    node_check(ctx, p, i, n, view);
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
