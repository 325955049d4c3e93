// Test hooks and the quiescent heap check (object conservation).
#include <atomic>
#include <cstring>

#include "hz3.h"
#include "hz3/alloc.h"
#include "hz3/carrier.h"
#include "hz3/failfast.h"
#include "hz3/large.h"
#include "hz3/list_failfast.h"
#include "hz3/shard.h"

using namespace hz3;

namespace {

ThreadCache* current_cache() {
  ThreadCache* tc = t_cache;
  if (cache_is_empty_sentinel(tc)) {
    global_init();
    tc = thread_cache_init();
  }
  return tc;
}

// One bit per possible object of every page in use; the segment's `reserved`
// field temporarily holds its ordinal so a page's bits are found in O(1).
constexpr size_t kBitsPerPage = kPageSize / 16;
constexpr size_t kBytesPerPage = kBitsPerPage / 8;

struct Census {
  unsigned char* bits = nullptr;
  size_t nsegments = 0;
  hz3_heap_report* rep = nullptr;
  size_t* counter = nullptr;
  const char* where = "";
  uint32_t sc = 0;  // the class of the carriers being walked
  // The shard whose box is walked: a box holds only its shard's objects (a
  // stolen object, xfer_steal.h, must have gone home); -1 for caches and
  // stashes, which may hold any owner's.
  int owner = -1;
  bool failed = false;
};

bool fail(Census& c, const void* p, const char* what) {
  if (!c.failed) {
    c.failed = true;
    LineBuf msg;
    msg.str(what).str(" in ").str(c.where).kvp("ptr", p);
    if (granule_kind(p) == GranuleKind::kSegment && segment_of(p)->magic == kSegmentMagic) {
      Segment* seg = segment_of(p);
      msg.kv("shard", seg->owner).kv("sc", seg->pages[page_index_of(p)].sc);
    }
    size_t n = msg.size() < sizeof(c.rep->error) - 1 ? msg.size() : sizeof(c.rep->error) - 1;
    for (size_t i = 0; i < n; ++i) c.rep->error[i] = msg.c_str()[i];
    c.rep->error[n] = 0;
  }
  return false;
}

bool mark(void* p, void* arg) {
  Census& c = *static_cast<Census*>(arg);
  if (c.failed) return false;
  if (const char* why = object_defect(p, c.owner, -1)) return fail(c, p, why);
  Segment* seg = segment_of(p);
  size_t page = seg->reserved * kPagesPerSegment + page_index_of(p);
  uint32_t idx = static_cast<uint32_t>((reinterpret_cast<uintptr_t>(p) & (kPageSize - 1)) /
                                       class_size(seg->pages[page_index_of(p)].sc));
  unsigned char* byte = c.bits + page * kBytesPerPage + idx / 8;
  unsigned char bit = static_cast<unsigned char>(1u << (idx % 8));
  if (*byte & bit) return fail(c, p, "duplicate_object");
  *byte |= bit;
  ++*c.counter;
  return true;
}

// A carrier holding k objects (carrier.h): itself, then each carried one.
bool mark_carrier_k(void* p, uint32_t k, Census& c) {
  if (k > carrier_slots(c.sc)) return fail(c, p, "carrier_bad_count");
  if (!mark(p, &c)) return false;
  for (uint32_t j = 0; j < k; ++j)
    if (!mark(carrier_slot(p, j), &c)) return false;
  return true;
}

bool mark_carrier(void* p, void* arg) {
  Census& c = *static_cast<Census*>(arg);
  if (c.failed) return false;
  if (const char* why = object_defect(p, c.owner, static_cast<int>(c.sc))) return fail(c, p, why);
  return mark_carrier_k(p, carrier_count(p), c);
}

void census_cache(ThreadCache* tc, void* arg) {
  Census& c = *static_cast<Census*>(arg);
  for (uint32_t sc = 0; sc < kNumClasses && !c.failed; ++sc) {
    c.where = "tcache";
    c.counter = &c.rep->in_tcache;
    void* p = tc->bins[sc].head;
    uint32_t seen = 0;
    while (p && seen < tc->bins[sc].count && mark(p, &c)) {
      p = next_of(p);
      ++seen;
    }
    if (!c.failed && (p || seen != tc->bins[sc].count)) fail(c, p, "bin_count_mismatch");
  }
  for (uint32_t sc = 0; sc < kNumClasses && !c.failed; ++sc) {
    c.where = "stock";
    c.counter = &c.rep->in_tcache;
    c.sc = sc;
    const CarrierList st = shelf_peek(tc->shelf, sc);
    void* p = st.head;
    uint32_t seen = 0;
    while (p && seen < st.carriers && mark_carrier(p, &c)) {
      p = next_of(p);
      ++seen;
    }
    if (!c.failed && (p || seen != st.carriers)) fail(c, p, "stock_count_mismatch");
  }
  for (StashEntry& e : tc->stash.e) {
    c.where = "stash";
    c.counter = &c.rep->in_stash;
    // Carriers: the head's count is still in e.fill (written at flush).
    c.sc = RemoteStash::sc_of(e.key);
    void* p = e.head;
    uint32_t seen = 0;
    for (uint32_t i = 0; p && i < e.carriers; ++i) {
      uint32_t k = p == e.head ? e.fill : carrier_count(p);
      if (!mark_carrier_k(p, k, c)) break;
      seen += 1 + k;
      p = next_of(p);
    }
    if (!c.failed && (p || seen != e.n)) fail(c, p, "stash_count_mismatch");
  }
}

// The bitmap scratch is kept between checks (grow-only), so a fuzzer that
// checks after every input does not pay a mapping and its page faults each time.
constinit unsigned char* g_scratch = nullptr;
constinit size_t g_scratch_bytes = 0;

unsigned char* scratch(size_t bytes) {
  if (bytes > g_scratch_bytes) {
    if (g_scratch) os_unmap(g_scratch, g_scratch_bytes);
    size_t want = align_up(bytes * 2, 1 << 16);
    g_scratch = static_cast<unsigned char*>(os_map(want));
    if (!g_scratch) failfast("os_out_of_memory", "heap_check", kNoShardField, kNoScField, nullptr, "");
    g_scratch_bytes = want;
  }
  memset(g_scratch, 0, bytes);
  return g_scratch;
}

// Index of the first clear bit below `count`, or count when all are set.
uint32_t first_unset(const unsigned char* bits, uint32_t count) {
  uint32_t full = count / 64;
  for (uint32_t w = 0; w < full; ++w) {
    uint64_t v;
    memcpy(&v, bits + w * 8, 8);
    if (~v) return w * 64 + static_cast<uint32_t>(__builtin_ctzll(~v));
  }
  for (uint32_t i = full * 64; i < count; ++i)
    if (!(bits[i / 8] & (1u << (i % 8)))) return i;
  return count;
}

int heap_check(void* const* live, size_t nlive, bool live_known, hz3_heap_report* rep) {
  *rep = hz3_heap_report{};
  Census c;
  c.rep = rep;
  // Boxes of (shard, class) pairs that own no page can only hold objects that
  // were never ours, which the list checks refuse at the boundary: walking
  // just the pairs with pages keeps the check proportional to the heap.
  static constexpr size_t kPairs = size_t{kNumShards} * kNumClasses;
  uint64_t used_pair[(kPairs + 63) / 64] = {};
  for (Segment* s = segment_list_head(); s; s = s->next_segment) {
    s->reserved = static_cast<uint32_t>(c.nsegments++);
    uint16_t used = s->next_page.load(std::memory_order_relaxed);
    for (unsigned pi = 1; pi < used; ++pi) {
      if (s->pages[pi].sc == kNoClass) continue;  // reclaimed, not carved again yet
      size_t pair = size_t{s->owner} * kNumClasses + s->pages[pi].sc;
      used_pair[pair / 64] |= uint64_t{1} << (pair % 64);
    }
  }
  size_t bytes = c.nsegments * kPagesPerSegment * kBytesPerPage;
  if (bytes) c.bits = scratch(bytes);

  c.where = "live";
  c.counter = &rep->live;
  for (size_t i = 0; i < nlive && !c.failed; ++i) {
    GranuleKind k = granule_kind(live[i]);
    if (k == GranuleKind::kLarge || k == GranuleKind::kLargeFar) {
      if (!large_header(live[i], k)) fail(c, live[i], "not_a_live_large_object");
      continue;
    }
    mark(live[i], &c);
  }
  if (!c.failed) registry_for_each(census_cache, &c);
  for (size_t pair = 0; pair < kPairs && !c.failed; ++pair) {
    if (!(used_pair[pair / 64] >> (pair % 64) & 1)) continue;
    Shard& sh = shard_at(static_cast<uint16_t>(pair / kNumClasses));
    uint32_t sc = static_cast<uint32_t>(pair % kNumClasses);
    c.where = "xfer";
    c.counter = &rep->in_xfer;
    c.sc = sc;
    c.owner = static_cast<int>(pair / kNumClasses);
    sh.xfer[sc].walk_quiescent(mark_carrier, &c);  // xfer holds carriers (carrier.h)
    c.where = "central";
    c.counter = &rep->in_central;
    if (!c.failed) sh.central[sc].walk_quiescent(mark, &c);
    c.owner = -1;
  }
  // Every carved object must have been seen: anything else was lost. When
  // the caller cannot name its live objects, the unseen ones are counted as
  // live instead.
  c.where = "carved pages";
  for (Segment* s = segment_list_head(); s && !c.failed; s = s->next_segment) {
    uint16_t used = s->next_page.load(std::memory_order_relaxed);
    for (unsigned pi = 1; pi < used && !c.failed; ++pi) {
      const PageDesc& pd = s->pages[pi];
      uint32_t carved = pd.carved.load(std::memory_order_relaxed);
      rep->carved += carved;
      if (!live_known) continue;
      const unsigned char* bits = c.bits + (s->reserved * kPagesPerSegment + pi) * kBytesPerPage;
      uint32_t missing = first_unset(bits, carved);
      if (missing < carved) fail(c, s->page_base(pi) + size_t{missing} * class_size(pd.sc), "lost_object");
    }
  }
  if (!live_known && !c.failed)
    rep->live = rep->carved - rep->in_tcache - rep->in_stash - rep->in_xfer - rep->in_central;
  rep->large_live = large_count();
  rep->ok = !c.failed;
  return c.failed ? -1 : 0;
}

}  // namespace

extern "C" {

unsigned hz3_debug_current_shard(void) { return current_cache()->shard; }

unsigned hz3_debug_shard_sharers(unsigned shard) {
  return shard < kNumShards ? shard_sharers(static_cast<uint16_t>(shard)) : 0;
}

int hz3_debug_bind_shard(unsigned shard) {
  if (shard >= kNumShards) return -1;
  ThreadCache* tc = current_cache();
  if (tc->shard == shard) return 0;
  thread_cache_flush(tc);
  shard_release(tc->shard);
  tc->shard = shard_claim_specific(static_cast<uint16_t>(shard));
  return 0;
}

void hz3_debug_flush_thread(void) { thread_cache_flush(current_cache()); }

void hz3_debug_thread_detach(void) { thread_cache_teardown(); }

void hz3_debug_pin_bin_batches(unsigned n) {
  pin_bin_batches(n);
  reset_bin_caps(current_cache());
}

int hz3_debug_heap_check(void* const* live, size_t nlive, hz3_heap_report* report) {
  hz3_heap_report local;
  return heap_check(live, nlive, true, report ? report : &local);
}

int hz3_debug_heap_check_free_lists(hz3_heap_report* report) {
  hz3_heap_report local;
  return heap_check(nullptr, 0, false, report ? report : &local);
}

void hz3_debug_heap_check_or_die(void* const* live, size_t nlive) {
  hz3_heap_report rep;
  if (heap_check(live, nlive, true, &rep) != 0)
    failfast("conservation", "heap_check", kNoShardField, kNoScField, nullptr, rep.error);
}

}  // extern "C"
