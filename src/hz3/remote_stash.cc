#include "hz3/remote_stash.h"

#include "hz3/carrier.h"
#include "hz3/platform.h"
#include "hz3/sched_point.h"
#include "hz3/shard.h"
#include "hz3/stash_shadow.h"
#include "hz3/thread_cache.h"

namespace hz3 {

// A flushed entry was just verified word by word and end to end by its shadow
// (stash_shadow_verify), and its objects one by one as they were freed
// (free_check): the push need not walk it again (callgrind, failfast T16 R90:
// 11 M of 245 M allocator instructions). Without free_check, it walks.
static constexpr PushCheck kFlushPushCheck = kFreeFailfast ? PushCheck::kChecked : PushCheck::kWalk;

void stash_flush_entry(RemoteStash& s, StashEntry& e) {
  if (e.n) {
    const uint16_t owner = RemoteStash::owner_of(e.key);
    const uint32_t sc = RemoteStash::sc_of(e.key);
    carrier_set_count(e.head, e.fill);
    HZ3_SCHED_POINT_N("stash", "flush", e.head, e.n);
    stash_shadow_verify(s.shadow, uint32_t(&e - s.e), e, owner, sc);
    push_remote_list(owner, sc, e.head, e.tail, e.carriers, kFlushPushCheck);
    --s.in_class[sc];
  }
  e = StashEntry{};
}

// A key displacing another: flush the old entry, start the new one with p as
// its first carrier. Out of line, so the common path below stays a frameless
// leaf.
[[gnu::noinline]] static void stash_start(RemoteStash& s, StashEntry& e, void* p, uint32_t key) {
  stash_flush_entry(s, e);
  e.key = key;
  ++s.in_class[RemoteStash::sc_of(key)];
  e.tail = p;
  set_next(p, nullptr);
  e.head = p;
  e.n = 1;  // flush_at is at least 4
  e.carriers = 1;
  e.newest = p;  // HZ3_FREE_FAILFAST only (remote_stash.h)
  stash_shadow_note(s.shadow, uint32_t(&e - s.e), 0, p, RemoteStash::owner_of(key), RemoteStash::sc_of(key));
}

void stash_push(RemoteStash& s, void* p, uint16_t owner, uint32_t sc) {
  uint32_t key = RemoteStash::key_of(owner, sc);
  StashEntry& e = s.e[RemoteStash::slot_of(key)];
  if (HZ3_UNLIKELY(e.key != key)) return stash_start(s, e, p, key);
  if (e.fill < carrier_slots(sc)) {  // p is carried: not a word of it is written
    carrier_set_slot(e.head, e.fill++, p);
  } else {  // the head carrier is full: p carries the next ones
    carrier_set_count(e.head, e.fill);
    set_next(p, e.head);
    e.head = p;
    e.fill = 0;
    ++e.carriers;
  }
  e.newest = p;  // HZ3_FREE_FAILFAST only (remote_stash.h)
  stash_shadow_note(s.shadow, uint32_t(&e - s.e), e.n, p, owner, sc);
  if (++e.n >= RemoteStash::flush_at(sc)) stash_flush_entry(s, e);
}

uint32_t stash_take(RemoteStash& s, uint32_t sc, uint32_t want, Batch& out, CarrierList& stock) {
  out = Batch{};
  if (!s.in_class[sc]) return 0;
  // Each owner's entry for sc has one slot (slot_of); only shards ever
  // claimed can have one. The thread's own shard never does (its frees go
  // to its bins).
  StashEntry* best = nullptr;
  const uint32_t high = shard_high_water();
  for (uint32_t owner = 0; owner < high; ++owner) {
    const uint32_t key = RemoteStash::key_of(static_cast<uint16_t>(owner), sc);
    StashEntry& e = s.e[RemoteStash::slot_of(key)];
    if (e.key == key && (!best || e.n > best->n)) best = &e;
  }
  if (!best) return 0;
  StashEntry& e = *best;
  const uint16_t owner = RemoteStash::owner_of(e.key);
  // Ended and checked as a flush would (stash_flush_entry).
  carrier_set_count(e.head, e.fill);
  stash_shadow_verify(s.shadow, uint32_t(&e - s.e), e, owner, sc);
  const BoxCtx ctx{owner, static_cast<uint16_t>(sc), "stash"};
  flight_note(FlightOp::kPop, FlightBox::kStash, owner, sc, e.head, e.n);
  out = carrier_unpack_some(ctx, e.head, e.carriers, want, stock);
  --s.in_class[sc];
  e = StashEntry{};
  return out.n;
}

void stash_flush_all(RemoteStash& s) {
  for (StashEntry& e : s.e) stash_flush_entry(s, e);
}

}  // namespace hz3
