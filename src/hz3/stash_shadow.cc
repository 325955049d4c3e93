#include "hz3/stash_shadow.h"

#include "hz3/carrier.h"
#include "hz3/failfast.h"
#include "hz3/meta_arena.h"
#include "hz3/platform.h"

namespace hz3 {

StashShadow* stash_shadow_attach(StashShadow* kept) {
  return kept ? kept : static_cast<StashShadow*>(meta_alloc(sizeof(StashShadow)));
}

void stash_shadow_overfull(uint32_t slot, uint32_t i, const void* p, uint16_t owner, uint32_t sc) {
  failfast("stash_overfull", "stash", owner, static_cast<int>(sc), p,
           LineBuf().kv("slot", slot).kv("objects", i + 1).kv("row", kStashShadowRow)
               .str(" (an entry went past its flush size)"));
}

void stash_shadow_verify(const StashShadow* sh, uint32_t slot, const StashEntry& e, uint16_t owner, uint32_t sc) {
  void* const* row = sh->row[slot];
  const uint32_t n = e.n;
  // Object i of the entry is a carrier when i % (k + 1) == 0; the k after it
  // are its slots (carrier.h). Every expected word is known from the row, so
  // the loads are independent and their misses overlap.
  const uint32_t per = carrier_slots(sc) + 1;
  const uint32_t carriers = (n + per - 1) / per;
  void* const recorded_head = n ? row[(carriers - 1) * per] : nullptr;  // the newest carrier
  if (HZ3_UNLIKELY(!n || e.carriers != carriers || e.tail != row[0] || e.head != recorded_head))
    failfast("stash_entry_mismatch", "stash", owner, static_cast<int>(sc), e.head,
             LineBuf().kvp("tail", e.tail).kv("carriers", e.carriers).kv("n", n).kvp("recorded_head", recorded_head)
                 .kvp("recorded_tail", row[0]).kv("recorded_carriers", carriers)
                 .str(" (the entry disagrees with the objects stashed)"));
  for (uint32_t first = 0; first < n; first += per) {
    void* c = row[first];
    void* want = first ? row[first - per] : nullptr;
    void* found = next_of(c);
    if (HZ3_UNLIKELY(found != want))
      failfast("stash_link_rewritten", "stash", owner, static_cast<int>(sc), c,
               LineBuf().kvp("recorded_next", want).kvp("found_next", found).kv("index", first).kv("n", n)
                   .str(" (a stashed carrier was written after its free)"));
    uint32_t k = n - first - 1 < per - 1 ? n - first - 1 : per - 1;
    if (HZ3_UNLIKELY(carrier_count(c) != k))
      failfast("stash_carrier_rewritten", "stash", owner, static_cast<int>(sc), c,
               LineBuf().kv("recorded_count", k).kv("found_count", carrier_count(c)).kv("index", first).kv("n", n)
                   .str(" (a stashed carrier was written after its free)"));
    for (uint32_t j = 0; j < k; ++j)
      if (HZ3_UNLIKELY(carrier_slot(c, j) != row[first + 1 + j]))
        failfast("stash_carrier_rewritten", "stash", owner, static_cast<int>(sc), c,
                 LineBuf().kvp("recorded_slot", row[first + 1 + j]).kvp("found_slot", carrier_slot(c, j))
                     .kv("slot", j).kv("index", first).kv("n", n)
                     .str(" (a stashed carrier was written after its free)"));
  }
}

}  // namespace hz3
