// Size classes: every 16 B up to 128 B, then four classes per doubling up
// to 64 KiB (160, 192, 224, 256, 320, ..., 2048, 2560, ..., 57344, 65536):
// 44 classes; above 128 B less than a fifth of an object goes unused.
// Anything larger is a direct mapping (large.h). Every class size is a
// multiple of 16, so objects carved from a 64 KiB-aligned page at multiples
// of the class size are 16-byte aligned; a class whose size is a multiple of
// A serves alignment A (A <= 64 KiB), and the class of a multiple of A is one
// (aligned_size_to_class).
//
// Why four a doubling and not 16 B steps all the way: a program whose sizes
// spread over a range spreads its mallocs over that range's classes, and each
// class has its own bin, stash entry and inbox. 24 classes for 16..2048 B
// instead of 128 put five times more traffic through each: a freed object is
// handed out again sooner, while still in cache, and the per-class lines stay
// in L1 (docs/measurements/2026-12-03-size-classes.md).
#pragma once
#include <bit>
#include <cstddef>
#include <cstdint>

#include "hz3/platform.h"

namespace hz3 {

inline constexpr uint32_t kSmallStep = 16;
inline constexpr uint32_t kFineMax = 128;                    // 16 B steps up to here
inline constexpr uint32_t kNumFine = kFineMax / kSmallStep;  // 8
inline constexpr uint32_t kPerDoubling = 4;
inline constexpr size_t kMaxClassSize = 65536;
inline constexpr uint32_t kNumClasses = kNumFine + kPerDoubling * 9;  // 128 B .. 64 KiB is 9 doublings: 44
// Sizes up to kSmallMax map through a table (the malloc fast path); larger
// ones through a leading-zero count.
inline constexpr uint32_t kSmallMax = 2048;

inline constexpr uint32_t class_size(uint32_t sc) {
  if (sc < kNumFine) return (sc + 1) * kSmallStep;
  uint32_t g = (sc - kNumFine) / kPerDoubling;      // doubling: (128 << g, 256 << g]
  uint32_t j = (sc - kNumFine) % kPerDoubling + 1;  // its j-th quarter
  uint32_t base = kFineMax << g;
  return base + j * (base / kPerDoubling);
}
static_assert(class_size(kNumFine - 1) == kFineMax && class_size(kNumClasses - 1) == kMaxClassSize);

// Class of n bytes, 128 < n <= kMaxClassSize: n - 1 lies in [2^k, 2^(k+1)),
// and its quarter of that doubling is the class.
inline constexpr uint32_t coarse_class(size_t n) {
  uint32_t k = 63 - static_cast<uint32_t>(std::countl_zero(static_cast<uint64_t>(n - 1)));
  uint32_t quarter = static_cast<uint32_t>((n - 1 - (size_t{1} << k)) >> (k - 2));
  return kNumFine + (k - 7) * kPerDoubling + quarter;
}

struct SmallClassTable {
  uint8_t sc[kSmallMax / kSmallStep + 1];  // indexed by (n + 15) / 16
};
inline constexpr SmallClassTable kSmallClassOf = [] {
  SmallClassTable t{};
  for (uint32_t q = 0; q <= kSmallMax / kSmallStep; ++q) {
    uint32_t n = q * kSmallStep;
    t.sc[q] = static_cast<uint8_t>(n <= kFineMax ? (q ? q - 1 : 0) : coarse_class(n));
  }
  return t;
}();

// Size (<= kMaxClassSize) to class. Size 0 is served by the 16 B class.
HZ3_ALWAYS_INLINE uint32_t size_to_class(size_t n) {
  if (HZ3_LIKELY(n <= kSmallMax)) return kSmallClassOf.sc[(n + kSmallStep - 1) / kSmallStep];
  return coarse_class(n);
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
// The smallest cap of a thread-cache bin: two batches before it drains one.
// With few live threads a bin may hold more (thread_cache.h bin_cap).
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
  // r is a multiple of align, and so is its class: in r's doubling the class
  // sizes step by a quarter of the doubling's base; an align up to that step
  // divides every one of them, and a larger align has no multiples in the
  // doubling but its three-quarter point and its top, which are classes.
  return size_to_class(r);
}

}  // namespace hz3
