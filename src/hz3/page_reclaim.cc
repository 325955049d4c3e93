#include "hz3/page_reclaim.h"

#include "hz3/carrier.h"
#include "hz3/mpsc.h"
#include "hz3/shard.h"
#include "hz3/thread_cache.h"

namespace hz3 {

namespace {

// free_seen's top bit: the page was found whole in this scan (its count in
// the low bits stays, so later objects of the page are recognized too).
constexpr uint32_t kWhole = 0x80000000u;

// A list taken out of a box or a bin: exactly n nodes from head.
struct Taken {
  void* head = nullptr;
  uint32_t n = 0;
};

// One class: a page serves one class at a time, so its free objects are all
// in this class's lists and the scan needs no state across classes.
// tc: the caller's cache when it is the shard's, whose bin and stock of the
// class are scanned too (their objects of other owners, after a steal, are
// sent home instead: their pages are not this shard's to count).
uint32_t reclaim_class(Shard& s, uint16_t shard, uint32_t sc, ThreadCache* tc) {
  Taken taken[4];
  uint32_t nt = 0;
  Batch b;
  if (s.xfer[sc].pending()) {  // xfer holds carriers (carrier.h): unpack them into a plain list
    const BoxCtx ctx{shard, static_cast<uint16_t>(sc), "xfer"};
    if (uint32_t carriers = s.xfer[sc].pop(ctx, UINT32_MAX, UINT32_MAX, b)) {
      b = carrier_unpack(ctx, b.head, carriers);
      taken[nt++] = Taken{b.head, b.n};
    }
  }
  if (s.central[sc].pending() &&
      s.central[sc].pop(BoxCtx{shard, static_cast<uint16_t>(sc), "central"}, UINT32_MAX, UINT32_MAX, b)) {
    s.central_bytes.fetch_sub(int64_t{b.n} * class_size(sc), std::memory_order_relaxed);
    taken[nt++] = Taken{b.head, b.n};
  }
  // The thread's own stock, off its shelf: another owner's goes back on it.
  CarrierList stock;
  if (tc && shelf_take(tc->shelf, sc, stock)) {
    if (stock.owner == shard) {
      b = carrier_unpack(BoxCtx{shard, static_cast<uint16_t>(sc), "stock"}, stock.head, stock.carriers);
      taken[nt++] = Taken{b.head, b.n};
    } else {
      shelf_put(tc->shelf, sc, stock);
    }
  }
  Bin* bin = tc ? &tc->bins[sc] : nullptr;
  if (bin && bin->count) {
    b = bin_take_own(tc, sc, bin->head, bin->count);
    bin->count = 0;
    if (b.n) taken[nt++] = Taken{b.head, b.n};
  }
  if (!nt) return 0;

  for (uint32_t t = 0; t < nt; ++t) {  // count the free objects of every page
    void* p = taken[t].head;
    for (uint32_t i = 0; i < taken[t].n; ++i, p = next_of(p)) ++page_desc_of(p).free_seen;
  }
  // Split: objects of whole pages are dropped (each such page goes on the
  // free list once), the rest are relinked into one list.
  Batch keep;
  PageDesc* whole = nullptr;
  uint32_t reclaimed = 0;
  for (uint32_t t = 0; t < nt; ++t) {
    void* p = taken[t].head;
    for (uint32_t i = 0; i < taken[t].n; ++i) {
      void* next = next_of(p);
      PageDesc* pd = &page_desc_of(p);
      if (!(pd->free_seen & kWhole) && pd->free_seen == pd->carved.load(std::memory_order_relaxed) &&
          pd != s.carve[sc].page) {
        pd->free_seen |= kWhole;
        pd->next_free = whole;
        whole = pd;
        ++reclaimed;
      }
      if (!(pd->free_seen & kWhole)) batch_push_back(keep, p);
      p = next;
    }
  }
  if (keep.n) {  // forget the counts; the kept objects go to central
    set_next(keep.tail, nullptr);
    void* p = keep.head;
    for (uint32_t i = 0; i < keep.n; ++i, p = next_of(p)) page_desc_of(p).free_seen = 0;
  }
  while (whole) {  // unused again: any class may carve it
    PageDesc* pd = whole;
    whole = pd->next_free;
    pd->free_seen = 0;
    pd->sc = kNoClass;
    pd->carved.store(0, std::memory_order_relaxed);
    pd->next_free = s.free_pages;
    s.free_pages = pd;
  }
  if (keep.n) central_push_list(shard, sc, keep.head, keep.tail, keep.n);
  return reclaimed;
}

}  // namespace

PageDesc* reclaimed_page_take(uint16_t shard) {
  Shard& s = shard_at(shard);
  PageDesc* pd = s.free_pages;
  if (pd) {
    s.free_pages = pd->next_free;
    pd->next_free = nullptr;
  }
  return pd;
}

bool page_reclaim_due(uint16_t shard) {
  const Shard& s = shard_at(shard);
  uint32_t gap = s.pages_fresh / 4 > kReclaimMinGap ? s.pages_fresh / 4 : kReclaimMinGap;
  if (s.pages_fresh < kReclaimMinFootprint || s.pages_since_scan < gap) return false;
  // A quarter of the footprint free in central and the caller's bins and
  // carrier stock (which may hold a whole backlog: alloc_slow): enough to be
  // worth a scan.
  int64_t free_bytes = s.central_bytes.load(std::memory_order_relaxed);
  const ThreadCache* tc = t_cache;
  if (!cache_is_empty_sentinel(tc) && tc->shard == shard)
    for (uint32_t sc = 0; sc < kNumClasses; ++sc) {
      // Stocked carriers are counted as full, and a bin's stolen objects
      // (xfer_steal.h) as the shard's: an estimate, as the whole test is.
      // (Peeked, as a thief may take it meanwhile: segments stay mapped, so
      // the head's segment can still be asked whose it is.)
      const CarrierList st = shelf_peek(tc->shelf, sc);
      const bool own = st.head && segment_of(st.head)->owner == shard;
      const int64_t stocked = own ? int64_t{st.carriers} * (1 + carrier_slots(sc)) : 0;
      free_bytes += (int64_t{tc->bins[sc].count} + stocked) * class_size(sc);
    }
  return free_bytes * 4 >= int64_t{s.pages_fresh} * static_cast<int64_t>(kPageSize);
}

uint32_t page_reclaim(uint16_t shard) {
  Shard& s = shard_at(shard);
  s.pages_since_scan = 0;
  ThreadCache* tc = t_cache;
  const bool own_bins = !cache_is_empty_sentinel(tc) && tc->shard == shard;
  uint32_t reclaimed = 0;
  for (uint32_t sc = 0; sc < kNumClasses; ++sc)
    reclaimed += reclaim_class(s, shard, sc, own_bins ? tc : nullptr);
  return reclaimed;
}

}  // namespace hz3
