#include "hz3/xfer_steal.h"

#include "hz3/config.h"
#include "hz3/shard.h"
#include "hz3/thread_cache.h"

namespace hz3 {

uint32_t xfer_steal(uint16_t thief, uint32_t sc, uint32_t want, Batch& out, CarrierList& stock) {
  out = Batch{};
  const uint32_t high = shard_high_water();
  // Start after the thief, so thieves spread over the owners instead of all
  // emptying shard 0 first.
  for (uint32_t k = 1; k < high; ++k) {
    const uint16_t owner = static_cast<uint16_t>((thief + k) % high);
    const BoxCtx ctx{owner, static_cast<uint16_t>(sc), "steal"};
    Batch got;
    uint32_t carriers = shard_at(owner).xfer[sc].steal(ctx, kStealMinCarriers, got);
    if (!carriers) continue;
    flight_note(FlightOp::kSteal, FlightBox::kXfer, owner, sc, got.head, carriers);
    out = carrier_unpack_some(ctx, got.head, carriers, want, stock);
    return out.n;
  }
  return 0;
}

}  // namespace hz3
