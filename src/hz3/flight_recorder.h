// Flight recorder: in fail-fast builds each thread keeps a ring of its last
// operations at box boundaries (op, box, shard, size class, pointer, count).
// A FAILFAST line is followed by the rings of the live threads, oldest first
// and the failing thread last, so a crash from the field says what led to it.
//
// On by default whenever a fail-fast flag is (HZ3_FLIGHT_RECORDER, config.h);
// off, the ring is an empty member and every note compiles to nothing. A note
// costs a timestamp read and one 32-byte store into the thread's own ring:
// no atomics, no sharing. The ring lives in the ThreadCache (thread_cache.h).
#pragma once
#include <cstdint>

#include "hz3/config.h"

namespace hz3 {

enum class FlightOp : uint8_t { kNone, kPush, kPop, kCarve, kClaim, kRelease, kFlush, kLargeMap, kLargeUnmap, kSteal };
enum class FlightBox : uint8_t { kNone, kXfer, kCentral, kPage, kShard, kCache, kLarge, kStash };

struct FlightEntry {
  uint64_t tsc = 0;
  const void* ptr = nullptr;
  uint32_t n = 0;
  uint16_t shard = 0;
  uint16_t sc = 0;
  FlightOp op = FlightOp::kNone;
  FlightBox box = FlightBox::kNone;
};

inline constexpr uint32_t kFlightRing = 32;

template <bool kOn>
struct FlightRingT {
  FlightEntry e[kFlightRing];
  uint32_t next = 0;  // total notes; the newest is e[(next - 1) % kFlightRing]
  void note(FlightOp op, FlightBox box, uint16_t shard, uint32_t sc, const void* ptr, uint32_t n) {
    FlightEntry& x = e[next % kFlightRing];
    x.tsc = __builtin_ia32_rdtsc();
    x.ptr = ptr;
    x.n = n;
    x.shard = shard;
    x.sc = static_cast<uint16_t>(sc);
    x.op = op;
    x.box = box;
    ++next;
  }
};
template <>
struct FlightRingT<false> {
  void note(FlightOp, FlightBox, uint16_t, uint32_t, const void*, uint32_t) {}
};
using FlightRing = FlightRingT<kFlightRecorder>;

// Prints the rings after a FAILFAST line (failfast.cc); no allocation, no lock.
void flight_dump();

}  // namespace hz3
