// Large objects (> 64 KiB, or alignments no class can serve): one OS mapping
// each, returned to the OS on free.
//
// Layout: the mapping starts on a 4 MiB granule with its LargeHeader; the
// object starts `offset` bytes later (64, or the requested alignment). For
// alignments of 4 MiB and more the object itself starts a granule, and the
// header sits in the 64 bytes just below it. Either way the segment map names
// the object's granule, so free() finds the header in O(1) and can prove the
// pointer is exactly the object's start.
#pragma once
#include <cstddef>
#include <cstdint>

#include "hz3/segment_map.h"

namespace hz3 {

inline constexpr uint64_t kLargeMagic = 0x687a336c61726765ull;  // "hz3large"
inline constexpr size_t kLargeHeaderSize = 64;

struct LargeHeader {
  uint64_t magic;
  void* map_base;
  size_t map_len;
  void* user;
  size_t usable;
  LargeHeader* prev;  // registry, under the large lock
  LargeHeader* next;
};
static_assert(sizeof(LargeHeader) <= kLargeHeaderSize);

// nullptr with errno ENOMEM when the size cannot be mapped.
void* large_alloc(size_t size, size_t align);
// Header of p if p is exactly a live large object's start, else nullptr.
LargeHeader* large_header(const void* p, GranuleKind kind);
void large_free(LargeHeader* h);
// Live large objects (heap check).
size_t large_count();
void large_fork_lock();
void large_fork_unlock();

}  // namespace hz3
