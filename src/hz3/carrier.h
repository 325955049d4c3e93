// Carrier: the form a batch of remote frees takes from the freeing thread's
// stash to the owner's xfer inbox and back out of it.
//
// Why: a thread that links the objects it frees for another owner writes
// into each of them, and the owner then reads each link back: two
// cross-core transfers per object, where an allocator that reuses a freed
// object in the freeing thread pays one. A carrier batch instead writes the
// objects' addresses into a few of the objects themselves (the carriers), so
// the freeing thread touches one line per several objects and leaves the
// rest alone; the owner reads the carriers and links the carried objects
// into its bin (lines it wrote last, not the freeing thread).
//
// Layout of a carrier (a free object of the class, at least 16 B):
//   word 0     next carrier of the list (null at the end)
//   word 1     number of objects it carries (low 32 bits)
//   words 2..  their addresses, in push order
// A class of 16 B carries none: its carriers are a plain list.
//
// In xfer a list of carriers is an ordinary box list whose count is the
// number of carriers; carrier_unpack turns it into a plain list of objects.
// A refill that takes more carriers than a batch needs keeps the rest, still
// packed, in its thread cache's stock (CarrierList). Everywhere else (bins,
// central, carving) lists are plain.
#pragma once
#include <cstdint>

#include "hz3/mpsc.h"
#include "hz3/platform.h"
#include "hz3/size_class.h"

namespace hz3 {

// Objects a carrier of class sc holds besides itself: what fits after the
// two header words, and no more than one stash batch needs (2 * batch - 1).
inline constexpr uint32_t carrier_slots_for(uint32_t sc) {
  uint32_t fit = (class_size(sc) - 16) / 8;
  uint32_t need = 2 * class_batch(sc) - 1;
  return fit < need ? fit : need;
}
struct CarrierTable {
  uint8_t n[kNumClasses];
};
inline constexpr CarrierTable kCarrierTable = [] {
  CarrierTable t{};
  for (uint32_t sc = 0; sc < kNumClasses; ++sc) t.n[sc] = static_cast<uint8_t>(carrier_slots_for(sc));
  return t;
}();
// A 16 B class carries none; every count fits the table's bytes (batches are
// at most 64, so at most 127 slots).
static_assert(carrier_slots_for(0) == 0);
static_assert([] {
  for (uint32_t sc = 0; sc < kNumClasses; ++sc)
    if (carrier_slots_for(sc) > 255) return false;
  return true;
}());
HZ3_ALWAYS_INLINE uint32_t carrier_slots(uint32_t sc) { return kCarrierTable.n[sc]; }

// Word accesses of a free object, exempt from ASan like next_of/set_next.
HZ3_LINK_ACCESS uint32_t carrier_count(void* c) { return static_cast<uint32_t*>(c)[2]; }
HZ3_LINK_ACCESS void carrier_set_count(void* c, uint32_t k) { static_cast<uint32_t*>(c)[2] = k; }
HZ3_LINK_ACCESS void* carrier_slot(void* c, uint32_t i) { return static_cast<void**>(c)[2 + i]; }
HZ3_LINK_ACCESS void carrier_set_slot(void* c, uint32_t i, void* p) { static_cast<void**>(c)[2 + i] = p; }

// Turn `carriers` carriers of class sc from head (a null-terminated list)
// into a plain list of every object they hold, carriers included, in order:
// each carrier, then what it carries. Returns the objects, tail known. In
// the fail-fast lanes every carrier and carried object is checked before a
// word of it is written (FAILFAST carrier_*, naming the box in ctx).
Batch carrier_unpack(const BoxCtx& ctx, void* head, uint32_t carriers);

// A carrier list not yet unpacked: what a refill keeps back (the thread
// cache's stock) so it unpacks a batch at a time.
struct CarrierList {
  void* head = nullptr;
  uint32_t carriers = 0;
  // The shard whose objects these are: the box's shard of whoever filled the
  // list (a thread's own xfer, another owner's through a steal: xfer_steal.h,
  // or a stash entry: remote_stash.h), set by carrier_unpack_some.
  uint16_t owner = 0;
};

// As carrier_unpack, but stops once it has at least `want` objects: `rest`'s
// head and count become the carriers not unpacked (empty when the list ran
// out); its owner becomes ctx.shard, whose objects they are. The next
// carrier's line is prefetched as this one is read, so when the rest is
// unpacked later, a batch of mallocs after, its first miss is already paid.
Batch carrier_unpack_some(const BoxCtx& ctx, void* head, uint32_t carriers, uint32_t want, CarrierList& rest);

}  // namespace hz3
