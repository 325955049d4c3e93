// RemoteStash: a thread's outgoing remote frees, batched per (owner, size
// class) before they are pushed to the owner's xfer with one publish.
// Direct-mapped: 64 entries keyed by (owner, sc); a colliding key flushes the
// entry it displaces. Owned by its thread; flushed when an entry reaches its
// batch size, when the thread exits, and by the flush test hook.
#pragma once
#include <cstdint>

#include "hz3/size_class.h"

namespace hz3 {

struct StashEntry {
  void* head = nullptr;
  void* tail = nullptr;
  uint32_t n = 0;
  uint32_t key = 0;  // owner * kNumClasses + sc + 1; 0 when empty
};

struct RemoteStash {
  static constexpr uint32_t kEntries = 64;
  StashEntry e[kEntries];

  static uint32_t key_of(uint16_t owner, uint32_t sc) { return owner * kNumClasses + sc + 1; }
  static uint16_t owner_of(uint32_t key) { return static_cast<uint16_t>((key - 1) / kNumClasses); }
  static uint32_t sc_of(uint32_t key) { return (key - 1) % kNumClasses; }
  static uint32_t slot_of(uint32_t key) { return (key * 0x9E3779B1u) >> 26; }
  // Objects per push: larger than a refill batch, so a remote-heavy thread
  // publishes once per many frees.
  static uint32_t flush_at(uint32_t sc) { return 2 * class_batch(sc); }
};
static_assert(RemoteStash::kEntries == 64, "slot_of assumes 64 entries");

// Add p (owned by `owner`, class sc) to the stash; may flush an entry.
void stash_push(RemoteStash& s, void* p, uint16_t owner, uint32_t sc);
void stash_flush_entry(StashEntry& e);
void stash_flush_all(RemoteStash& s);

}  // namespace hz3
