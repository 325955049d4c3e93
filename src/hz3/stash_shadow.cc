#include "hz3/stash_shadow.h"

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

void stash_shadow_verify(const StashShadow* sh, uint32_t slot, uint32_t n, uint16_t owner, uint32_t sc) {
  void* const* row = sh->row[slot];
  // Each iteration's load depends only on the row, not on the previous
  // node: the misses overlap instead of forming a chain.
  for (uint32_t i = 0; i < n; ++i) {
    void* want = i ? row[i - 1] : nullptr;
    void* found = next_of(row[i]);
    if (HZ3_UNLIKELY(found != want))
      failfast("stash_link_rewritten", "stash", owner, static_cast<int>(sc), row[i],
               LineBuf().kvp("recorded_next", want).kvp("found_next", found).kv("index", i).kv("n", n)
                   .str(" (a stashed object was written after its free)"));
  }
}

}  // namespace hz3
