// Owner shards. A thread claims a free shard on its first allocation and
// releases it at exit (after flushing its cache and remote stash), so shards
// are reused. Objects carved by a shard's pages belong to it for life (a
// page whose objects are all free may be reclaimed: page_reclaim.h).
//
// Fields: xfer/central are MPSC boxes (any thread pushes, the owner pops);
// `carve`, `cur_segment` and the page-reclaim fields are owner-only (under
// OwnerExcl when kCarveLocked);
// `sharers` is the number of threads bound to the shard (atomic, acq_rel so a
// new owner sees everything the previous one left in the owner-only fields).
#pragma once
#include <atomic>
#include <cstdint>

#include "hz3/carrier.h"
#include "hz3/central.h"
#include "hz3/config.h"
#include "hz3/owner_excl.h"
#include "hz3/segment.h"
#include "hz3/size_class.h"
#include "hz3/xfer.h"

namespace hz3 {

struct ThreadCache;  // thread_cache.h

inline constexpr uint16_t kNoShard = 0xffff;

struct CarveCursor {
  char* cur = nullptr;  // next object to carve in the current page
  char* end = nullptr;  // end of the last whole object of that page
  PageDesc* page = nullptr;
  char* touched = nullptr;  // end of the page's memory known to be backed (os_populate)
};

struct alignas(kCacheLine) Shard {
  XferBox xfer[kNumClasses];
  CentralBox central[kNumClasses];
  OwnerExcl excl;
  CarveCursor carve[kNumClasses];
  Segment* cur_segment = nullptr;
  // Page reclaim (page_reclaim.h), under the carve exclusion like `carve`.
  PageDesc* free_pages = nullptr;  // reclaimed pages, ready for any class
  uint32_t pages_fresh = 0;        // pages taken from segments: the footprint
  uint32_t pages_since_scan = 0;   // pages carved (fresh or reclaimed) since the last scan
  // Bytes of objects in `central`, as pushed and popped (relaxed; a hint for
  // page_reclaim_due, not a count the boxes rely on).
  std::atomic<int64_t> central_bytes{0};
  alignas(kCacheLine) std::atomic<uint32_t> sharers{0};
};

extern Shard g_shards[kNumShards];

inline Shard& shard_at(uint16_t s) { return g_shards[s]; }

// Claim the lowest free shard. None free: FAILFAST shard_collision when
// HZ3_SHARD_COLLISION_FAILFAST=1, else share the least-loaded shard.
uint16_t shard_claim();
// Bind to shard s even if taken (test hook; collision rules apply).
uint16_t shard_claim_specific(uint16_t s);
void shard_release(uint16_t s);
// One past the highest shard ever claimed: shards at or above it have never
// had a thread, so their boxes are empty (xfer_steal scans below it).
uint32_t shard_high_water();
uint32_t shard_sharers(uint16_t s);

// Boundary operations. Each validates the list with HZ3_LIST_FAILFAST.
// Remote frees to `owner` (xfer; a full mutex xfer overflows into central):
// head..tail is a list of n carriers (carrier.h), not of n objects.
// kChecked: the caller has already checked the list as the walk would (the
// stash flush, remote_stash.cc), so the push does not walk it again.
enum class PushCheck : uint8_t { kWalk, kChecked };
void push_remote_list(uint16_t owner, uint32_t sc, void* head, void* tail, uint32_t n,
                      PushCheck check = PushCheck::kWalk);
void central_push_list(uint16_t shard, uint32_t sc, void* head, void* tail, uint32_t n);
// Owner refill: (for a thread cache, when stash_first) the thread's own
// stash entry of the class, then xfer, then central, then (for a thread
// cache) a steal or the stash, then fresh objects carved from a page.
// At least `want` objects when there are that many, up to `limit` when a box
// can hand a whole list over without walking it (out.tail may then be null;
// xfer's part may round up to whole carriers when limit is below one).
// With `tc` (a thread cache's refill), the carriers xfer hands over beyond
// the first `want` objects are not unpacked but left in tc's stock of sc
// (empty on entry) for later refills. tc's stash entry of the class
// (stash_take) comes before the shard's boxes when the class's entries span
// several owners (stash_first); and when the shard has nothing, another
// owner's xfer backlog (xfer_steal.h), else another thread's stock
// (stock_shelf.h), else the stash, is taken before carving. So `out` and the
// stock may then hold another owner's objects (the stock's owner says whose).
// Returns the number of objects in `out` (0 only when the OS is out of memory).
uint32_t shard_refill(uint16_t shard, uint32_t sc, uint32_t want, uint32_t limit, Batch& out,
                      ThreadCache* tc = nullptr);

// Schedule build only, heap empty (sched::heap_reset): every shard as new,
// and no shard ever claimed, so a run does not depend on the ones before it.
void shards_reset();

// fork(): hold every shard lock and box lock (prepare), release them after.
void shards_fork_lock();
void shards_fork_unlock();

}  // namespace hz3
