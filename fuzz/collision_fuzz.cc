// collision_fuzz: the alloc_ops_fuzz language plus BIND (hz3_debug_bind_shard
// with shard % hz3_num_shards()), so several logical threads share one owner
// shard; meant for the fuzz-tolerant preset (8 shards, OwnerExcl serializes the
// consumers). In a lane with HZ3_SHARD_COLLISION_FAILFAST=1 a collision is a
// fail-fast abort by design, so there BIND is a documented no-op and the
// target still replays in every preset.
// Flags bit 0 (input byte 1) selects the free-running mode: the logical
// threads run their op streams concurrently and trade objects through
// mailboxes (remote frees), so the MPSC boxes see real races under ASan/TSan.
// Op format: fuzz/ops.h, fuzz/README.md (version 1).
#include <cstddef>
#include <cstdint>

#include "hz3/config.h"
#include "ops.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  hz3fuzz::Config cfg;
  cfg.allow_bind = true;
  cfg.bind_is_noop = hz3::kCollisionFailfast;
  cfg.allow_free_running = true;
  hz3fuzz::run_input(data, size, cfg);
  return 0;
}
