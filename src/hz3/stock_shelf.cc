#include "hz3/stock_shelf.h"

#include "hz3/config.h"
#include "hz3/failfast.h"
#include "hz3/list_failfast.h"
#include "hz3/mpsc.h"
#include "hz3/segment.h"
#include "hz3/shard.h"
#include "hz3/thread_cache.h"

namespace hz3 {

namespace {

// A word's list and count; the owner is left 0.
CarrierList decode(uint64_t w) {
  CarrierList st;
  st.head = reinterpret_cast<void*>(w & ((uint64_t{1} << kShelfCountShift) - 1));
  st.carriers = static_cast<uint32_t>(w >> kShelfCountShift);
  return st;
}

CarrierList unpack_word(uint64_t w, uint32_t sc) {
  CarrierList st = decode(w);
  if (!st.head) return st;
  // Fail-fast lanes: the head must be an object of the class before its
  // segment is asked whose it is (the unpack checks the rest).
  if constexpr (kListFailfast) {
    if (const char* why = object_defect(st.head, -1, static_cast<int>(sc)))
      failfast("shelf_bad_head", "shelf", kNoShardField, static_cast<int>(sc), st.head,
               LineBuf().str(" reason=").str(why).kv("carriers", st.carriers));
  }
  st.owner = segment_of(st.head)->owner;
  return st;
}

}  // namespace

void shelf_put(StockShelf& shelf, uint32_t sc, CarrierList& st) {
  if (!st.head) return;
  if (st.carriers > kShelfMaxCarriers) {
    push_remote_list(st.owner, sc, st.head, last_node(st.head, st.carriers), st.carriers);
  } else {
    // Release: a taker's exchange sees the carriers' words written.
    shelf.word[sc].store(shelf_word(st.head, st.carriers), std::memory_order_release);
  }
  st = CarrierList{};
}

bool shelf_take(StockShelf& shelf, uint32_t sc, CarrierList& st) {
  // The load first: an empty word is the common case, and a load leaves the
  // line shared where an exchange would take it from its owner.
  if (!shelf.word[sc].load(std::memory_order_relaxed)) return false;
  uint64_t w = shelf.word[sc].exchange(0, std::memory_order_acquire);
  if (!w) return false;  // another taker was first
  st = unpack_word(w, sc);
  return true;
}

CarrierList shelf_peek(const StockShelf& shelf, uint32_t sc) {
  return decode(shelf.word[sc].load(std::memory_order_acquire));
}

uint32_t stock_steal(const ThreadCache* thief, uint32_t sc, uint32_t want, Batch& out, CarrierList& rest) {
  out = Batch{};
  struct Walk {
    const ThreadCache* thief;
    uint32_t sc;
    CarrierList got;
  } walk{thief, sc, {}};
  // Under the registry lock no cache is unlinked or reused while its shelf is
  // read; the list is unpacked after the lock is released. A refill does not
  // wait for the lock: when another thread holds it (walking, starting or
  // exiting), this refill goes on to its stash or a fresh page.
  registry_try_for_each(
      [](ThreadCache* tc, void* arg) {
        auto* w = static_cast<Walk*>(arg);
        if (!w->got.head && tc != w->thief) shelf_take(tc->shelf, w->sc, w->got);
      },
      &walk);
  if (!walk.got.head) return 0;
  const BoxCtx ctx{walk.got.owner, static_cast<uint16_t>(sc), "shelf"};
  flight_note(FlightOp::kSteal, FlightBox::kCache, ctx.shard, sc, walk.got.head, walk.got.carriers);
  out = carrier_unpack_some(ctx, walk.got.head, walk.got.carriers, want, rest);
  return out.n;
}

}  // namespace hz3
