// OwnerExcl: the per-shard lock that makes the owner-only consumer paths
// (xfer pop, central pop, page carving) single-consumer again when several
// threads share a shard (a shard collision, HZ3_SHARD_COLLISION_FAILFAST=0).
// kOwnerExclPop / kCarveLocked (config.h) decide which paths take it; with
// collisions failing fast both are false and the guard compiles to nothing.
#pragma once
#include "hz3/config.h"
#include "hz3/mutex.h"

namespace hz3 {

class OwnerExcl {
 public:
  constexpr OwnerExcl() = default;
  Mutex& mutex() { return mu_; }

 private:
  Mutex mu_;
};

// Held across a whole refill when pops are serialized.
using OwnerExclPopGuard = MaybeLock<kOwnerExclPop>;
// Held around carving when carving is shared but pops are not already serialized.
using OwnerExclCarveGuard = MaybeLock<kCarveLocked && !kOwnerExclPop>;

}  // namespace hz3
