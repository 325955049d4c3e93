// Page reclaim: a page whose every carved object is free in its own shard
// goes back to that shard, which carves it again for whatever class needs a
// page next.
//
// Without it a page serves one class for life, so memory a program frees in
// one size class never serves another: redis under LD_PRELOAD, whose LPOP
// frees the list it built with LPUSH, then carved 41 MiB of fresh pages for
// INCR/SADD/HSET while 63 MiB of list objects sat free (docs/measurements).
//
// When: the shard needs a fresh page, its footprint is at least 1 MiB, its
// central and the caller's bins and carrier stock hold at least a quarter of
// it, and it has carved a quarter of it again (fresh or reclaimed pages)
// since the last scan. A scan walks at most the shard's free objects, so it
// costs O(1) amortized per object carved.
// How: the owner takes every object out of its boxes (xfer and central, all
// classes) and out of its own thread cache's bins and carrier stock (the
// shard's objects only; stolen ones, xfer_steal.h, go home), counts
// them per page, and pushes back all but the objects of pages where the count
// equals the page's carved count (every object is free and accounted for:
// none is live, in a remote stash or in another sharer's bins). The current
// carve page of each class is never reclaimed. Returned objects go to central
// through central_push_list, so they pass the boundary's list check.
// Owner only, under the shard's carve exclusion (shard_refill holds both
// OwnerExcl guards when it carves).
#pragma once
#include <cstdint>

#include "hz3/segment.h"

namespace hz3 {

// Thresholds, in 64 KiB pages.
inline constexpr uint32_t kReclaimMinFootprint = 16;  // no scan below 1 MiB carved
inline constexpr uint32_t kReclaimMinGap = 16;         // pages carved between two scans, at least

// Pages `shard` may reuse, taken off its free-page list; nullptr when none.
PageDesc* reclaimed_page_take(uint16_t shard);
// Should a shard that needs a fresh page scan first? (Counters and the
// caller's bin counts: no list is walked.)
bool page_reclaim_due(uint16_t shard);
// Scan `shard` (see above); returns the number of pages put on its free-page
// list. Restarts the count of pages carved since a scan.
uint32_t page_reclaim(uint16_t shard);

}  // namespace hz3
