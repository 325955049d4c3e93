// Small platform helpers shared by every hz3 file: branch hints, cache-line
// size, and the raw OS mapping calls (the allocator never calls malloc).
#pragma once
#include <cstddef>
#include <cstdint>

#if defined(__SANITIZE_ADDRESS__)
#define HZ3_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HZ3_ASAN 1
#endif
#endif
#ifndef HZ3_ASAN
#define HZ3_ASAN 0
#endif

#define HZ3_LIKELY(x) __builtin_expect(!!(x), 1)
#define HZ3_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define HZ3_NOINLINE __attribute__((noinline))
#define HZ3_ALWAYS_INLINE inline __attribute__((always_inline))
#define HZ3_COLD __attribute__((cold, noinline))
// Initial-exec TLS: no __tls_get_addr call (which may itself call malloc);
// __thread, not thread_local: no per-access dynamic-initialization wrapper.
#define HZ3_TLS __thread __attribute__((tls_model("initial-exec")))

namespace hz3 {

inline constexpr size_t kCacheLine = 64;
// The OS page hz3 assumes (x86-64 Linux): mapping, populate and valloc granule.
inline constexpr size_t kOsPage = 4096;

// Anonymous private read/write mapping; nullptr on failure.
void* os_map(size_t bytes);
// Mapping whose start is aligned to `align` (a power of two >= page size).
void* os_map_aligned(size_t bytes, size_t align);
void os_unmap(void* p, size_t bytes);
// Backs [p, p + bytes) (page-aligned) with memory now, in one call instead of
// a fault per 4 KiB page; a no-op where the kernel lacks MADV_POPULATE_WRITE.
void os_populate(void* p, size_t bytes);
// Bytes os_populate has backed so far (tests).
size_t os_populated_bytes();
// Schedule build only: the deterministic mapping region starts over.
void os_region_reset();

inline constexpr uintptr_t align_up(uintptr_t v, uintptr_t a) { return (v + a - 1) & ~(a - 1); }

// Intrusive free-list link: the first word of a free object. Every link
// access in hz3 goes through these two, so that under ASan (where free
// objects are poisoned, asan_poison.h) they are the only code allowed to touch
// a free object; any other access to one is reported.
#if HZ3_ASAN
#define HZ3_LINK_ACCESS inline __attribute__((noinline, no_sanitize("address")))
#else
#define HZ3_LINK_ACCESS HZ3_ALWAYS_INLINE
#endif
HZ3_LINK_ACCESS void* next_of(void* p) { return *static_cast<void**>(p); }
HZ3_LINK_ACCESS void set_next(void* p, void* n) { *static_cast<void**>(p) = n; }

}  // namespace hz3
