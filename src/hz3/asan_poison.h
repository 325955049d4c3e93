// ASan manual poisoning (ASan builds only; nothing elsewhere). A free object
// is poisoned from the moment it is freed or carved until malloc hands it out
// again, so any read or write of a freed object, by the program or by hz3
// itself, is an ASan report. hz3's own link word accesses go through
// next_of/set_next (platform.h), which are exempt.
#pragma once
#include <cstddef>

#include "hz3/platform.h"

#if HZ3_ASAN
#include <sanitizer/asan_interface.h>
#endif

namespace hz3 {

inline constexpr bool kAsanPoison = HZ3_ASAN;

HZ3_ALWAYS_INLINE void asan_poison(void* p, size_t bytes) {
#if HZ3_ASAN
  __asan_poison_memory_region(p, bytes);
#else
  (void)p, (void)bytes;
#endif
}

HZ3_ALWAYS_INLINE void asan_unpoison(void* p, size_t bytes) {
#if HZ3_ASAN
  __asan_unpoison_memory_region(p, bytes);
#else
  (void)p, (void)bytes;
#endif
}

}  // namespace hz3
