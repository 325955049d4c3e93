// HZ3_LIST_FAILFAST: a debug shadow of the remote stash.
//
// The stash writes a thread's remote frees, per (owner, class), into
// carriers (carrier.h) and hands them to the owner's xfer when the entry
// fills. A use after free that writes into a stashed carrier would corrupt
// the batch: its link, count or carried addresses. The shadow records each
// entry's objects in push order, so at flush every word a carrier must hold
// is known up front: the verify loads them as independent reads (the CPU
// overlaps the misses) and names any word written since the push. Objects
// that are only carried hold nothing of the allocator's, so a write into one
// corrupts nothing. Only built into lanes with HZ3_LIST_FAILFAST; one row
// per stash entry, in the meta arena, kept when a cache is recycled.
#pragma once
#include <cstdint>

#include "hz3/config.h"
#include "hz3/platform.h"
#include "hz3/remote_stash.h"

namespace hz3 {

// The longest batch a stash entry collects (flush_at of the smallest class).
inline constexpr uint32_t kStashShadowRow = [] {
  uint32_t m = 0;
  for (uint32_t sc = 0; sc < kNumClasses; ++sc)
    if (RemoteStash::flush_at(sc) > m) m = RemoteStash::flush_at(sc);
  return m;
}();

struct StashShadow {
  void* row[RemoteStash::kEntries][kStashShadowRow];  // row[slot][i]: the i-th object stashed
};

// The shadow for a cache being set up: the one it kept from its last thread
// (a recycled cache), else a new one from the meta arena, which never frees.
StashShadow* stash_shadow_attach(StashShadow* kept);

// Record p as object number i (0-based) of entry `slot`. i beyond the row is a
// stash that missed its flush: abort before the shadow is overrun.
[[noreturn]] void stash_shadow_overfull(uint32_t slot, uint32_t i, const void* p, uint16_t owner, uint32_t sc);
HZ3_ALWAYS_INLINE void stash_shadow_note(StashShadow* sh, uint32_t slot, uint32_t i, void* p, uint16_t owner,
                                         uint32_t sc) {
  if (HZ3_UNLIKELY(i >= kStashShadowRow)) stash_shadow_overfull(slot, i, p, owner, sc);
  sh->row[slot][i] = p;
}

// Before entry `slot` (e) is flushed toward (owner, sc) or taken back: its
// head, tail and carrier count must be the ones its n recorded objects make
// ("FAILFAST stash_entry_mismatch"), and every carrier must still link to the
// carrier before it (the first to null) and hold the count and addresses
// recorded: "stash_link_rewritten" (a link) or "stash_carrier_rewritten" (a
// count or an address), naming the carrier. The list is then known whole, as
// a walk (list_check) would know it.
void stash_shadow_verify(const StashShadow* sh, uint32_t slot, const StashEntry& e, uint16_t owner, uint32_t sc);

// Lanes without HZ3_LIST_FAILFAST carry no shadow: the hooks compile to nothing.
HZ3_ALWAYS_INLINE NoStashShadow stash_shadow_attach(NoStashShadow) { return {}; }
HZ3_ALWAYS_INLINE void stash_shadow_note(NoStashShadow, uint32_t, uint32_t, void*, uint16_t, uint32_t) {}
HZ3_ALWAYS_INLINE void stash_shadow_verify(NoStashShadow, uint32_t, const StashEntry&, uint16_t, uint32_t) {}

}  // namespace hz3
