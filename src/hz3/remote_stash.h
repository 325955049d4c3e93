// RemoteStash: a thread's outgoing remote frees, batched per (owner, size
// class) as carriers (carrier.h) before they are pushed to the owner's xfer
// with one publish.
// Direct-mapped: 256 entries keyed by (owner, sc); a colliding key flushes the
// entry it displaces. The classes of one owner never collide with each other
// (slot = sc + a hash of the owner, mod 256), so a thread freeing toward one
// owner flushes only full batches; with many owners, displacement still
// flushes partial ones. Owned by its thread; flushed when an entry reaches
// its batch size, when the thread exits, and by the flush test hook.
#pragma once
#include <cstdint>
#include <type_traits>

#include "hz3/config.h"
#include "hz3/size_class.h"

namespace hz3 {

struct Batch;        // mpsc.h
struct CarrierList;  // carrier.h

struct NoNewest {  // lanes without the record: writes are dropped, nothing is ever found
  NoNewest& operator=(const void*) { return *this; }
  friend bool operator==(NoNewest, const void*) { return false; }
};

// An entry's objects travel as carriers (carrier.h): head is the newest
// carrier, tail the oldest, fill the objects the head carries so far.
struct StashEntry {
  void* head = nullptr;
  void* tail = nullptr;
  uint32_t n = 0;    // objects, carriers included
  uint32_t key = 0;  // owner * kNumClasses + sc + 1; 0 when empty
  uint32_t carriers = 0;
  uint32_t fill = 0;
  // HZ3_FREE_FAILFAST only: the object stashed last, for free_check's
  // double-free test (the head's last slot would be a cold line to read).
  [[no_unique_address]] std::conditional_t<kFreeFailfast, void*, NoNewest> newest{};
};

struct StashShadow;  // stash_shadow.h
struct NoStashShadow {};

struct RemoteStash {
  static constexpr uint32_t kEntries = 256;
  StashEntry e[kEntries];
  // Entries holding objects, per class: a refill takes the stash first when
  // its class has entries for several owners (stash_first), and stash_take
  // skips its walk when the class has none (a thread that frees nothing
  // remote). Kept by the entry's start and end, off the push's common path.
  uint16_t in_class[kNumClasses] = {};
  // Fail-fast lanes only: the entries' debug shadow, set by thread_cache_init.
  [[no_unique_address]] std::conditional_t<kListFailfast, StashShadow*, NoStashShadow> shadow{};

  // key = (owner << 8 | sc) + 1, so 0 means empty and decoding is shifts.
  static uint32_t key_of(uint16_t owner, uint32_t sc) { return (uint32_t{owner} << 8 | sc) + 1; }
  static uint16_t owner_of(uint32_t key) { return static_cast<uint16_t>((key - 1) >> 8); }
  static uint32_t sc_of(uint32_t key) { return (key - 1) & 0xff; }
  static uint32_t slot_of(uint32_t key) {
    uint32_t owner_spread = (((key - 1) >> 8) * 0x9E3779B1u) >> 24;
    return (sc_of(key) + owner_spread) & (kEntries - 1);
  }
  // Objects per push: larger than a refill batch, so a remote-heavy thread
  // publishes once per many frees. At least 4 (class_batch >= 2).
  static constexpr uint32_t flush_at(uint32_t sc) { return 2 * class_batch(sc); }
};
static_assert(kNumClasses <= 256, "a key keeps the class in 8 bits");
static_assert(RemoteStash::kEntries >= kNumClasses && (RemoteStash::kEntries & (RemoteStash::kEntries - 1)) == 0,
              "one owner's classes must get distinct slots; slot_of masks");

// Add p (owned by `owner`, class sc) to the stash; may flush an entry.
void stash_push(RemoteStash& s, void* p, uint16_t owner, uint32_t sc);
// Out of line: stash_push stays a small leaf on its common path.
[[gnu::noinline]] void stash_flush_entry(RemoteStash& s, StashEntry& e);
void stash_flush_all(RemoteStash& s);

// A refill's first source (shard_refill, HZ3_XFER_STEAL): the class has stash
// entries for at least two owners. Each such entry fills at a fraction of the
// thread's remote frees, so they sit partial and together hold the most
// memory (at T16 R90 14-21 MiB in all): they are reused where they were
// freed. Toward a single owner the entry soon flushes whole, and the thread's
// own returned objects, likelier still in its cache, come first (two threads
// on two cores: taking the stash first was 2-10% slower in 7 of 8 paired
// rounds at a ~160 ns round trip; docs/measurements/2026-12-04-stash-first.md).
inline constexpr uint16_t kStashFirstOwners = 2;
inline bool stash_first(const RemoteStash& s, uint32_t sc) { return s.in_class[sc] >= kStashFirstOwners; }

// The thread's own outgoing frees of class sc, reused before its own xfer
// when stash_first says so, else before a fresh page (shard_refill,
// HZ3_XFER_STEAL, after the xfer steal and the stock steal found nothing):
// the entry of that class holding the most objects, whatever its owner, is
// taken out of the stash and unpacked like a stolen backlog,
// at least `want` objects into `out` (tail known) and the other carriers
// into `stock` (empty on entry; its owner becomes the entry's). Its objects
// keep their owner and go home as a steal's do (xfer_steal.h). Returns
// out.n, 0 when no entry of the class holds anything.
uint32_t stash_take(RemoteStash& s, uint32_t sc, uint32_t want, Batch& out, CarrierList& stock);

}  // namespace hz3
