#include "hz3/shard.h"

#include <new>

#include "hz3/asan_poison.h"
#include "hz3/carrier.h"
#include "hz3/failfast.h"
#include "hz3/list_failfast.h"
#include "hz3/page_reclaim.h"
#include "hz3/sched_point.h"
#include "hz3/segment_map.h"
#include "hz3/stock_shelf.h"
#include "hz3/thread_cache.h"
#include "hz3/xfer_steal.h"

namespace hz3 {

constinit Shard g_shards[kNumShards];

namespace {

constinit std::atomic<uint32_t> g_shard_high{0};

uint16_t note_claimed(uint16_t s) {
  uint32_t high = g_shard_high.load(std::memory_order_relaxed);
  while (high < s + 1u && !g_shard_high.compare_exchange_weak(high, s + 1u, std::memory_order_relaxed)) {
  }
  return s;
}

BoxCtx ctx_of(uint16_t shard, uint32_t sc, const char* where) {
  return BoxCtx{shard, static_cast<uint16_t>(sc), where};
}

[[noreturn, maybe_unused]] void collision(uint16_t wanted) {
  LineBuf d;
  d.str(" no free shard for a new thread").kv("shards", kNumShards);
  if (wanted != kNoShard) d.kv("wanted", wanted);
  d.str(" (HZ3_SHARD_COLLISION_FAILFAST=1; use the tolerant lane to allow sharing)");
  failfast("shard_collision", "shard_claim", wanted == kNoShard ? kNoShardField : wanted,
           kNoScField, nullptr, d);
}

// Carve up to `want` objects of class sc for `shard` (owner only).
uint32_t carve(uint16_t shard, uint32_t sc, uint32_t want, Batch& out) {
  Shard& s = shard_at(shard);
  CarveCursor& c = s.carve[sc];
  const uint32_t size = class_size(sc);
  if (c.cur == c.end) {
    // A reclaimed page first (scanning for some when due), else a fresh one.
    PageDesc* pd = reclaimed_page_take(shard);
    if (!pd && page_reclaim_due(shard) && page_reclaim(shard)) pd = reclaimed_page_take(shard);
    Segment* seg;
    unsigned idx;
    const bool fresh = pd == nullptr;
    if (pd) {
      seg = segment_of(pd);
      idx = seg->page_index(pd);
    } else {
      seg = s.cur_segment;
      if (!seg || seg->next_page.load(std::memory_order_relaxed) == kPagesPerSegment) {
        seg = segment_create(shard);
        if (!seg) return 0;
        s.cur_segment = seg;
      }
      idx = seg->next_page.load(std::memory_order_relaxed);
      pd = &seg->pages[idx];
      seg->next_page.store(static_cast<uint16_t>(idx + 1), std::memory_order_relaxed);
      ++s.pages_fresh;
    }
    pd->sc = static_cast<uint16_t>(sc);
    ++s.pages_since_scan;
    c.page = pd;
    c.cur = seg->page_base(idx);
    c.end = c.cur + (kPageSize / size) * size;
    c.touched = fresh ? c.cur : c.cur + kPageSize;  // a reclaimed page is backed already
  }
  uint32_t avail = static_cast<uint32_t>((c.end - c.cur) / size);
  uint32_t k = want < avail ? want : avail;
  char* p = c.cur;
  // Fresh memory: back the OS pages this carve writes a link into with one
  // call rather than a fault each. Up to 4 KiB objects each of those pages
  // holds a link, so the RSS is what the links make it; a larger object's
  // inner pages are left for the program to touch. Fewer than two new pages:
  // the fault costs as much as the call (bench_page_fault).
  if (size <= kOsPage) {
    char* back_end = reinterpret_cast<char*>(
        align_up(reinterpret_cast<uintptr_t>(p + size_t{k - 1} * size + sizeof(void*)), kOsPage));
    if (back_end > c.touched) {
      const size_t fresh_bytes = static_cast<size_t>(back_end - c.touched);
      if (fresh_bytes >= 2 * kOsPage) os_populate(c.touched, fresh_bytes);
      c.touched = back_end;
    }
  }
  for (uint32_t i = 0; i + 1 < k; ++i) set_next(p + i * size, p + (i + 1) * size);
  set_next(p + (k - 1) * size, nullptr);
  asan_poison(p, size_t{k} * size);  // carved objects are free until malloc hands them out
  out.head = p;
  out.tail = p + (k - 1) * size;
  out.n = k;
  c.cur += k * size;
  c.page->carved.fetch_add(k, std::memory_order_relaxed);
  return k;
}

}  // namespace

uint16_t shard_claim() {
  for (uint16_t s = 0; s < kNumShards; ++s) {
    uint32_t expected = 0;
    HZ3_SCHED_POINT_N("shard", "claim.cas", &g_shards[s].sharers, s);
    if (g_shards[s].sharers.compare_exchange_strong(expected, 1, std::memory_order_acq_rel,
                                                    std::memory_order_relaxed)) {
      HZ3_SCHED_POINT_N("shard", "claimed", &g_shards[s].sharers, s);
      return note_claimed(s);
    }
  }
  if constexpr (kCollisionFailfast) collision(kNoShard);
  uint16_t best = 0;
  for (uint16_t s = 1; s < kNumShards; ++s)
    if (g_shards[s].sharers.load(std::memory_order_relaxed) <
        g_shards[best].sharers.load(std::memory_order_relaxed))
      best = s;
  HZ3_SCHED_POINT_N("shard", "share", &g_shards[best].sharers, best);
  g_shards[best].sharers.fetch_add(1, std::memory_order_acq_rel);
  HZ3_SCHED_POINT_N("shard", "shared", &g_shards[best].sharers, best);
  return best;
}

uint16_t shard_claim_specific(uint16_t s) {
  uint32_t expected = 0;
  HZ3_SCHED_POINT_N("shard", "claim.cas", &g_shards[s].sharers, s);
  if (g_shards[s].sharers.compare_exchange_strong(expected, 1, std::memory_order_acq_rel,
                                                  std::memory_order_relaxed)) {
    HZ3_SCHED_POINT_N("shard", "claimed", &g_shards[s].sharers, s);
    return note_claimed(s);
  }
  if constexpr (kCollisionFailfast) collision(s);
  HZ3_SCHED_POINT_N("shard", "share", &g_shards[s].sharers, s);
  g_shards[s].sharers.fetch_add(1, std::memory_order_acq_rel);
  HZ3_SCHED_POINT_N("shard", "shared", &g_shards[s].sharers, s);
  return s;
}

void shard_release(uint16_t s) {
  HZ3_SCHED_POINT_N("shard", "release", &g_shards[s].sharers, s);
  g_shards[s].sharers.fetch_sub(1, std::memory_order_acq_rel);
  HZ3_SCHED_POINT_N("shard", "released", &g_shards[s].sharers, s);
}

uint32_t shard_high_water() { return g_shard_high.load(std::memory_order_relaxed); }

uint32_t shard_sharers(uint16_t s) { return g_shards[s].sharers.load(std::memory_order_relaxed); }

void push_remote_list(uint16_t owner, uint32_t sc, void* head, void* tail, uint32_t n, PushCheck check) {
  BoxCtx ctx = ctx_of(owner, sc, "xfer");
  flight_note(FlightOp::kPush, FlightBox::kXfer, owner, sc, head, n);
  if constexpr (kListFailfast)
    if (check == PushCheck::kWalk) list_check(ctx, head, tail, n);
  if (!shard_at(owner).xfer[sc].push(ctx, head, tail, n)) {  // mutex xfer full: overflow (S42)
    Batch plain = carrier_unpack(ctx, head, n);
    central_push_list(owner, sc, plain.head, plain.tail, plain.n);
  }
}

void central_push_list(uint16_t shard, uint32_t sc, void* head, void* tail, uint32_t n) {
  BoxCtx ctx = ctx_of(shard, sc, "central");
  flight_note(FlightOp::kPush, FlightBox::kCentral, shard, sc, head, n);
  if constexpr (kListFailfast) list_check(ctx, head, tail, n);
  shard_at(shard).central_bytes.fetch_add(int64_t{n} * class_size(sc), std::memory_order_relaxed);
  shard_at(shard).central[sc].push(ctx, head, tail, n);
}

uint32_t shard_refill(uint16_t shard, uint32_t sc, uint32_t want, uint32_t limit, Batch& out,
                      ThreadCache* tc) {
  CarrierList* stock = tc ? &tc->stock[sc] : nullptr;
  out = Batch{};
  // The thread's own outgoing frees of the class, spread over several owners'
  // partial entries, come first (stash_first, remote_stash.h): they are
  // reused where they were freed instead of waiting there for full batches
  // (peak RSS at T16 R90: docs/measurements/2026-12-04-stash-first.md); what
  // is taken goes home when freed again. Thread-private: no box, no OwnerExcl.
  if constexpr (kXferSteal) {
    if (tc && stash_first(tc->stash, sc) && stash_take(tc->stash, sc, want, out, *stock)) return out.n;
  }
  Shard& s = shard_at(shard);
  OwnerExclPopGuard pop_guard(s.excl.mutex());
  Batch part;
  if (s.xfer[sc].pending()) {
    BoxCtx ctx = ctx_of(shard, sc, "xfer");
    // The box counts carriers (carrier.h): ask for enough of them to hold want.
    // The whole list is still taken when the box can hand it over (a pop
    // capped at 8 times want, which left the rest in the box, measured 1-4%
    // slower). With a stock, only a batch of it is unpacked now; the rest
    // waits there packed and is unpacked a batch at a time (alloc_slow).
    const uint32_t per = 1 + carrier_slots(sc);
    const uint32_t want_c = (want + per - 1) / per;
    const uint32_t limit_c = limit / per > want_c ? limit / per : want_c;
    if (uint32_t carriers = s.xfer[sc].pop(ctx, want_c, limit_c, part)) {
      flight_note(FlightOp::kPop, FlightBox::kXfer, shard, sc, part.head, carriers);
      out = stock ? carrier_unpack_some(ctx, part.head, carriers, want, *stock)
                  : carrier_unpack(ctx, part.head, carriers);
    }
  }
  if (out.n < want && s.central[sc].pending()) {
    BoxCtx ctx = ctx_of(shard, sc, "central");
    // Shared shard: a long list stays for the shard-mates (kShardsShared).
    uint32_t central_limit = limit - out.n;
    if constexpr (kShardsShared) {
      if (central_limit > kSharedRefillBatches * want) central_limit = kSharedRefillBatches * want;
    }
    if (s.central[sc].pop(ctx, want - out.n, central_limit, part)) {
      flight_note(FlightOp::kPop, FlightBox::kCentral, shard, sc, part.head, part.n);
      s.central_bytes.fetch_sub(int64_t{part.n} * class_size(sc), std::memory_order_relaxed);
      if constexpr (kListFailfast) refill_check(ctx, part);
      batch_join(out, part);  // the xfer part's tail is known (carrier_unpack)
    }
  }
  // Nothing of its own: another owner's idle backlog before a fresh page
  // (xfer_steal.h), else another thread's carrier stock (stock_shelf.h),
  // else the thread's own outgoing frees of the class, still in its stash,
  // else (lock-free central; the mutex one went with the xfer steal) another
  // owner's central. Only for a thread cache's refill, the one place foreign
  // objects are allowed.
  if constexpr (kXferSteal) {
    if (out.n == 0 && tc && xfer_steal(shard, sc, want, out, *stock)) return out.n;
    if (out.n == 0 && tc && stock_steal(tc, sc, want, out, *stock)) return out.n;
    if (out.n == 0 && tc && stash_take(tc->stash, sc, want, out, *stock)) return out.n;
    if constexpr (kCentralLockFree) {
      if (out.n == 0 && tc && central_steal(shard, sc, out)) return out.n;
    }
  }
  if (out.n == 0) {
    OwnerExclCarveGuard carve_guard(s.excl.mutex());
    if (carve(shard, sc, want, part)) {
      flight_note(FlightOp::kCarve, FlightBox::kPage, shard, sc, part.head, part.n);
      out = part;
    }
  }
  return out.n;
}

void shards_reset() {
  for (Shard& s : g_shards) new (&s) Shard;
  g_shard_high.store(0, std::memory_order_relaxed);
}

void shards_fork_lock() {
  for (Shard& s : g_shards) s.excl.mutex().lock();
  for (Shard& s : g_shards)
    for (uint32_t sc = 0; sc < kNumClasses; ++sc) {
      s.xfer[sc].fork_lock();
      s.central[sc].fork_lock();
    }
}

void shards_fork_unlock() {
  for (Shard& s : g_shards)
    for (uint32_t sc = 0; sc < kNumClasses; ++sc) {
      s.central[sc].fork_unlock();
      s.xfer[sc].fork_unlock();
    }
  for (Shard& s : g_shards) s.excl.mutex().unlock();
}

}  // namespace hz3
