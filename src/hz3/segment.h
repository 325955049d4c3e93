// Segments: 4 MiB aligned regions owned by one shard and carved into 64 KiB
// pages. Page 0 holds this header; pages 1..63 each serve one size class at a
// time (a page whose objects are all free can be reclaimed and carved again
// for another class of the same shard: page_reclaim.h).
// An object's page and class are found from its address alone:
//   segment = addr & ~(kSegmentSize-1), page = (addr >> kPageShift) & 63.
//
// Fields: `owner` and `magic` are written once before the segment is
// published; a PageDesc is written by the owner shard when the page is handed
// to a class (under OwnerExcl when carving is shared) and read by any thread
// that received an object of that page, so the read is ordered by whatever
// handed the object over.
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>

#include "hz3/platform.h"
#include "hz3/size_class.h"

namespace hz3 {

inline constexpr unsigned kSegmentShift = 22;
inline constexpr size_t kSegmentSize = size_t{1} << kSegmentShift;  // 4 MiB
inline constexpr unsigned kPageShift = 16;
inline constexpr size_t kPageSize = size_t{1} << kPageShift;  // 64 KiB
inline constexpr unsigned kPagesPerSegment = kSegmentSize / kPageSize;  // 64
inline constexpr uint64_t kSegmentMagic = 0x687a337365676d31ull;  // "hz3segm1"
inline constexpr uint16_t kNoClass = 0xffff;

struct PageDesc {
  uint16_t sc = kNoClass;   // size class, kNoClass while unused (or reclaimed)
  uint16_t reserved = 0;
  // Objects carved so far; grows until the page is reclaimed (page_reclaim.h),
  // which sets it back to 0. Written by the owner, read by checks on other
  // threads, hence atomic (relaxed: objects below it were handed over through
  // a synchronizing path).
  std::atomic<uint32_t> carved{0};
  void* shadow = nullptr;   // S86 shadow record (HZ3_S86_CENTRAL_SHADOW only)
  uint32_t free_seen = 0;   // page_reclaim's count of this page's free objects (0 between scans)
  PageDesc* next_free = nullptr;  // the shard's free-page list (page_reclaim.h)
};

struct Segment {
  uint64_t magic;
  uint16_t owner;                 // owner shard of every page
  std::atomic<uint16_t> next_page;  // next page to hand out; owner writes, checks read (relaxed)
  uint32_t reserved;
  Segment* next_segment;          // global list, for the heap check (under segment lock)
  PageDesc pages[kPagesPerSegment];

  char* page_base(unsigned idx) { return reinterpret_cast<char*>(this) + idx * kPageSize; }
  unsigned page_index(const PageDesc* pd) const { return static_cast<unsigned>(pd - pages); }
};
static_assert(sizeof(Segment) <= kPageSize);

HZ3_ALWAYS_INLINE Segment* segment_of(const void* p) {
  return reinterpret_cast<Segment*>(reinterpret_cast<uintptr_t>(p) & ~(kSegmentSize - 1));
}
HZ3_ALWAYS_INLINE unsigned page_index_of(const void* p) {
  return static_cast<unsigned>((reinterpret_cast<uintptr_t>(p) >> kPageShift) &
                               (kPagesPerSegment - 1));
}
HZ3_ALWAYS_INLINE PageDesc& page_desc_of(const void* p) { return segment_of(p)->pages[page_index_of(p)]; }
// Where p's page descriptor would be, by arithmetic alone: for a prefetch,
// which may be handed null (page_desc_of(nullptr) is undefined behaviour).
// The sum is taken on the integer: a non-zero offset added to a null pointer
// is undefined as well.
HZ3_ALWAYS_INLINE const void* page_desc_addr(const void* p) {
  const uintptr_t seg = reinterpret_cast<uintptr_t>(segment_of(p));
  return reinterpret_cast<const void*>(seg + offsetof(Segment, pages) + page_index_of(p) * sizeof(PageDesc));
}

// New segment for `owner`, registered in the segment map; nullptr on OOM.
Segment* segment_create(uint16_t owner);
// First segment of the global list (the list only grows; read when quiescent).
Segment* segment_list_head();
// Schedule build only, heap empty: unmap every segment (hz3::sched::heap_reset).
void segments_reset();
void segments_fork_lock();
void segments_fork_unlock();

}  // namespace hz3
