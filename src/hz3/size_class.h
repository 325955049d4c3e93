// Size classes: 128 small classes every 16 B up to 2048 B, then 16 medium
// classes every 4 KiB up to 64 KiB. Anything larger is a direct mapping
// (large.h). Every class size is a multiple of 16, so objects carved from a
// 64 KiB-aligned page at multiples of the class size are 16-byte aligned; a
// class whose size is a multiple of A serves alignment A (A <= 64 KiB).
#pragma once
#include <cstddef>
#include <cstdint>

#include "hz3/platform.h"

namespace hz3 {

inline constexpr uint32_t kSmallStep = 16;
inline constexpr uint32_t kSmallMax = 2048;
inline constexpr uint32_t kNumSmall = kSmallMax / kSmallStep;  // 128
inline constexpr uint32_t kMediumStep = 4096;
inline constexpr uint32_t kMediumMax = 65536;
inline constexpr uint32_t kNumMedium = kMediumMax / kMediumStep;  // 16
inline constexpr uint32_t kNumClasses = kNumSmall + kNumMedium;  // 144
inline constexpr size_t kMaxClassSize = kMediumMax;

inline constexpr uint32_t class_size(uint32_t sc) {
  return sc < kNumSmall ? (sc + 1) * kSmallStep : (sc - kNumSmall + 1) * kMediumStep;
}

// Size (<= kMaxClassSize) to class. Size 0 is served by the 16 B class.
HZ3_ALWAYS_INLINE uint32_t size_to_class(size_t n) {
  if (HZ3_LIKELY(n <= kSmallMax)) {
    uint32_t q = static_cast<uint32_t>((n + kSmallStep - 1) / kSmallStep);
    return q ? q - 1 : 0;
  }
  return kNumSmall + static_cast<uint32_t>((n - 1) / kMediumStep);
}

// Objects moved per refill/drain batch: about 8 KiB of objects, 2..64 of them.
// A table, because the remote-free path asks for it on every free and a
// divide there cost more than the rest of the stash push.
inline constexpr uint32_t batch_for_size(uint32_t size) {
  uint32_t b = 8192 / size;
  return b < 2 ? 2 : (b > 64 ? 64 : b);
}
struct BatchTable {
  uint8_t n[kNumClasses];
};
inline constexpr BatchTable kBatchTable = [] {
  BatchTable t{};
  for (uint32_t sc = 0; sc < kNumClasses; ++sc) t.n[sc] = static_cast<uint8_t>(batch_for_size(class_size(sc)));
  return t;
}();
inline constexpr uint32_t class_batch(uint32_t sc) { return kBatchTable.n[sc]; }
// A thread-cache bin holds at most two batches before it drains one.
inline constexpr uint32_t class_cap(uint32_t sc) { return 2 * class_batch(sc); }

// Object index of byte offset `off` (< 64 KiB) in a page of class sc, without
// a divide: off * ceil(2^32 / size) >> 32 is exact for off, size <= 2^16.
// The product exceeds off / size by less than off / 2^32 < 1 / size, and the
// fractional part of off / size is at most 1 - 1 / size, so the floor holds.
// The fail-fast lanes ask this for every object they check.
struct ClassRecipTable {
  uint32_t m[kNumClasses];
  uint32_t size[kNumClasses];  // class_size(sc), a load instead of a select
};
inline constexpr ClassRecipTable kClassRecip = [] {
  ClassRecipTable t{};
  for (uint32_t sc = 0; sc < kNumClasses; ++sc) {
    t.m[sc] = static_cast<uint32_t>(((uint64_t{1} << 32) + class_size(sc) - 1) / class_size(sc));
    t.size[sc] = class_size(sc);
  }
  return t;
}();
HZ3_ALWAYS_INLINE constexpr uint32_t class_index_of(uint32_t off, uint32_t sc) {
  return static_cast<uint32_t>((uint64_t{off} * kClassRecip.m[sc]) >> 32);
}
static_assert(kMaxClassSize <= (size_t{1} << 16), "class_index_of is exact only for sizes up to 64 KiB");

// Class for an aligned request (align a power of two, 16 < align <= 64 KiB).
// Returns kNumClasses when the request must be a large mapping.
inline uint32_t aligned_size_to_class(size_t n, size_t align) {
  if (n > kMaxClassSize) return kNumClasses;
  size_t r = align_up(n ? n : 1, align);
  if (r > kMaxClassSize) return kNumClasses;
  return size_to_class(r);  // a multiple of align: that class size is one too
}

}  // namespace hz3
