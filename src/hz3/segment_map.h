// Segment map: one byte per 4 MiB granule of the 47-bit user address space
// telling whether an address is ours, and how. It is what lets free() route
// any pointer in O(1) and reject a pointer that is not ours.
//   kNone      not ours
//   kSegment   granule is a Segment (segment.h)
//   kLarge     granule starts a large mapping; its LargeHeader is at the granule start
//   kLargeFar  large mapping with alignment >= 4 MiB; LargeHeader sits just below the granule
// Entries are relaxed atomics: a writer publishes the entry before the memory
// is handed out, and readers got their pointer through a synchronizing path.
#pragma once
#include <atomic>
#include <cstdint>

#include "hz3/platform.h"
#include "hz3/segment.h"

namespace hz3 {

enum class GranuleKind : uint8_t { kNone = 0, kSegment = 1, kLarge = 2, kLargeFar = 3 };

inline constexpr unsigned kAddressBits = 47;
inline constexpr size_t kGranules = size_t{1} << (kAddressBits - kSegmentShift);  // 32 Mi entries

// Plain bytes (a 32 Mi-element array of std::atomic would not constant-
// initialize), accessed only through relaxed __atomic builtins.
extern uint8_t g_segment_map[kGranules];

HZ3_ALWAYS_INLINE GranuleKind granule_kind(const void* p) {
  uintptr_t a = reinterpret_cast<uintptr_t>(p);
  if (HZ3_UNLIKELY(a >> kAddressBits)) return GranuleKind::kNone;
  return static_cast<GranuleKind>(__atomic_load_n(&g_segment_map[a >> kSegmentShift], __ATOMIC_RELAXED));
}

inline void granule_set(const void* p, GranuleKind k) {
  uintptr_t a = reinterpret_cast<uintptr_t>(p);
  __atomic_store_n(&g_segment_map[a >> kSegmentShift], static_cast<uint8_t>(k), __ATOMIC_RELAXED);
}

}  // namespace hz3
