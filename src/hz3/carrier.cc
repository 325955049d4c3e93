#include "hz3/carrier.h"

#include "hz3/config.h"
#include "hz3/failfast.h"
#include "hz3/list_failfast.h"

namespace hz3 {

namespace {

// Fail-fast lanes: a carrier list is checked as it is unpacked, each carrier
// before its words are read and each carried object before a word of it is
// written, so no write goes through a corrupt address.
[[maybe_unused, noreturn]] HZ3_COLD void carrier_fail(const BoxCtx& ctx, const char* check, const void* at, const LineBuf& detail) {
  failfast(check, ctx.where, ctx.shard, ctx.sc, at, detail);
}

// The short verdict (object_ok) runs per node; the reason is found again, on
// the cold path, only when it fails. Carried objects come from many pages, so
// object_defect's page view saved little and its segment-header tests cost
// instructions (callgrind, T2 R90: carrier_unpack_some 6.1 M -> 4.7 M).
[[maybe_unused, noreturn]] HZ3_COLD void bad_node_fail(const BoxCtx& ctx, const char* check, const void* c,
                                                     const void* p, const LineBuf& where) {
  const char* why = object_defect(p, ctx.shard, ctx.sc);
  failfast(check, ctx.where, ctx.shard, ctx.sc, c,
           LineBuf().str(" reason=").str(why ? why : "object_ok_disagrees").str(where.c_str()));
}

[[maybe_unused]] HZ3_ALWAYS_INLINE void check_carrier(const BoxCtx& ctx, void* c, uint32_t i, uint32_t carriers) {
  if (!c)
    carrier_fail(ctx, "carrier_list_short", c, LineBuf().kv("carriers", carriers).kv("ended_after", i));
  if (HZ3_UNLIKELY(!object_ok(c, ctx.shard, ctx.sc)))
    bad_node_fail(ctx, "carrier_bad_node", c, c, LineBuf().kv("index", i).kv("carriers", carriers));
  if (uint32_t k = carrier_count(c); k > carrier_slots(ctx.sc))
    carrier_fail(ctx, "carrier_bad_count", c,
                 LineBuf().kv("count", k).kv("slots", carrier_slots(ctx.sc)).kv("index", i)
                     .str(" (a carrier's count word was overwritten)"));
}

[[maybe_unused]] HZ3_ALWAYS_INLINE void check_carried(const BoxCtx& ctx, void* c, uint32_t j) {
  void* p = carrier_slot(c, j);
  if (HZ3_UNLIKELY(!object_ok(p, ctx.shard, ctx.sc)))
    bad_node_fail(ctx, "carrier_bad_slot", c, p, LineBuf().kvp("object", p).kv("slot", j));
}

}  // namespace

Batch carrier_unpack_some(const BoxCtx& ctx, void* head, uint32_t carriers, uint32_t want, CarrierList& rest) {
  Batch out;
  rest.head = nullptr;
  rest.carriers = 0;
  rest.owner = ctx.shard;
  if (!carriers) return out;
  out.head = head;
  void* c = head;
  void* last = nullptr;  // the plain list's last object so far
  uint32_t n = 0;
  uint32_t i = 0;
  for (; i < carriers && n < want; ++i) {
    // Fail-fast lanes: c is checked before its words are read, each carried
    // object before it is linked (so before a word of it is written).
    if constexpr (kListFailfast) check_carrier(ctx, c, i, carriers);
    void* next = next_of(c);
    // The next carrier's miss overlaps this one's links, or, when it is left
    // in the stock, the mallocs before it is unpacked.
    __builtin_prefetch(next);
    uint32_t k = carrier_count(c);
    if (last) set_next(last, c);
    last = c;
    for (uint32_t j = 0; j < k; ++j) {  // the slots are read before c's link is rewritten below
      if constexpr (kListFailfast) check_carried(ctx, c, j);
      void* p = carrier_slot(c, j);
      set_next(last, p);
      last = p;
    }
    n += 1 + k;
    c = next;
  }
  if (i < carriers) {
    rest.head = c;  // checked carrier by carrier as it is unpacked
    rest.carriers = carriers - i;
  } else if constexpr (kListFailfast) {
    if (c)
      carrier_fail(ctx, "carrier_list_long", c,
                   LineBuf().kv("carriers", carriers).str(" (longer list, cycle or count too small)"));
  }
  set_next(last, nullptr);
  out.tail = last;
  out.n = n;
  return out;
}

Batch carrier_unpack(const BoxCtx& ctx, void* head, uint32_t carriers) {
  CarrierList rest;
  return carrier_unpack_some(ctx, head, carriers, UINT32_MAX, rest);
}

}  // namespace hz3
