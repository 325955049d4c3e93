#include "hz3/xfer_steal.h"

#include "hz3/config.h"
#include "hz3/list_failfast.h"
#include "hz3/shard.h"
#include "hz3/thread_cache.h"

namespace hz3 {

namespace {

// Offers each other claimed shard once to `take`, starting after the thief so
// thieves spread over the owners instead of all emptying shard 0 first;
// returns the first nonzero count `take` gives back, 0 when none did.
template <class Take>
uint32_t first_victim(uint16_t thief, Take take) {
  const uint32_t high = shard_high_water();
  for (uint32_t k = 1; k < high; ++k) {
    if (uint32_t n = take(static_cast<uint16_t>((thief + k) % high))) return n;
  }
  return 0;
}

// A central list, whole; with shared shards (kShardsShared), only its first
// `shared_max` nodes where the box can split (the mutex list: the lock-free
// steal can only take everything).
template <class Box>
uint32_t steal_central(Box& box, const BoxCtx& ctx, uint32_t min, uint32_t shared_max, Batch& out) {
  if constexpr (kShardsShared && requires { box.steal(ctx, min, out, shared_max); }) {
    return box.steal(ctx, min, out, shared_max);
  } else {
    return box.steal(ctx, min, out);
  }
}

}  // namespace

uint32_t xfer_steal(uint16_t thief, uint32_t sc, uint32_t want, Batch& out, CarrierList& stock) {
  out = Batch{};
  const uint32_t got_xfer = first_victim(thief, [&](uint16_t owner) -> uint32_t {
    const BoxCtx ctx{owner, static_cast<uint16_t>(sc), "steal"};
    Batch got;
    uint32_t carriers = shard_at(owner).xfer[sc].steal(ctx, kStealMinCarriers, got);
    if (!carriers) return 0;
    flight_note(FlightOp::kSteal, FlightBox::kXfer, owner, sc, got.head, carriers);
    out = carrier_unpack_some(ctx, got.head, carriers, want, stock);
    return out.n;
  });
  if (got_xfer) return got_xfer;
  // No xfer backlog: with the mutex forms, an owner's central next. A full
  // mutex xfer overflows there, so most of an idle owner's backlog waits in
  // central (T16 R90: 570 MiB peak RSS without this steal, 340 with it). The
  // lock-free xfer never overflows, so its lanes take central last, just
  // before carving (shard_refill).
  if constexpr (kCentralLockFree) return 0;
  return central_steal(thief, sc, out);
}

uint32_t central_steal(uint16_t thief, uint32_t sc, Batch& out) {
  out = Batch{};
  const uint32_t min = kStealMinCarriers * class_batch(sc);
  return first_victim(thief, [&](uint16_t owner) -> uint32_t {
    Shard& s = shard_at(owner);
    const BoxCtx ctx{owner, static_cast<uint16_t>(sc), "steal"};
    if (!steal_central(s.central[sc], ctx, min, kSharedRefillBatches * class_batch(sc), out)) return 0;
    flight_note(FlightOp::kSteal, FlightBox::kCentral, owner, sc, out.head, out.n);
    s.central_bytes.fetch_sub(int64_t{out.n} * class_size(sc), std::memory_order_relaxed);
    if constexpr (kListFailfast) refill_check(ctx, out);
    return out.n;
  });
}

}  // namespace hz3
