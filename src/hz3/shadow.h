// S86 central shadow (HZ3_S86_CENTRAL_SHADOW, mutex central only).
//
// While an object sits in a mutex central list, a per-page side record keeps
// one presence bit and the next link it had when it entered. A push of an
// object already present is a duplicate (double free); a pop that finds a
// next link different from the recorded one means somebody wrote to a free
// object (use after free) or the list was spliced. Every update happens under
// the central mutex, which is why the shadow cannot run with S142 central.
#pragma once
#include <cstdint>

#include "hz3/mpsc.h"

namespace hz3 {

// Record the first n nodes of the list at head (called after linking, under the lock).
void shadow_on_push(const BoxCtx& ctx, void* head, uint32_t n);
// Verify and forget the first k nodes of the list at head (before splitting, under the lock).
void shadow_on_pop(const BoxCtx& ctx, void* head, uint32_t k);

}  // namespace hz3
