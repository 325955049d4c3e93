// The flight recorder's dump (flight_recorder.h): after a FAILFAST line,
// every live thread's ring, oldest note first. Other threads come first and
// the failing thread last, so the last lines before the abort are the
// failing thread's newest operations. Times are TSC ticks before the failure.
// Runs while the process dies: no allocation, no lock (another thread may be
// inside the registry), at most kMaxThreadsShown other threads.
#include "hz3/flight_recorder.h"

#include "hz3/failfast.h"
#include "hz3/thread_cache.h"

namespace hz3 {
namespace {

constexpr int kMaxThreadsShown = 16;

[[maybe_unused]] const char* op_name(FlightOp op) {
  switch (op) {
    case FlightOp::kPush: return "push";
    case FlightOp::kPop: return "pop";
    case FlightOp::kCarve: return "carve";
    case FlightOp::kClaim: return "claim";
    case FlightOp::kRelease: return "release";
    case FlightOp::kFlush: return "flush";
    case FlightOp::kLargeMap: return "map";
    case FlightOp::kLargeUnmap: return "unmap";
    case FlightOp::kSteal: return "steal";
    default: return "?";
  }
}

[[maybe_unused]] const char* box_name(FlightBox box) {
  switch (box) {
    case FlightBox::kXfer: return "xfer";
    case FlightBox::kCentral: return "central";
    case FlightBox::kStash: return "stash";
    case FlightBox::kPage: return "page";
    case FlightBox::kShard: return "shard";
    case FlightBox::kCache: return "cache";
    case FlightBox::kLarge: return "large";
    default: return "?";
  }
}

template <bool kOn>
void dump_ring(const FlightRingT<kOn>& r, uint16_t shard, bool failing, uint64_t now) {
  if constexpr (kOn) {
    uint32_t shown = r.next < kFlightRing ? r.next : kFlightRing;
    LineBuf head;
    head.str("hz3-flight: ").str(failing ? "failing thread" : "thread").kv("shard", shard)
        .kv("ops", r.next).str(", last ").dec(shown).str(" oldest first\n");
    head.write_stderr();
    for (uint32_t i = r.next - shown; i != r.next; ++i) {
      const FlightEntry& e = r.e[i % kFlightRing];
      LineBuf l;
      l.str("hz3-flight:   ").str(op_name(e.op)).str(" ").str(box_name(e.box))
          .kv("shard", e.shard).kv("sc", e.sc).kvp("ptr", e.ptr).kv("n", e.n)
          .str(" t=-").dec(now > e.tsc ? now - e.tsc : 0).str("\n");
      l.write_stderr();
    }
  }
}

}  // namespace

void flight_dump() {
  if constexpr (kFlightRecorder) {
    uint64_t now = __builtin_ia32_rdtsc();
    ThreadCache* self = t_cache;
    int shown = 0;
    for (ThreadCache* tc = registry_head_unlocked(); tc && shown < kMaxThreadsShown; tc = tc->reg_next) {
      if (tc == self) continue;
      dump_ring(tc->flight, tc->shard, false, now);
      ++shown;
    }
    if (!cache_is_empty_sentinel(self)) dump_ring(self->flight, self->shard, true, now);
  }
}

}  // namespace hz3
